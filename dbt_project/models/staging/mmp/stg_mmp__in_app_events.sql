-- One row per in-app event. Revenue is in the user's own currency (USD, EUR, GBP mixed).
with

source as (
    select * from {{ source('mmp', 'in_app_events') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['appsflyer_id', 'event_time', 'event_name']) }} as in_app_event_key,
        appsflyer_id,
        customer_user_id,
        event_time as event_at,
        event_name,
        event_value,
        event_revenue as event_revenue_local,
        event_revenue_currency as currency_code,
        media_source,
        campaign,
        platform,
        app_id,
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
        {{ to_reporting_currency('event_revenue_local', 'currency_code', 'reporting_date') }} as event_revenue_usd
    from dated
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
