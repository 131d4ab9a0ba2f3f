-- One row per app install (AppsFlyer; times are UTC by definition).
with

source as (
    select * from {{ source('mmp', 'installs') }}
),

renamed as (
    select
        appsflyer_id,
        customer_user_id,
        install_time as installed_at,
        attributed_touch_type,
        attributed_touch_time as attributed_touch_at,
        media_source,
        channel as media_channel,
        campaign,
        platform,
        country_code,
        app_id,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('installed_at') }} as reporting_date
    from renamed
),

final as (
    select * from dated
)

select * from final
