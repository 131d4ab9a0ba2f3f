-- Budget pacing: per channel and month, finance's plan against actual spend and the month's
-- run-rate forecast.
--   as_of_date         the newest spend date in the warehouse (all channels): the data's today
--   month_status       closed (month ended on or before as_of_date) | in_progress | not_started
--   forecast_usd       closed: the actual; in progress: actual / days elapsed * days in month;
--                      not started: NULL
--   pace_ratio         forecast / plan
--   pacing_status      over_pace / under_pace beyond var('pacing_tolerance') of plan, on_pace,
--                      unplanned (spend without a plan line), no_spend_yet (month in progress)
-- The plan is the newest plan version finance delivered for each channel and month
-- (re-issued sheets replace earlier ones), in USD at the plan month's first-day fx rate.
{%- set tolerance = var('pacing_tolerance', 0.10) %}
with

plans as (
    select * from {{ ref('stg_finance__budget_plan') }}
),

spend as not materialized (
    select * from {{ ref('fct_spend_daily') }}
),

channels as (
    select * from {{ ref('dim_channels') }}
),

latest_plan_lines as (
    select
        channel_id,
        cast({{ dbt.date_trunc('month', 'plan_month') }} as date) as budget_month,
        plan_version,
        planned_amount_usd,
        row_number() over (
            partition by channel_id, {{ dbt.date_trunc('month', 'plan_month') }}
            order by _loaded_at desc, plan_version desc
        ) as version_rank
    from plans
),

plan as (
    select channel_id, budget_month, plan_version, planned_amount_usd as plan_usd
    from latest_plan_lines
    where version_rank = 1
),

actual as (
    select
        channel_id,
        cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as budget_month,
        sum(spend_usd) as actual_usd
    from spend
    group by 1, 2
),

as_of as (
    select max(spend_date) as as_of_date from spend
),

channel_months as (
    select channel_id, budget_month from plan
    union
    select channel_id, budget_month from actual
),

cells as (
    select
        channel_months.channel_id,
        channel_months.budget_month,
        as_of.as_of_date,
        plan.plan_version,
        plan.plan_usd,
        coalesce(actual.actual_usd, 0) as actual_usd,
        {{ dbt.datediff('channel_months.budget_month', dbt.dateadd('month', 1, 'channel_months.budget_month'), 'day') }} as days_in_month,
        {{ dbt.datediff('channel_months.budget_month', 'as_of.as_of_date', 'day') }} + 1 as days_since_month_start
    from channel_months
    cross join as_of
    inner join channels
        on channels.channel_id = channel_months.channel_id
        and channels.is_marketing_channel
    left join plan
        on plan.channel_id = channel_months.channel_id
        and plan.budget_month = channel_months.budget_month
    left join actual
        on actual.channel_id = channel_months.channel_id
        and actual.budget_month = channel_months.budget_month
    -- a plan for the months ahead is not pacing yet; months that started are
    where channel_months.budget_month <= as_of.as_of_date
),

paced as (
    select
        *,
        case
            when days_since_month_start >= days_in_month then 'closed'
            else 'in_progress'
        end as month_status,
        case
            when days_since_month_start >= days_in_month then days_in_month
            else days_since_month_start
        end as days_elapsed
    from cells
),

forecast as (
    select
        *,
        -- rounded to the cent here, so the variance is a difference of cents on every warehouse
        cast(
            case
                when month_status = 'closed' then actual_usd
                else actual_usd * days_in_month / days_elapsed
            end as {{ money_type() }}
        ) as forecast_usd,
        case when plan_usd is not null then plan_usd * days_elapsed / days_in_month end as plan_to_date_usd
    from paced
),

final as (
    select
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        budget_month,
        as_of_date,
        cast(month_status as {{ dbt.type_string() }}) as month_status,
        cast(days_in_month as integer) as days_in_month,
        cast(days_elapsed as integer) as days_elapsed,
        cast(plan_version as {{ dbt.type_string() }}) as plan_version,
        cast(plan_usd as {{ money_type() }}) as plan_usd,
        cast(plan_to_date_usd as {{ money_type() }}) as plan_to_date_usd,
        cast(actual_usd as {{ money_type() }}) as actual_usd,
        cast(forecast_usd as {{ money_type() }}) as forecast_usd,
        cast(forecast_usd - plan_usd as {{ money_type() }}) as forecast_variance_usd,
        cast(forecast_usd / nullif(plan_usd, 0) as decimal(12, 6)) as pace_ratio,
        cast(
            case
                when plan_usd is null then 'unplanned'
                when month_status = 'in_progress' and actual_usd = 0 and plan_usd > 0 then 'no_spend_yet'
                when forecast_usd > plan_usd * (1 + {{ tolerance }}) then 'over_pace'
                when forecast_usd < plan_usd * (1 - {{ tolerance }}) then 'under_pace'
                else 'on_pace'
            end as {{ dbt.type_string() }}
        ) as pacing_status,
        cast(plan_usd is not null and forecast_usd > plan_usd * (1 + {{ tolerance }}) as boolean) as is_over_pace,
        cast(plan_usd is not null and forecast_usd < plan_usd * (1 - {{ tolerance }}) as boolean) as is_under_pace
    from forecast
)

select * from final
