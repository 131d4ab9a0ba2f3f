-- One row per campaign: every campaign that spent money (ad platform campaigns, e-mail
-- campaigns, webinars, events, content assets, offline flights) and every campaign a touch
-- names before its costs arrive (an event's badge scans come before its cost export).
with

spend as not materialized (
    select * from {{ ref('int_spend__unioned') }}
),

-- the stored touches, not the union view they are written from: the view re-reads every
-- touch source (e-mail activity, sessions, ...) to give the same campaign keys, 0.39 s
-- against 0.07 s at a year (BENCHMARKS.md, "Three cuts in what grows with history")
touches as (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

latest_names as (
    select
        campaign_key,
        campaign_name,
        campaign_type,
        -- spend_line_id breaks ties (an event's cost lines share date and load), so every
        -- warehouse picks the same name and type.
        row_number() over (
            partition by campaign_key order by spend_date desc, _loaded_at desc, spend_line_id desc
        ) as recency
    from spend
),

spend_totals as (
    select
        campaign_key,
        min(channel_id) as channel_id,
        min(campaign_id) as campaign_id,
        min(spend_date) as first_spend_date,
        max(spend_date) as last_spend_date,
        sum(spend_usd) as spend_usd
    from spend
    group by campaign_key
),

campaigns_from_spend as (
    select
        spend_totals.campaign_key,
        spend_totals.channel_id,
        spend_totals.campaign_id,
        latest_names.campaign_name,
        latest_names.campaign_type,
        spend_totals.first_spend_date,
        spend_totals.last_spend_date,
        spend_totals.spend_usd
    from spend_totals
    inner join latest_names
        on latest_names.campaign_key = spend_totals.campaign_key
        and latest_names.recency = 1
),

campaigns_only_touched as (
    select
        campaign_key,
        min(channel_id) as channel_id,
        min(campaign_id) as campaign_id,
        max(campaign_name) as campaign_name,
        cast(null as {{ dbt.type_string() }}) as campaign_type,
        cast(null as date) as first_spend_date,
        cast(null as date) as last_spend_date,
        0 as spend_usd
    from touches
    where campaign_key is not null
      and campaign_key not in (select campaign_key from spend_totals)
    group by campaign_key
),

unioned as (
    select * from campaigns_from_spend
    union all
    select * from campaigns_only_touched
),

final as (
    select
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(campaign_type as {{ dbt.type_string() }}) as campaign_type,
        first_spend_date,
        last_spend_date,
        cast(spend_usd as {{ money_type() }}) as spend_usd
    from unioned
)

select * from final
