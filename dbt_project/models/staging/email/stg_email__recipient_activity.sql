-- One row per recipient action on a campaign (sent, open, click, bounce, unsubscribe).
with

source as (
    select * from {{ source('email', 'recipient_activity') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['campaign_id', 'email_hash', 'action', 'occurred_at']) }} as recipient_activity_key,
        campaign_id,
        email_hash,
        lower(action) as action,
        occurred_at,
        url,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('occurred_at') }} as reporting_date
    from renamed
),

final as (
    select * from dated
)

select * from final
