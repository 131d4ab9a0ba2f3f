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

touches as not materialized (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

allocated_spend as (
    select * from {{ ref('int_spend__allocated_to_stages') }}
),

orders as (
    select customer_key, touched_at as ordered_at
    from touches
    where touch_type = 'order'
),

touches_with_conversion as (
    select
        touches.touchpoint_id,
        touches.channel_id,
        touches.stage,
        touches.customer_key,
        max(case when orders.ordered_at is not null then 1 else 0 end) = 1 as is_followed_by_order
    from touches
    left join orders
        on orders.customer_key = touches.customer_key
        and orders.ordered_at > touches.touched_at
        and orders.ordered_at <= {{ dbt.dateadd('day', var('conversion_window_days', 30), 'touches.touched_at') }}
    where touches.stage is not null
    group by touches.touchpoint_id, touches.channel_id, touches.stage, touches.customer_key
),

engagement as (
    select
        channel_id,
        stage,
        count(*) as touches,
        count(distinct customer_key) as reached_customers,
        count(distinct case when is_followed_by_order then customer_key end) as conversions
    from touches_with_conversion
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
