{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='customer_key',
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where customer_key not in (select distinct customer_key from {{ ref('int_touchpoints__stage_assigned') }})"
    )
}}
-- One row per stitched customer (int_customers__identity): first touch, first purchase,
-- the furthest journey stage reached, orders and revenue.
-- Incremental: every customer int_touchpoints__stage_assigned rebuilt since this table's
-- last run (a newer _stage_assigned_at) is recomputed; customers left without a touch are
-- deleted by the post-hook.
with

all_touches as not materialized (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

touches as (
    {{ rows_to_rebuild('all_touches', 'customer_key', changed_after='_stage_assigned_at') }}
),

stages as not materialized (
    select * from {{ ref('journey_stages') }}
),

-- Per customer: totals, their first touch's number and the highest stage rank reached.
-- Aggregates joined back, not a row_number per customer in two orders: each window sorted
-- every touch of the rebuilt customers (BENCHMARKS.md, "Four downstream models sort less").
customer_totals as (
    select
        touches.customer_key,
        max(touches.customer_id) as customer_id,
        min(touches.touched_at) as first_touch_at,
        max(touches.touched_at) as last_touch_at,
        min(case when touches.is_first_purchase then touches.touched_at end) as first_purchase_at,
        max(case when touches.bought_before_data then 1 else 0 end) = 1 as bought_before_data,
        count(*) as touches,
        sum(case when touches.touch_type = 'order' then 1 else 0 end) as orders,
        coalesce(sum(case when touches.touch_type = 'order' then touches.revenue_usd end), 0) as revenue_usd,
        max(touches._stage_assigned_at) as _stage_assigned_at,
        min(touches.customer_touch_number) as first_touch_number,
        max(stages.stage_rank) as furthest_stage_rank
    from touches
    left join stages
        on stages.stage = touches.stage
    group by touches.customer_key
),

-- customer_touch_number is unique per customer: the stage model numbers each customer's
-- touches 1..n (not tested on its own; a repeat would fail dim_customers' unique test)
first_touches as (
    select touches.customer_key, touches.channel_id, touches.touch_type
    from touches
    inner join customer_totals
        on customer_totals.customer_key = touches.customer_key
        and customer_totals.first_touch_number = touches.customer_touch_number
),

-- the furthest stage: stage_rank is unique per stage (seeds/_seeds.yml)
furthest_stages as (
    select customer_totals.customer_key, stages.stage
    from customer_totals
    inner join stages
        on stages.stage_rank = customer_totals.furthest_stage_rank
),

-- the stage is entered at its first touch, not at the furthest-ranked touch's time
stage_entries as (
    select customer_key, stage, min(touched_at) as entered_at
    from touches
    group by customer_key, stage
),

final as (
    select
        cast(customer_totals.customer_key as {{ dbt.type_string() }}) as customer_key,
        cast(customer_totals.customer_id as {{ dbt.type_string() }}) as customer_id,
        customer_totals.customer_id is not null as is_identified,
        customer_totals.bought_before_data,
        customer_totals.first_touch_at,
        cast(first_touches.channel_id as {{ dbt.type_string() }}) as first_touch_channel_id,
        cast(first_touches.touch_type as {{ dbt.type_string() }}) as first_touch_type,
        customer_totals.first_purchase_at,
        cast(furthest_stages.stage as {{ dbt.type_string() }}) as current_stage,
        stage_entries.entered_at as current_stage_entered_at,
        customer_totals.last_touch_at,
        cast(customer_totals.touches as {{ dbt.type_bigint() }}) as touches,
        cast(customer_totals.orders as {{ dbt.type_bigint() }}) as orders,
        cast(customer_totals.revenue_usd as {{ money_type() }}) as revenue_usd,
        customer_totals._stage_assigned_at
    from customer_totals
    inner join first_touches
        on first_touches.customer_key = customer_totals.customer_key
    inner join furthest_stages
        on furthest_stages.customer_key = customer_totals.customer_key
    left join stage_entries
        on stage_entries.customer_key = furthest_stages.customer_key
        and stage_entries.stage = furthest_stages.stage
)

select * from final
