-- One row per support ticket (Zendesk).
with

source as (
    select * from {{ source('commerce', 'support_tickets') }}
),

renamed as (
    select
        ticket_id,
        created_at,
        requester_email_hash,
        customer_id,
        subject,
        lower(status) as status,
        lower(via_channel) as via_channel,
        lower(satisfaction_rating) as satisfaction_rating,
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
