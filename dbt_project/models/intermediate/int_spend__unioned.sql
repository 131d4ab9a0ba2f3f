-- Every channel's spend as one row per source line and day: ad platforms' daily rows as
-- they are; costs that cover a period (event days, content periods, offline flights) spread
-- evenly over its days, exact to the cent (remainder on the last day). Each day is in local
-- currency and in USD at that day's FX rate (as of the latest rate on or before it).
with

google_ads as (
    select * from {{ ref('stg_google_ads__campaign_stats') }}
),

meta_ads as (
    select * from {{ ref('stg_meta_ads__ads_insights') }}
),

linkedin_ads as (
    select * from {{ ref('stg_linkedin_ads__campaign_analytics') }}
),

tiktok_ads as (
    select * from {{ ref('stg_tiktok_ads__ad_reports') }}
),

email_campaigns as (
    select * from {{ ref('stg_email__campaigns') }}
),

webinar_sessions as (
    select * from {{ ref('stg_webinars__sessions') }}
),

event_costs as (
    select * from {{ ref('stg_events__event_costs') }}
),

content_costs as (
    select * from {{ ref('stg_content__production_costs') }}
),

agency_invoices as (
    select * from {{ ref('stg_offline__agency_invoices') }}
),

daily_platform_spend as (
    select
        'google_ads' as channel_id,
        campaign_stat_key as source_line_id,
        campaign_id,
        campaign_name,
        campaign_type,
        reporting_date as spend_date,
        currency_code,
        cost_local as spend_local,
        cost_usd as spend_usd,
        impressions,
        clicks,
        cast(null as {{ dbt.type_string() }}) as target_stage,
        _source_file, _load_id, _loaded_at
    from google_ads

    union all

    select
        'meta_ads', ads_insight_key, campaign_id, campaign_name, cast(null as {{ dbt.type_string() }}),
        reporting_date, currency_code, spend_local, spend_usd, impressions, clicks,
        cast(null as {{ dbt.type_string() }}),
        _source_file, _load_id, _loaded_at
    from meta_ads

    union all

    select
        'linkedin_ads', campaign_analytics_key, campaign_id, campaign_name, campaign_type,
        reporting_date, currency_code, spend_local, spend_usd, impressions, clicks,
        cast(null as {{ dbt.type_string() }}),
        _source_file, _load_id, _loaded_at
    from linkedin_ads

    union all

    select
        'tiktok_ads', ad_report_key, campaign_id, campaign_name, cast(null as {{ dbt.type_string() }}),
        reporting_date, currency_code, spend_local, spend_usd, impressions, clicks,
        cast(null as {{ dbt.type_string() }}),
        _source_file, _load_id, _loaded_at
    from tiktok_ads

    union all

    select
        'email', campaign_id, campaign_id, campaign_name, cast(null as {{ dbt.type_string() }}),
        reporting_date, currency_code, send_cost_local, send_cost_usd, null, null,
        cast(null as {{ dbt.type_string() }}),
        _source_file, _load_id, _loaded_at
    from email_campaigns

    union all

    select
        'webinars', webinar_id, webinar_id, topic, cast(null as {{ dbt.type_string() }}),
        reporting_date, currency_code, platform_cost_local, platform_cost_usd, null, null,
        cast(null as {{ dbt.type_string() }}),
        _source_file, _load_id, _loaded_at
    from webinar_sessions
),

period_costs as (
    select
        'events' as channel_id,
        cost_line_id as source_line_id,
        event_id as campaign_id,
        event_name as campaign_name,
        cost_category as campaign_type,
        event_start_date as period_start,
        event_end_date as period_end,
        currency_code,
        amount_local,
        cast(null as {{ dbt.type_string() }}) as target_stage,
        _source_file, _load_id, _loaded_at
    from event_costs

    union all

    select
        'content', entry_id, asset_id, asset_title, asset_type,
        period_start, period_end, currency_code, amount_local, target_stage,
        _source_file, _load_id, _loaded_at
    from content_costs

    union all

    select
        'offline', invoice_number, invoice_number,
        {{ dbt.concat(["media_type", "' - '", "vehicle", "' ('", "market", "')'"]) }},
        media_type,
        flight_start, flight_end, currency_code, net_amount_local,
        cast(null as {{ dbt.type_string() }}),
        _source_file, _load_id, _loaded_at
    from agency_invoices
),

spread_over_period_days as (
    {{ spread_evenly_over_days('period_costs', ['amount_local'], 'period_start', 'period_end') }}
),

spread_spend_converted_to_reporting_currency as (
    select
        channel_id,
        source_line_id,
        campaign_id,
        campaign_name,
        campaign_type,
        spread_date as spend_date,
        currency_code,
        amount_local_per_day as spend_local,
        {{ to_reporting_currency('amount_local_per_day', 'currency_code', 'spread_date') }} as spend_usd,
        cast(null as {{ dbt.type_bigint() }}) as impressions,
        cast(null as {{ dbt.type_bigint() }}) as clicks,
        target_stage,
        _source_file, _load_id, _loaded_at
    from spread_over_period_days
),

unioned as (
    select * from daily_platform_spend
    union all
    select * from spread_spend_converted_to_reporting_currency
),

final as (
    select
        {{ generate_surrogate_key(['channel_id', 'source_line_id', 'spend_date']) }} as spend_line_id,
        channel_id,
        source_line_id,
        {{ dbt.concat(["channel_id", "':'", "campaign_id"]) }} as campaign_key,
        campaign_id,
        campaign_name,
        campaign_type,
        spend_date,
        currency_code,
        cast(spend_local as {{ amount_type() }}) as spend_local,
        cast(spend_usd as {{ money_type() }}) as spend_usd,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        target_stage,
        _source_file,
        _load_id,
        _loaded_at
    from unioned
)

select * from final
