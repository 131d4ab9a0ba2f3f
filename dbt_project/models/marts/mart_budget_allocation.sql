-- Budget allocation, first version: per month, marketing channel and journey stage, where
-- the money went (spend share) against where customers engaged (engagement share: share of
-- person-level touches), over marketing channels.
--   misallocation_index = spend_share - engagement_share   (percentage points / 100)
--     > 0: the cell gets more of the budget than of the engagement (over-funded)
--     < 0: customers engage here more than the money does (under-funded)
--   spend_to_engagement_ratio = spend_share / engagement_share (1 = in line; NULL without
--     engagement)
-- Stage spend comes from int_spend__allocated_to_stages (content by its target stage, other
-- channels by their touch mix that month, or evenly over their registry stages).
with

channels as (
    select * from {{ ref('dim_channels') }}
),

stages as (
    select * from {{ ref('journey_stages') }}
),

touches as (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

allocated_spend as (
    select * from {{ ref('int_spend__allocated_to_stages') }}
),

monthly_engagement as (
    select
        cast({{ dbt.date_trunc('month', 'reporting_date') }} as date) as budget_month,
        channel_id,
        stage,
        count(*) as touches,
        count(distinct customer_key) as reached_customers
    from touches
    where stage is not null
    group by 1, 2, 3
),

months as (
    select spend_month as budget_month from allocated_spend
    union
    select budget_month from monthly_engagement
),

cells as (
    select
        months.budget_month,
        channels.channel_id,
        stages.stage,
        stages.stage_rank,
        coalesce(allocated_spend.spend_usd, 0) as spend_usd,
        allocated_spend.allocation_basis,
        coalesce(monthly_engagement.touches, 0) as touches,
        coalesce(monthly_engagement.reached_customers, 0) as reached_customers
    from months
    cross join channels
    cross join stages
    left join allocated_spend
        on allocated_spend.spend_month = months.budget_month
        and allocated_spend.channel_id = channels.channel_id
        and allocated_spend.stage = stages.stage
    left join monthly_engagement
        on monthly_engagement.budget_month = months.budget_month
        and monthly_engagement.channel_id = channels.channel_id
        and monthly_engagement.stage = stages.stage
    where channels.is_marketing_channel
),

with_shares as (
    select
        *,
        coalesce(spend_usd / nullif(sum(spend_usd) over (partition by budget_month), 0), 0) as spend_share,
        coalesce(1.0 * touches / nullif(sum(touches) over (partition by budget_month), 0), 0) as engagement_share
    from cells
),

final as (
    select
        budget_month,
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_rank as integer) as stage_rank,
        cast(spend_usd as {{ money_type() }}) as spend_usd,
        cast(allocation_basis as {{ dbt.type_string() }}) as allocation_basis,
        cast(touches as {{ dbt.type_bigint() }}) as touches,
        cast(reached_customers as {{ dbt.type_bigint() }}) as reached_customers,
        cast(spend_share as decimal(12, 6)) as spend_share,
        cast(engagement_share as decimal(12, 6)) as engagement_share,
        cast(spend_share - engagement_share as decimal(12, 6)) as misallocation_index,
        cast(spend_share / nullif(engagement_share, 0) as decimal(18, 6)) as spend_to_engagement_ratio
    from with_shares
)

select * from final
