{#
    The select behind every incremental model's `reprocess_since` CTE: the load time after
    which rows are re-processed, var('late_data_lookback_days') before the newest load the
    model already holds (`loaded_at_column` of {{ this }}).
#}
{% macro reprocess_loaded_after(loaded_at_column='_loaded_at') -%}
    select {{ dbt.dateadd('day', -1 * var('late_data_lookback_days', 3), 'max(' ~ loaded_at_column ~ ')') }} as loaded_after
    from {{ this }}
{%- endmacro %}
