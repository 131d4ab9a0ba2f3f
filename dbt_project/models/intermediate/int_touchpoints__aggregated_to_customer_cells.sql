{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['customer_key', 'channel_id', 'stage'],
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} where customer_key not in (select distinct customer_key from {{ ref('int_touchpoints__stage_assigned') }})",
            after_commit("delete from {{ this }} where touches is null"),
        ]
    )
}}
-- One row per customer × channel × journey stage they touched: the touches, and whether any
-- of them was followed by the customer's order within var('conversion_window_days'). What
-- mart_channel_stage_matrix adds up per cell (reached customers are this model's rows), so
-- the mart's daily run reads ~one row per customer and cell instead of every touch joined with
-- the customer's orders (BENCHMARKS.md). A customer's cells depend only on their own touches
-- and orders: incremental by customer, re-read whole when int_touchpoints__stage_assigned
-- rebuilt any of their touches (a newer _stage_assigned_at, as fct_touchpoints). Of such a
-- customer's cells only those that changed are written, and a tombstone for a cell gone
-- (macros/changed_rows.sql), which the second post-hook deletes after the commit; a customer
-- left without any touch is deleted by the first.
with

touches as not materialized (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

touches_to_process as (
    {{ rows_to_rebuild('touches', 'customer_key', changed_after='_stage_assigned_at') }}
),

orders as (
    select customer_key, touched_at as ordered_at
    from touches_to_process
    where touch_type = 'order'
),

-- Whether an order of the customer's follows the touch within the window: a semi-join, so a
-- touch matching several orders is not copied and grouped back by touchpoint_id (BENCHMARKS.md,
-- "Four downstream models sort less").
touches_with_conversion as (
    select
        touches_to_process.customer_key,
        touches_to_process.channel_id,
        touches_to_process.stage,
        touches_to_process._stage_assigned_at,
        case when exists (
            select 1
            from orders
            where orders.customer_key = touches_to_process.customer_key
                and orders.ordered_at > touches_to_process.touched_at
                and orders.ordered_at <= {{ dbt.dateadd('day', var('conversion_window_days', 30), 'touches_to_process.touched_at') }}
        ) then 1 else 0 end as is_followed_by_order
    from touches_to_process
    where touches_to_process.stage is not null
),

cells as (
    select
        customer_key,
        channel_id,
        stage,
        count(*) as touches,
        max(is_followed_by_order) = 1 as is_converted,
        max(_stage_assigned_at) as _stage_assigned_at
    from touches_with_conversion
    group by customer_key, channel_id, stage
),

{% if is_incremental() %}
-- the held cells of the customers recomputed (every touch has a stage, a not-null test, so
-- they are the customers in `cells`; reading touches_to_process again would copy their touches)
held_cells as (
    select *
    from {{ this }}
    where customer_key in (select customer_key from cells)
),

final as (
    {{ changed_rows('cells', 'held_cells', ['customer_key', 'channel_id', 'stage'],
                    ['customer_key', 'channel_id', 'stage', 'touches', 'is_converted', '_stage_assigned_at']) }}
)
{% else %}
final as (
    select * from cells
)
{% endif %}

select * from final
