{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='session_key',
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where session_key in (select held.session_key from {{ this }} as held where held._load_id in (select load_id from {{ source('audit', 'load_ledger') }} where status = 'superseded') and not exists (select 1 from {{ ref('stg_ga4__events') }} as events where events.session_key = held.session_key))"
    )
}}
-- GA4 events grouped into web sessions (user_pseudo_id × ga_session_id), with the session's
-- traffic source/medium, its landing page and the registry channel that owns that traffic.
-- Incremental: a run re-groups every session with an event staged within
-- var('late_data_lookback_days') of the newest load here, and every session held here within
-- a day of a date a corrected re-delivery among those loads brought events for, from all of
-- that session's events (a session can span two daily files: a re-delivery of one day may
-- remove all of a session's events of that day and leave the other day's). A run without
-- re-deliveries reads only the events within the time span of those sessions
-- (macros/rebuild_time_span.sql). Sessions whose every event a re-delivery removed are
-- dropped by the post-hook, which looks only at held sessions whose first event (_load_id)
-- came in a superseded load: events leave staging only with their load's supersession (the
-- publisher), so a session left without events is among them, and a run without
-- re-deliveries skips the anti-join with every staged event (~0.5 s at a year). Changing
-- seeds/channel_source_mapping.csv needs a --full-refresh.
{%- set span = rebuild_time_span(ref('stg_ga4__events'), 'session_key', 'event_at',
                                 ('session_started_at', 'session_ended_at')) %}
with

all_events as not materialized (
    select * from {{ ref('stg_ga4__events') }}
    {%- if span %}
    -- the time span of the sessions this run re-groups
    where event_at between {{ span[0] }} and {{ span[1] }}
    {%- endif %}
),

events as (
    {{ rows_to_rebuild('all_events', 'session_key',
                       held_span=('session_started_at', 'session_ended_at'), day='property_date') }}
),

ordered_within_session as (
    select
        *,
        row_number() over (
            partition by session_key
            order by
                case when traffic_source is not null then 0 else 1 end,
                event_at,
                case event_name when 'session_start' then 0 when 'page_view' then 1 else 2 end
        ) as attribution_rank,
        row_number() over (
            partition by session_key
            order by
                case when page_path is not null then 0 else 1 end,
                event_at,
                case event_name when 'session_start' then 0 when 'page_view' then 1 else 2 end
        ) as landing_rank,
        row_number() over (partition by session_key order by event_at, event_key) as event_rank
    from events
),

aggregated_to_sessions as (
    select
        session_key,
        user_pseudo_id,
        ga_session_id,
        max(user_id) as user_id,
        min(event_at) as session_started_at,
        max(event_at) as session_ended_at,
        max(session_number) as session_number,
        max(case when event_name = 'first_visit' then 1 else 0 end) = 1 as is_first_visit,
        sum(case when event_name = 'page_view' then 1 else 0 end) as page_views,
        -- in DECIMAL: a warehouse staged before engagement seconds were exact holds them as
        -- DOUBLE, whose sum depends on the order DuckDB's threads add them in (two builds of
        -- the same data differed in the 14th digit)
        sum(cast(coalesce(engagement_time_seconds, 0) as decimal(38, 3))) as engagement_time_seconds,
        max(case when attribution_rank = 1 then traffic_source end) as traffic_source,
        max(case when attribution_rank = 1 then traffic_medium end) as traffic_medium,
        max(case when attribution_rank = 1 then traffic_campaign end) as traffic_campaign,
        max(case when attribution_rank = 1 then gclid end) as gclid,
        max(case when landing_rank = 1 then page_path end) as landing_page_path,
        max(case when event_rank = 1 then _source_file end) as _source_file,
        max(case when event_rank = 1 then _load_id end) as _load_id,
        max(_loaded_at) as _loaded_at
    from ordered_within_session
    group by session_key, user_pseudo_id, ga_session_id
),

assigned_to_channels as (
    {{ assign_channel_from_traffic_source(
        'aggregated_to_sessions', 'session_key', 'ga4',
        'traffic_source', 'traffic_medium', 'landing_page_path'
    ) }}
),

final as (
    select
        session_key,
        user_pseudo_id,
        ga_session_id,
        user_id,
        session_started_at,
        session_ended_at,
        {{ to_reporting_date('session_started_at') }} as reporting_date,
        session_number,
        is_first_visit,
        page_views,
        engagement_time_seconds,
        traffic_source,
        traffic_medium,
        traffic_campaign,
        gclid,
        landing_page_path,
        coalesce(channel_id, 'ga4') as channel_id,
        _source_file,
        _load_id,
        _loaded_at,
        -- when this run wrote the session: a session re-grouped from old events keeps its
        -- _loaded_at, so the uniqueness test finds the rows written since its last pass by
        -- this (macros/data_test_checkpoints.sql, "Tables rows leave")
        {{ next_rebuild_marker('_grouped_at') }} as _grouped_at
    from assigned_to_channels
)

select * from final
