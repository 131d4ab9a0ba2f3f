-- One row per Meta ad set and account day (Europe/Berlin account). Numbers arrived as strings
-- and were typed by the loader; `actions` stays JSON.
{% set account_timezone = "'Europe/Berlin'" %}

with

source as (
    select * from {{ source('meta_ads', 'ads_insights') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['date_start', 'campaign_id', 'adset_id']) }} as ads_insight_key,
        account_id,
        account_name,
        campaign_id,
        campaign_name,
        adset_id,
        adset_name,
        date_start as report_date,
        date_stop as report_date_stop,
        account_currency as currency_code,
        impressions,
        reach,
        clicks,
        inline_link_clicks,
        spend as spend_local,
        purchases,
        purchase_value as purchase_value_local,
        actions,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ local_day_start_utc('report_date', account_timezone) }} as report_day_started_at,
        {{ local_day_to_reporting_date('report_date', account_timezone) }} as reporting_date
    from renamed
),

converted_to_reporting_currency as (
    select
        *,
        {{ to_reporting_currency('spend_local', 'currency_code', 'reporting_date') }} as spend_usd,
        {{ to_reporting_currency('purchase_value_local', 'currency_code', 'reporting_date') }} as purchase_value_usd
    from dated
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
