-- One row per conversion: every order in our own commerce data, once. An order is one
-- conversion however many channels touched it or how many ad platforms claim it (their own
-- conversion counts stay in mart_platform_reported_conversions and never come in here).
-- conversion_type follows the journey-stage logic (int_touchpoints__stage_assigned): the
-- customer's first order is a first purchase unless they were a customer before the data.
with

touches as (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

orders as (
    select
        order_id,
        customer_key,
        touched_at,
        reporting_date,
        is_first_purchase,
        revenue_usd,
        row_number() over (partition by order_id order by touched_at, touchpoint_id) as order_row_number
    from touches
    where touch_type = 'order'
),

-- an order arrives once per order_id; keep one row even if a re-delivery ever doubled it
deduplicated as (
    select * from orders
    where order_row_number = 1
),

final as (
    select
        cast(order_id as {{ dbt.type_string() }}) as conversion_id,
        cast(customer_key as {{ dbt.type_string() }}) as customer_key,
        touched_at as converted_at,
        reporting_date as conversion_date,
        cast(case when is_first_purchase then 'first_purchase' else 'repeat_purchase' end
             as {{ dbt.type_string() }}) as conversion_type,
        cast(revenue_usd as {{ money_type() }}) as revenue_usd
    from deduplicated
)

select * from final
