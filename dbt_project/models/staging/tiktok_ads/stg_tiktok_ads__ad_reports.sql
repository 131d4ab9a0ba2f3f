-- One row per TikTok ad and report period (a day, or an hour in the hourly shape). Report
-- times are wall-clock times in the advertiser's zone, carried in account_timezone.
with

source as (
    select * from {{ source('tiktok_ads', 'ad_reports') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['stat_time', 'ad_id']) }} as ad_report_key,
        advertiser_id,
        campaign_id,
        campaign_name,
        adgroup_name,
        ad_id,
        ad_name,
        stat_time as stat_local_time,
        stat_date as report_date,
        account_timezone,
        currency as currency_code,
        spend as spend_local,
        impressions,
        clicks,
        reach,
        conversion as conversions,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ local_to_utc('stat_local_time', 'account_timezone') }} as stat_started_at,
        {{ local_day_to_reporting_date('report_date', 'account_timezone') }} as reporting_date
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
