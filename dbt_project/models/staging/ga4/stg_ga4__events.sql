{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='_load_id',
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where _load_id not in (select distinct _load_id from {{ source('ga4', 'events') }})"
    )
}}
-- One row per GA4 event. The loader already flattened event_params into columns and turned
-- the microsecond event_timestamp into a TIMESTAMPTZ; here: names, the page path, seconds.
--
-- One of the three staging tables (GA4 events, app events, e-mail activity; the other
-- staging models are views): the high-volume entities, where a view re-derived every row
-- for each of its tests and readers, so a daily run's cost grew with the history
-- (BENCHMARKS.md). Incremental by whole load (macros/loads_to_restage.sql): a run re-stages
-- every load published within var('late_data_lookback_days') of the newest load here, every
-- load holding a foreign-currency purchase on or after the earliest FX rate loaded in that
-- window, and every load that still has a purchase without a rate. Loads a corrected
-- re-delivery superseded are gone from raw, so the post-hook drops them here too.
-- A change of reporting time zone or currency needs a --full-refresh.
with

{% if is_incremental() %}
reprocess_since as (
    {{ reprocess_loaded_after() }}
),

{{ loads_to_restage(source('ga4', 'events'), money='purchase_revenue', currency='currency',
                   day='event_date', staged_local='purchase_revenue_local',
                   staged_usd='purchase_revenue_usd') }}
{% endif %}

source as (
    select * from {{ source('ga4', 'events') }}
    {% if is_incremental() %}
    where _load_id in (select _load_id from loads_to_process)
    {% endif %}
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
        -- exact: DuckDB divides decimals in DOUBLE (see macros/micros_to_units.sql)
        cast(engagement_time_msec as decimal(38, 0)) * 0.001 as engagement_time_seconds,
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
