-- One row per product review by a customer.
with

source as (
    select * from {{ source('commerce', 'reviews') }}
),

renamed as (
    select
        review_id,
        created_at,
        customer_id,
        reviewer_email_hash,
        order_id,
        rating,
        title,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('created_at') }} as reporting_date
    from renamed
),

final as (
    select * from dated
)

select * from final
