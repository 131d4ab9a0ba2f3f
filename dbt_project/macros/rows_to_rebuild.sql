{#
    The rows of `relation` (a CTE) an incremental run rebuilds: on an incremental run, every
    row sharing `key` with a row loaded after var('late_data_lookback_days') before the newest
    load the model holds (a customer, a session, an install is rebuilt whole); otherwise all.
    With `changed_after` (a marker column both hold, e.g. `_stage_assigned_at`), every row
    sharing `key` with a row whose marker is newer than any the model holds instead; all rows
    while the model does not hold that column yet.
    Used as the body of a CTE.
#}
{% macro rows_to_rebuild(relation, key, changed_after=none) -%}
    {%- if is_incremental() and (changed_after is none or relation_has_column(this, changed_after)) %}
    select {{ relation }}.*
    from {{ relation }}
    inner join (
        select distinct {{ key }}
        from {{ relation }}
        {%- if changed_after is none %}
        where _loaded_at > (
            {{ reprocess_loaded_after() }}
        )
        {%- else %}
        where {{ changed_after }} > (select max({{ changed_after }}) from {{ this }})
        {%- endif %}
    ) as keys_to_rebuild
        on keys_to_rebuild.{{ key }} = {{ relation }}.{{ key }}
    {%- else %}
    select * from {{ relation }}
    {%- endif %}
{%- endmacro %}
