-- One row per Google Ads campaign and account day. Cost arrives in micros.
with

source as (
    select * from {{ source('google_ads', 'campaign_stats') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['date', 'campaign_id']) }} as campaign_stat_key,
        customer_id as account_id,
        account_name,
        campaign_id,
        campaign_name,
        advertising_channel_type as campaign_type,
        date as report_date,
        time_zone as account_timezone,
        currency_code,
        impressions,
        clicks,
        cast({{ micros_to_units('cost_micros') }} as {{ amount_type() }}) as cost_local,
        conversions,
        conversions_value as conversions_value_local,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ local_day_start_utc('report_date', 'account_timezone') }} as report_day_started_at,
        {{ local_day_to_reporting_date('report_date', 'account_timezone') }} as reporting_date
    from renamed
),

converted_to_reporting_currency as (
    select
        *,
        {{ to_reporting_currency('cost_local', 'currency_code', 'reporting_date') }} as cost_usd,
        {{ to_reporting_currency('conversions_value_local', 'currency_code', 'reporting_date') }} as conversions_value_usd
    from dated
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
