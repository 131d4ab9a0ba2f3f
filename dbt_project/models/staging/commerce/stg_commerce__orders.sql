-- One row per order (Shopify export).
with

source as (
    select * from {{ source('commerce', 'orders') }}
),

renamed as (
    select
        order_id,
        order_name,
        customer_id,
        email_hash,
        created_at as ordered_at,
        lower(financial_status) as financial_status,
        currency as currency_code,
        subtotal as subtotal_local,
        shipping as shipping_local,
        taxes as taxes_local,
        total as total_local,
        nullif(discount_code, '') as discount_code,
        lower(source_name) as order_source,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('ordered_at') }} as reporting_date
    from renamed
),

converted_to_reporting_currency as (
    select
        *,
        {{ to_reporting_currency('subtotal_local', 'currency_code', 'reporting_date') }} as subtotal_usd,
        {{ to_reporting_currency('total_local', 'currency_code', 'reporting_date') }} as total_usd
    from dated
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
