-- One row per GA4 event. The loader already flattened event_params into columns and turned
-- the microsecond event_timestamp into a TIMESTAMPTZ; here: names, the page path, seconds.
with

source as (
    select * from {{ source('ga4', 'events') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['user_pseudo_id', 'event_timestamp', 'event_name', 'event_bundle_sequence_id']) }} as event_key,
        event_date as property_date,
        event_timestamp as event_at,
        event_name,
        event_bundle_sequence_id,
        user_pseudo_id,
        user_id,
        ga_session_id,
        {{ generate_surrogate_key(['user_pseudo_id', 'ga_session_id']) }} as session_key,
        ga_session_number as session_number,
        page_location,
        regexp_replace(
            regexp_replace(page_location, '^[a-zA-Z]+://[^/]+', ''),
            '[?#].*$', ''
        ) as page_path,
        page_referrer,
        lower(source) as traffic_source,
        lower(medium) as traffic_medium,
        campaign as traffic_campaign,
        gclid,
        lower(first_touch_source) as first_touch_source,
        lower(first_touch_medium) as first_touch_medium,
        first_touch_campaign,
        transaction_id,
        purchase_revenue as purchase_revenue_local,
        currency as currency_code,
        cast(engagement_time_msec as {{ dbt.type_numeric() }}) / 1000 as engagement_time_seconds,
        platform,
        device_category,
        country,
        event_params,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('event_at') }} as reporting_date
    from renamed
),

converted_to_reporting_currency as (
    select
        *,
        {{ to_reporting_currency('purchase_revenue_local', 'currency_code', 'reporting_date') }} as purchase_revenue_usd
    from dated
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
