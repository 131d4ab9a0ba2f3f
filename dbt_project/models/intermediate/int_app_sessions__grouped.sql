{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='appsflyer_id',
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where appsflyer_id not in (select distinct appsflyer_id from {{ ref('stg_mmp__in_app_events') }} where appsflyer_id is not null)"
    )
}}
-- AppsFlyer in-app events grouped into app sessions: a new session starts after 30 minutes
-- without an event from the same install (the usual mobile-analytics session timeout).
-- One person-level app touch per session, like one web touch per GA4 session.
-- Incremental by install: session numbers count from an install's first event, so a run
-- re-sessions every install with an event staged within var('late_data_lookback_days') of
-- the newest load here, and every install with a session held here within a day of a day
-- such a load brought events for (a corrected re-delivery may remove all of an install's
-- events of that day), from all of its events (delete+insert on appsflyer_id); installs
-- whose every event a re-delivery removed are dropped by the post-hook.
with

all_app_events as not materialized (
    select * from {{ ref('stg_mmp__in_app_events') }}
),

app_events as (
    {{ rows_to_rebuild('all_app_events', 'appsflyer_id',
                       held_span=('session_started_at', 'session_ended_at'), day='cast(event_at as date)') }}
),

gaps_marked as (
    select
        *,
        case
            when lag(event_at) over (partition by appsflyer_id order by event_at, in_app_event_key) is null
                or event_at > {{ dbt.dateadd('minute', 30, "lag(event_at) over (partition by appsflyer_id order by event_at, in_app_event_key)") }}
                then 1
            else 0
        end as starts_session
    from app_events
),

numbered as (
    select
        *,
        sum(starts_session) over (
            partition by appsflyer_id
            order by event_at, in_app_event_key
            rows between unbounded preceding and current row
        ) as app_session_number
    from gaps_marked
),

ordered_within_session as (
    select
        *,
        row_number() over (
            partition by appsflyer_id, app_session_number
            order by event_at, in_app_event_key
        ) as event_rank
    from numbered
),

aggregated_to_sessions as (
    select
        {{ generate_surrogate_key(['appsflyer_id', 'app_session_number']) }} as app_session_key,
        appsflyer_id,
        app_session_number,
        max(customer_user_id) as customer_user_id,
        min(event_at) as session_started_at,
        max(event_at) as session_ended_at,
        count(*) as events,
        max(case when event_name = 'af_purchase' then 1 else 0 end) = 1 as has_purchase,
        max(media_source) as media_source,
        max(case when event_rank = 1 then _source_file end) as _source_file,
        max(case when event_rank = 1 then _load_id end) as _load_id,
        max(_loaded_at) as _loaded_at
    from ordered_within_session
    group by appsflyer_id, app_session_number
),

final as (
    select
        *,
        {{ to_reporting_date('session_started_at') }} as reporting_date
    from aggregated_to_sessions
)

select * from final
