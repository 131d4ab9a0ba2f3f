{#- dbt's `unique` for a column of a table rows are appended to by load: after a passing run,
    only the keys of rows loaded since (`loaded_at_column`) are looked up in the whole table
    (macros/data_test_checkpoints.sql). With `rows_leave`, for a model whose rows leave (delete+insert),
    when every row it writes carries a `loaded_at_column` newer than any it held. -#}
{% test unique_incremental(model, column_name, loaded_at_column='_loaded_at', rows_leave=false) %}
    {{ unique_rows_test(model, [column_name], loaded_at_column, rows_leave) }}
{% endtest %}
