{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='_load_id',
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where _load_id not in (select distinct _load_id from {{ source('mmp', 'in_app_events') }})"
    )
}}
-- One row per in-app event. Revenue is in the user's own currency (USD, EUR, GBP mixed).
-- An incremental table by whole load, like stg_ga4__events (see its header).
with

{% if is_incremental() %}
reprocess_since as (
    {{ reprocess_loaded_after() }}
),

{{ loads_to_restage(source('mmp', 'in_app_events'), money='event_revenue',
                   currency='event_revenue_currency', day='cast(event_time as date)',
                   staged_local='event_revenue_local', staged_usd='event_revenue_usd') }}
{% endif %}

source as (
    select * from {{ source('mmp', 'in_app_events') }}
    {% if is_incremental() %}
    where _load_id in (select _load_id from loads_to_process)
    {% endif %}
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
