{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='app_session_key',
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} where appsflyer_id not in (select distinct appsflyer_id from {{ ref('stg_mmp__in_app_events') }} where appsflyer_id is not null)",
            after_commit("delete from {{ this }} where events is null"),
        ]
    )
}}
-- AppsFlyer in-app events grouped into app sessions: a new session starts after 30 minutes
-- without an event from the same install (the usual mobile-analytics session timeout).
-- One person-level app touch per session, like one web touch per GA4 session.
-- Incremental by install: session numbers count from an install's first event, so a run
-- re-sessions every install with an event staged within var('late_data_lookback_days') of
-- the newest load here, and every install with a session held here within a day of a day
-- a corrected re-delivery among those loads brought events for (it may remove all of an
-- install's events of that day); installs whose every event a re-delivery removed are
-- dropped by the post-hook. An install of the first kind only gained events: its held
-- sessions that ended over 30 minutes before its first new event stay as they are (a later
-- event cannot join them, and their numbers do not move), and its events after them are
-- grouped again, numbered on from them. An install a re-delivery touched is grouped again
-- from its first event. Either way delete+insert on app_session_key writes the sessions
-- grouped again, and a tombstone (the key, no events) for each held session of theirs that
-- regrouping left out (a new event that bridges two sessions, a re-delivery that removed
-- one), which the second post-hook deletes after the commit. The kept sessions are not
-- written: one day at a year of history rewrote 174k sessions of 4.6k installs to change ~5k
-- (BENCHMARKS.md, "App sessions write only the sessions they group again").
with

all_app_events as not materialized (
    select * from {{ ref('stg_mmp__in_app_events') }}
),

{% if is_incremental() %}
newly_loaded as (
    select appsflyer_id, min(event_at) as first_new_event_at
    from all_app_events
    where _loaded_at > (
        {{ reprocess_loaded_after() }}
    )
    group by appsflyer_id
),

redelivered as (
    {{ keys_near_redelivered_days('all_app_events', 'appsflyer_id',
                                  ('session_started_at', 'session_ended_at'), 'cast(event_at as date)') }}
),

-- the first new event of an install that only gained events; null: grouped from the start
installs_to_rebuild as (
    select
        coalesce(newly_loaded.appsflyer_id, redelivered.appsflyer_id) as appsflyer_id,
        case when redelivered.appsflyer_id is null then newly_loaded.first_new_event_at end as resume_from
    from newly_loaded
    full outer join redelivered
        on redelivered.appsflyer_id = newly_loaded.appsflyer_id
),

kept_sessions as (
    select held.*
    from {{ this }} as held
    inner join installs_to_rebuild
        on installs_to_rebuild.appsflyer_id = held.appsflyer_id
    where held.session_ended_at < {{ dbt.dateadd('minute', -30, 'installs_to_rebuild.resume_from') }}
),

kept_per_install as (
    select appsflyer_id, count(*) as sessions_kept, max(session_ended_at) as kept_until
    from kept_sessions
    group by appsflyer_id
),

app_events as (
    select all_app_events.*, coalesce(kept_per_install.sessions_kept, 0) as sessions_kept
    from all_app_events
    inner join installs_to_rebuild
        on installs_to_rebuild.appsflyer_id = all_app_events.appsflyer_id
    left join kept_per_install
        on kept_per_install.appsflyer_id = all_app_events.appsflyer_id
    where kept_per_install.kept_until is null or all_app_events.event_at > kept_per_install.kept_until
),
{% else %}
app_events as (
    select all_app_events.*, 0 as sessions_kept
    from all_app_events
),
{% endif %}

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
        sessions_kept + sum(starts_session) over (
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

grouped as (
    select
        *,
        {{ to_reporting_date('session_started_at') }} as reporting_date
    from aggregated_to_sessions
),

{%- set columns = ['app_session_key', 'appsflyer_id', 'app_session_number', 'customer_user_id',
                   'session_started_at', 'session_ended_at', 'events', 'has_purchase', 'media_source',
                   '_source_file', '_load_id', '_loaded_at', 'reporting_date'] %}

final as (
    select {{ columns | join(', ') }} from grouped
    {%- if is_incremental() %}
    union all
    select
        held.app_session_key,
        {%- for column in columns[1:] %}
        null{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ this }} as held
    inner join installs_to_rebuild
        on installs_to_rebuild.appsflyer_id = held.appsflyer_id
    left join kept_per_install
        on kept_per_install.appsflyer_id = held.appsflyer_id
    left join grouped
        on grouped.appsflyer_id = held.appsflyer_id
        and grouped.app_session_number = held.app_session_number
    where (kept_per_install.kept_until is null or held.session_ended_at > kept_per_install.kept_until)
        and grouped.appsflyer_id is null
    {%- endif %}
)

select * from final
