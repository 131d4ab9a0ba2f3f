-- Aggregate-only engagement per reporting date, channel and campaign: ad impressions and
-- clicks as the platforms report them, YouTube views and watch time (campaign = video).
-- No person behind these rows, so they are kept apart from fct_touchpoints.
with

engagement as (
    select * from {{ ref('int_engagement__aggregated') }}
),

final as (
    select
        reporting_date,
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        impressions,
        clicks,
        video_views,
        watch_time_minutes,
        last_loaded_at
    from engagement
)

select * from final
