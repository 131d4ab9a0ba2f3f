{#- Rows whose combination of `combination_of_columns` is not unique (what
    dbt_utils.unique_combination_of_columns checks; dbt packages are not available here).
    With `loaded_at_column`, a run after a passing one checks only the keys of rows loaded
    since (macros/data_test_checkpoints.sql); `rows_leave` for a model whose rows leave, when
    every row it writes carries a `loaded_at_column` newer than any it held. -#}
{% test unique_combination_of_columns(model, combination_of_columns, loaded_at_column=none, rows_leave=false) %}
    {{ unique_rows_test(model, combination_of_columns, loaded_at_column, rows_leave) }}
{% endtest %}
