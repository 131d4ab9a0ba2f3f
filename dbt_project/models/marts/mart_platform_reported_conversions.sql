{%- set models = ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov'] -%}
-- Per ad platform × reporting date: the conversions the platform reports about itself, beside
-- the warehouse's own deduplicated, attributed conversions for the same channel and day.
-- Platform numbers are each platform's claim (its own attribution window and rules; Google's
-- can be fractional): the same order is claimed by every platform that touched it, so they
-- are kept as reported metrics and never summed across platforms or into mart_attribution.
-- The warehouse side comes from mart_attribution (one order = one conversion, credits per
-- model summing to 1), so its columns do add up across channels.
-- Day alignment: platforms on their report day's reporting date, the warehouse on the
-- order's reporting date.
with

google_ads as not materialized (
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

attribution as (
    select * from {{ ref('mart_attribution') }}
),

-- the ad platforms that report conversions about themselves, and the metric each calls so
platforms as (
    select cast('google_ads' as {{ dbt.type_string() }}) as channel_id,
           cast('conversions' as {{ dbt.type_string() }}) as platform_metric
    union all
    select 'meta_ads', 'purchases (actions: purchase)'
    union all
    select 'linkedin_ads', 'conversions'
    union all
    select 'tiktok_ads', 'conversion'
),

platform_rows as (
    select
        'google_ads' as channel_id,
        reporting_date,
        cast(conversions as {{ amount_type() }}) as conversions,
        conversions_value_usd as conversion_value_usd
    from google_ads

    union all

    select 'meta_ads', reporting_date, cast(purchases as {{ amount_type() }}), purchase_value_usd
    from meta_ads

    union all

    select 'linkedin_ads', reporting_date, cast(conversions as {{ amount_type() }}), cast(null as {{ money_type() }})
    from linkedin_ads

    union all

    select 'tiktok_ads', reporting_date, cast(conversions as {{ amount_type() }}), cast(null as {{ money_type() }})
    from tiktok_ads
),

platform_reported as (
    select
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        reporting_date,
        sum(conversions) as platform_reported_conversions,
        sum(conversion_value_usd) as platform_reported_conversion_value_usd
    from platform_rows
    group by 1, 2
),

warehouse_attributed as (
    select
        attribution.channel_id,
        attribution.conversion_date as reporting_date,
        count(*) as conversions_touched
        {%- for model in models %},
        sum(attribution.credit_{{ model }}) as attributed_conversions_{{ model }}
        {%- endfor %}
        {%- for model in models %},
        sum(attribution.attributed_revenue_{{ model }}_usd) as attributed_revenue_{{ model }}_usd
        {%- endfor %}
    from attribution
    inner join platforms
        on platforms.channel_id = attribution.channel_id
    group by attribution.channel_id, attribution.conversion_date
),

joined as (
    select
        coalesce(platform_reported.channel_id, warehouse_attributed.channel_id) as channel_id,
        coalesce(platform_reported.reporting_date, warehouse_attributed.reporting_date) as reporting_date,
        platform_reported.platform_reported_conversions,
        platform_reported.platform_reported_conversion_value_usd,
        warehouse_attributed.conversions_touched
        {%- for model in models %},
        warehouse_attributed.attributed_conversions_{{ model }}
        {%- endfor %}
        {%- for model in models %},
        warehouse_attributed.attributed_revenue_{{ model }}_usd
        {%- endfor %}
    from platform_reported
    full outer join warehouse_attributed
        on warehouse_attributed.channel_id = platform_reported.channel_id
        and warehouse_attributed.reporting_date = platform_reported.reporting_date
),

final as (
    select
        cast(joined.channel_id as {{ dbt.type_string() }}) as channel_id,
        joined.reporting_date,
        cast(platforms.platform_metric as {{ dbt.type_string() }}) as platform_metric,
        cast(joined.platform_reported_conversions as {{ amount_type() }}) as platform_reported_conversions,
        cast(joined.platform_reported_conversion_value_usd as {{ money_type() }}) as platform_reported_conversion_value_usd,
        cast(coalesce(joined.conversions_touched, 0) as {{ dbt.type_bigint() }}) as warehouse_conversions_touched
        {%- for model in models %},
        cast(coalesce(joined.attributed_conversions_{{ model }}, 0) as decimal(20, 10)) as attributed_conversions_{{ model }}
        {%- endfor %}
        {%- for model in models %},
        cast(coalesce(joined.attributed_revenue_{{ model }}_usd, 0) as {{ money_type() }}) as attributed_revenue_{{ model }}_usd
        {%- endfor %}
    from joined
    inner join platforms
        on platforms.channel_id = joined.channel_id
)

select * from final
