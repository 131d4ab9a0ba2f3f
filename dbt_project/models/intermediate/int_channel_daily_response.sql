-- The panel the response curves are fitted on: one row per spending channel and day, from the
-- first to the last day with any spend, with the channel's USD spend and its measured daily
-- outcome (docs/budget_models.md):
--   new_people      customers whose first touch (is_first_touch: no sign of earlier history)
--                   is on the channel that day: paid media, content (blog landings) and event
--                   badge scans
--   email_clickers  distinct customers who clicked an e-mail that day
--   NULL            no person-level outcome in the warehouse: TV/radio/print viewers arrive
--                   as direct/organic visits that cannot be told apart from other direct
--                   traffic, and webinars have no acquisition role; their curves are flagged
--                   not identifiable
with

spend as (
    select * from {{ ref('int_spend__unioned') }}
),

touches as not materialized (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

calendar as (
    select * from {{ ref('int_calendar__days') }}
),

spend_per_channel_day as (
    select channel_id, spend_date, sum(spend_usd) as spend_usd
    from spend
    group by channel_id, spend_date
),

panel_range as (
    select min(spend_date) as first_date, max(spend_date) as last_date
    from spend_per_channel_day
),

channels as (
    select
        channel_id,
        case
            when channel_id in ('google_ads', 'meta_ads', 'linkedin_ads', 'tiktok_ads', 'content', 'events')
                then 'new_people'
            when channel_id = 'email' then 'email_clickers'
        end as outcome_unit
    from spend_per_channel_day
    group by channel_id
),

channel_days as (
    select channels.channel_id, channels.outcome_unit, calendar.date_day as response_date
    from channels
    cross join panel_range
    inner join calendar
        on calendar.date_day between panel_range.first_date and panel_range.last_date
),

new_people_per_day as (
    select channel_id, reporting_date, count(distinct customer_key) as outcomes
    from touches
    where is_first_touch
    group by channel_id, reporting_date
),

email_clickers_per_day as (
    select reporting_date, count(distinct customer_key) as outcomes
    from touches
    where touch_type = 'email_click'
    group by reporting_date
),

final as (
    select
        channel_days.response_date,
        cast(channel_days.channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(coalesce(spend_per_channel_day.spend_usd, 0) as {{ money_type() }}) as spend_usd,
        cast(channel_days.outcome_unit as {{ dbt.type_string() }}) as outcome_unit,
        cast(case
            when channel_days.outcome_unit = 'new_people' then coalesce(new_people_per_day.outcomes, 0)
            when channel_days.outcome_unit = 'email_clickers' then coalesce(email_clickers_per_day.outcomes, 0)
        end as {{ dbt.type_bigint() }}) as outcomes
    from channel_days
    left join spend_per_channel_day
        on spend_per_channel_day.channel_id = channel_days.channel_id
        and spend_per_channel_day.spend_date = channel_days.response_date
    left join new_people_per_day
        on new_people_per_day.channel_id = channel_days.channel_id
        and new_people_per_day.reporting_date = channel_days.response_date
    left join email_clickers_per_day
        on channel_days.channel_id = 'email'
        and email_clickers_per_day.reporting_date = channel_days.response_date
)

select * from final
