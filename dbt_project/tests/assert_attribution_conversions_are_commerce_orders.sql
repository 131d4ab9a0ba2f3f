-- mart_attribution's conversions are exactly the orders in raw.commerce__orders: each order
-- once, no other conversions (ad platforms' self-reported conversions never come in).
-- Returns the order ids on one side only.
with

orders as (
    select distinct cast(order_id as {{ dbt.type_string() }}) as order_id
    from {{ source('commerce', 'orders') }}
),

conversions as (
    select distinct conversion_id
    from {{ ref('mart_attribution') }}
),

compared as (
    select
        coalesce(orders.order_id, conversions.conversion_id) as order_id,
        orders.order_id is not null as is_commerce_order,
        conversions.conversion_id is not null as is_attributed_conversion
    from orders
    full outer join conversions
        on conversions.conversion_id = orders.order_id
)

select *
from compared
where not (is_commerce_order and is_attributed_conversion)
