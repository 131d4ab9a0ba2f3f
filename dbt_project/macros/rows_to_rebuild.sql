{#
    The rows of `relation` (a CTE) an incremental run rebuilds: on an incremental run, every
    row sharing `key` with a row loaded after var('late_data_lookback_days') before the newest
    load the model holds (a customer, a session, an install is rebuilt whole); otherwise all.
    With `held_span` (the first and last time columns of a row the model holds) and `day` (an
    expression of `relation`: the export day a row came in), also every key the model holds a
    row for within a day of a day a corrected re-delivery among those loads brought rows for:
    it can remove all of a key's rows of that day and leave its other days' rows, which no
    recent load names (a session across midnight). Only a re-delivery removes rows (the
    publisher deletes the loads it supersedes), so other loads need no such search: it joins
    every held row with the days, ~0.6 s at a year of app sessions.
    With `changed_after` (a marker column both hold, e.g. `_stage_assigned_at`), every row
    sharing `key` with a row whose marker is newer than any the model holds instead; all rows
    while the model does not hold that column yet.
    Used as the body of a CTE.
#}
{% macro rows_to_rebuild(relation, key, changed_after=none, held_span=none, day=none) -%}
    {%- if is_incremental() and (changed_after is none or relation_has_column(this, changed_after)) %}
    select {{ relation }}.*
    from {{ relation }}
    inner join (
        {%- if changed_after is none %}
        select distinct {{ key }}
        from {{ relation }}
        where _loaded_at > (
            {{ reprocess_loaded_after() }}
        )
        {%- if held_span is not none %}
        union
        {{ keys_near_redelivered_days(relation, key, held_span, day) }}
        {%- endif %}
        {%- else %}
        select distinct {{ key }}
        from {{ relation }}
        where {{ changed_after }} > (select max({{ changed_after }}) from {{ this }})
        {%- endif %}
    ) as keys_to_rebuild
        on keys_to_rebuild.{{ key }} = {{ relation }}.{{ key }}
    {%- else %}
    select * from {{ relation }}
    {%- endif %}
{%- endmacro %}


{#
    The keys the model holds a row for within a day of a day (`day`, an expression of
    `relation`) that a corrected re-delivery loaded after var('late_data_lookback_days')
    before the newest load here brought rows for; `held_span` names the first and last time
    columns of a held row. A select.
#}
{% macro keys_near_redelivered_days(relation, key, held_span, day) -%}
    -- a day of margin each side: export days are local, the held times UTC
    select distinct held.{{ key }}
    from {{ this }} as held
    inner join (
        select distinct {{ day }} as reloaded_day
        from {{ relation }}
        where _loaded_at > (
            {{ reprocess_loaded_after() }}
        )
            and _load_id in (
                select superseded_by from {{ source('audit', 'load_ledger') }} where superseded_by is not null
            )
    ) as reloaded_days
        on reloaded_days.reloaded_day between cast(held.{{ held_span[0] }} as date) - 1
            and cast(held.{{ held_span[1] }} as date) + 1
{%- endmacro %}
