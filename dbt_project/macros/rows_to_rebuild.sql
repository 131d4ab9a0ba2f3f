{#
    The rows of `relation` (a CTE) an incremental run rebuilds: on an incremental run, every
    row sharing `key` with a row loaded after var('late_data_lookback_days') before the newest
    load the model holds (a customer, a session, an install is rebuilt whole); otherwise all.
    Used as the body of a CTE.
#}
{% macro rows_to_rebuild(relation, key) -%}
    {%- if is_incremental() %}
    select {{ relation }}.*
    from {{ relation }}
    inner join (
        select distinct {{ key }}
        from {{ relation }}
        where _loaded_at > (
            {{ reprocess_loaded_after() }}
        )
    ) as keys_to_rebuild
        on keys_to_rebuild.{{ key }} = {{ relation }}.{{ key }}
    {%- else %}
    select * from {{ relation }}
    {%- endif %}
{%- endmacro %}
