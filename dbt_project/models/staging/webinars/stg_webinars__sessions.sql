-- One row per webinar held, with its platform cost.
with

source as (
    select * from {{ source('webinars', 'sessions') }}
),

renamed as (
    select
        webinar_id,
        topic,
        start_time as started_at,
        duration_minutes,
        registrants,
        attendees,
        platform_cost as platform_cost_local,
        currency as currency_code,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('started_at') }} as reporting_date
    from renamed
),

converted_to_reporting_currency as (
    select
        *,
        {{ to_reporting_currency('platform_cost_local', 'currency_code', 'reporting_date') }} as platform_cost_usd
    from dated
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
