{#
    The time span an incremental run's rebuilt keys have rows in, as two SQL timestamp
    literals (lo, hi), or none when it cannot bound them. A model that rebuilds every key
    (a session) with a row loaded after `reprocess_loaded_after()`, from all of that key's
    rows, finds those rows by a join over the whole relation; the rows lie among the new rows
    or within the span `held_span` (its first and last time columns) the model holds for the
    key, so a filter `time_column between lo and hi` on the relation finds the same rows. As
    literals, DuckDB skips the row groups outside them by their min/max (a scalar subquery
    skips nothing): on a year of GA4, web sessions' select 0.50-0.60 s -> 0.14-0.22 s
    (BENCHMARKS.md, "Web sessions scan the time span of the sessions they re-group").
    Run when the model compiles. None (no filter) on a full build, in unit tests (`this` is a
    fixture), when the model holds no rows, without new rows, when a new row has no time,
    and when a new row comes from a corrected re-delivery: it rebuilds held keys near the
    days it brought, whose spans this does not cover (macros/rows_to_rebuild.sql).
#}
{% macro rebuild_time_span(relation, key, time_column, held_span) -%}
    {%- if not execute or not is_incremental() or this is none or this is string -%}
        {{ return(none) }}
    {%- endif -%}
    {#- the cutoff as a literal too: a scalar subquery in the filter read every row's
        _loaded_at (10M GA4 events at a year: 0.13-0.24 s warm, 0.67 s in a build), the
        literal only the newest row groups' (0.06 s; BENCHMARKS.md, "Three cuts in what grows
        with history") -#}
    {%- set cutoff = run_query(reprocess_loaded_after()).rows[0][0] -%}
    {%- if cutoff is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set span_sql -%}
        with new_rows as (
            select {{ key }}, {{ time_column }} as row_time, _load_id
            from {{ relation }}
            where _loaded_at > cast('{{ cutoff.isoformat() }}' as timestamp with time zone)
        )
        select
            (select min(row_time) from new_rows) as new_from,
            (select max(row_time) from new_rows) as new_to,
            (select count(*) from new_rows) as new_rows,
            (select count(*) from new_rows where row_time is null) as untimed,
            (select count(*) from new_rows where _load_id in (
                select superseded_by from {{ source('audit', 'load_ledger') }} where superseded_by is not null
            )) as redelivered,
            min(held.{{ held_span[0] }}) as held_from,
            max(held.{{ held_span[1] }}) as held_to
        from {{ this }} as held
        where held.{{ key }} in (select {{ key }} from new_rows)
    {%- endset -%}
    {%- set row = run_query(span_sql).rows[0] -%}
    {%- if row[2] == 0 or row[3] > 0 or row[4] > 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set lo = [row[0], row[5]] | reject('none') | min -%}
    {%- set hi = [row[1], row[6]] | reject('none') | max -%}
    {{ return(("cast('" ~ lo.isoformat() ~ "' as timestamp with time zone)",
               "cast('" ~ hi.isoformat() ~ "' as timestamp with time zone)")) }}
{%- endmacro %}
