-- One row per e-mail campaign send; the send's cost is the ESP's charge for it.
with

source as (
    select * from {{ source('email', 'campaigns') }}
),

renamed as (
    select
        campaign_id,
        campaign_name,
        subject_line,
        list_id,
        send_time as sent_at,
        emails_sent,
        send_cost as send_cost_local,
        currency as currency_code,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('sent_at') }} as reporting_date
    from renamed
),

converted_to_reporting_currency as (
    select
        *,
        {{ to_reporting_currency('send_cost_local', 'currency_code', 'reporting_date') }} as send_cost_usd
    from dated
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
