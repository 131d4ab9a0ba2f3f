-- Channel × journey stage over the whole history: spend (allocated to stages, see
-- int_spend__allocated_to_stages), person-level touches, customers reached, conversions
-- (reached customers who placed an order within var('conversion_window_days') after a touch
-- in that cell) and the cell's share of all spend and of all engagement (touches).
-- Shares are over marketing channels only; commerce (outcomes) and finance rows show NULL.
with

channels as (
    select * from {{ ref('dim_channels') }}
),

stages as (
    select * from {{ ref('journey_stages') }}
),

customer_cells as (
    select * from {{ ref('int_touchpoints__aggregated_to_customer_cells') }}
),

allocated_spend as (
    select * from {{ ref('int_spend__allocated_to_stages') }}
),

-- reached customers: one row per customer in a cell; conversions: those whose touch in the
-- cell was followed by an order (int_touchpoints__aggregated_to_customer_cells)
engagement as (
    select
        channel_id,
        stage,
        sum(touches) as touches,
        count(*) as reached_customers,
        sum(case when is_converted then 1 else 0 end) as conversions
    from customer_cells
    group by channel_id, stage
),

spend as (
    select channel_id, stage, sum(spend_usd) as spend_usd
    from allocated_spend
    group by channel_id, stage
),

cells as (
    select
        channels.channel_id,
        channels.is_marketing_channel,
        stages.stage,
        stages.stage_rank,
        coalesce(spend.spend_usd, 0) as spend_usd,
        coalesce(engagement.touches, 0) as touches,
        coalesce(engagement.reached_customers, 0) as reached_customers,
        coalesce(engagement.conversions, 0) as conversions
    from channels
    cross join stages
    left join spend
        on spend.channel_id = channels.channel_id
        and spend.stage = stages.stage
    left join engagement
        on engagement.channel_id = channels.channel_id
        and engagement.stage = stages.stage
),

with_shares as (
    select
        *,
        case when is_marketing_channel then
            spend_usd / nullif(sum(case when is_marketing_channel then spend_usd end) over (), 0)
        end as spend_share,
        case when is_marketing_channel then
            1.0 * touches / nullif(sum(case when is_marketing_channel then touches end) over (), 0)
        end as engagement_share
    from cells
),

final as (
    select
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_rank as integer) as stage_rank,
        is_marketing_channel,
        cast(spend_usd as {{ money_type() }}) as spend_usd,
        cast(touches as {{ dbt.type_bigint() }}) as touches,
        cast(reached_customers as {{ dbt.type_bigint() }}) as reached_customers,
        cast(conversions as {{ dbt.type_bigint() }}) as conversions,
        cast(spend_share as decimal(12, 6)) as spend_share,
        cast(engagement_share as decimal(12, 6)) as engagement_share,
        cast(spend_usd / nullif(touches, 0) as {{ money_type() }}) as spend_per_touch_usd
    from with_shares
)

select * from final
