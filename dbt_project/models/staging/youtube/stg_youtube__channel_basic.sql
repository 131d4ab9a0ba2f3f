-- One row per video, day and audience slice (live/on demand, subscribed, country). YouTube
-- reports days in Pacific time. Organic video: paid promotion spend is in Google Ads.
{% set report_timezone = "'America/Los_Angeles'" %}

with

source as (
    select * from {{ source('youtube', 'channel_basic') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['date', 'video_id', 'live_or_on_demand', 'subscribed_status', 'country_code']) }} as channel_basic_key,
        channel_id,
        video_id,
        date as report_date,
        live_or_on_demand,
        subscribed_status,
        country_code,
        views,
        likes,
        shares,
        comments,
        watch_time_minutes,
        average_view_duration_seconds,
        subscribers_gained,
        subscribers_lost,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ local_day_start_utc('report_date', report_timezone) }} as report_day_started_at,
        {{ local_day_to_reporting_date('report_date', report_timezone) }} as reporting_date
    from renamed
),

final as (
    select * from dated
)

select * from final
