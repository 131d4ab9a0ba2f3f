-- Engagement that the platforms report only in aggregate (no person behind a row): ad
-- impressions and clicks, YouTube views and watch time; one row per reporting date, channel
-- and campaign (YouTube: per video). Person-level touches are in int_touchpoints__unioned;
-- these are kept apart so the two are never added up.
with

spend as (
    select * from {{ ref('int_spend__unioned') }}
),

youtube as (
    select * from {{ ref('stg_youtube__channel_basic') }}
),

ad_delivery as (
    select
        spend_date as reporting_date,
        channel_id,
        campaign_key,
        campaign_id,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        cast(0 as {{ dbt.type_bigint() }}) as video_views,
        cast(0 as {{ amount_type() }}) as watch_time_minutes,
        max(_loaded_at) as last_loaded_at
    from spend
    where impressions is not null or clicks is not null
    group by spend_date, channel_id, campaign_key, campaign_id
),

video_views as (
    select
        reporting_date,
        'youtube' as channel_id,
        {{ dbt.concat(["'youtube:'", "video_id"]) }} as campaign_key,
        video_id as campaign_id,
        cast(0 as {{ dbt.type_bigint() }}) as impressions,
        cast(0 as {{ dbt.type_bigint() }}) as clicks,
        sum(views) as video_views,
        sum(watch_time_minutes) as watch_time_minutes,
        max(_loaded_at) as last_loaded_at
    from youtube
    group by reporting_date, video_id
),

unioned as (
    select * from ad_delivery
    union all
    select * from video_views
),

final as (
    select
        reporting_date,
        channel_id,
        campaign_key,
        campaign_id,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(video_views as {{ dbt.type_bigint() }}) as video_views,
        cast(watch_time_minutes as {{ amount_type() }}) as watch_time_minutes,
        last_loaded_at
    from unioned
)

select * from final
