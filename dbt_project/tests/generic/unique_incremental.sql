{#- dbt's `unique` for a column of a table rows are appended to by load: after a passing run,
    only the keys of rows loaded since (`loaded_at_column`) are looked up in the whole table
    (macros/data_test_checkpoints.sql). With `rows_leave`, for a model whose rows leave (delete+insert),
    when every row it writes carries a `loaded_at_column` newer than any it held. `key_implies`:
    columns the key determines (a surrogate key of them), matched too in that lookup so that
    it reads only the row groups of the new rows' times. -#}
{% test unique_incremental(model, column_name, loaded_at_column='_loaded_at', rows_leave=false, key_implies=none) %}
    {{ unique_rows_test(model, [column_name], loaded_at_column, rows_leave, key_implies) }}
{% endtest %}
