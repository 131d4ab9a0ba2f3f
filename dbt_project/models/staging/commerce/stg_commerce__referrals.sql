-- One row per referral: a customer (referrer) inviting someone (referee).
with

source as (
    select * from {{ source('commerce', 'referrals') }}
),

renamed as (
    select
        referral_id,
        referred_at,
        referrer_customer_id,
        referrer_email_hash,
        referee_email_hash,
        referral_code,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('referred_at') }} as reporting_date
    from renamed
),

final as (
    select * from dated
)

select * from final
