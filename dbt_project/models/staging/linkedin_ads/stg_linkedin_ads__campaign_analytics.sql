-- One row per LinkedIn campaign and day. The export's dates are UTC days ("Start Date (in
-- UTC)"), whatever the account's own zone.
{% set report_timezone = "'UTC'" %}

with

source as (
    select * from {{ source('linkedin_ads', 'campaign_analytics') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['date', 'campaign_id']) }} as campaign_analytics_key,
        account_name,
        campaign_group_name,
        campaign_id,
        campaign_name,
        campaign_type,
        date as report_date,
        currency as currency_code,
        total_spent as spend_local,
        impressions,
        clicks,
        conversions,
        leads,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ local_day_start_utc('report_date', report_timezone) }} as report_day_started_at,
        {{ local_day_to_reporting_date('report_date', report_timezone) }} as reporting_date
    from renamed
),

converted_to_reporting_currency as (
    select
        *,
        {{ to_reporting_currency('spend_local', 'currency_code', 'reporting_date') }} as spend_usd
    from dated
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
