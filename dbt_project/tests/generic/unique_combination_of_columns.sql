{#- Rows whose combination of `combination_of_columns` is not unique (what
    dbt_utils.unique_combination_of_columns checks; dbt packages are not available here).
    With `loaded_at_column`, a run after a passing one checks only the keys of rows loaded
    since (macros/data_test_checkpoints.sql). -#}
{% test unique_combination_of_columns(model, combination_of_columns, loaded_at_column=none) %}
    {{ unique_rows_test(model, combination_of_columns, loaded_at_column) }}
{% endtest %}
