{#- dbt's `unique` for a column of a table rows are appended to by load: after a passing run,
    only the keys of rows loaded since (`loaded_at_column`) are looked up in the whole table
    (macros/data_test_checkpoints.sql). -#}
{% test unique_incremental(model, column_name, loaded_at_column='_loaded_at') %}
    {{ unique_rows_test(model, [column_name], loaded_at_column) }}
{% endtest %}
