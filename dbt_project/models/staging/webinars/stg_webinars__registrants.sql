-- One row per webinar registrant, with attendance (join/leave) when they came.
with

source as (
    select * from {{ source('webinars', 'registrants') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['webinar_id', 'email_hash']) }} as registrant_key,
        webinar_id,
        email_hash,
        registration_time as registered_at,
        lower(source) as registration_source,
        attended as has_attended,
        join_time as joined_at,
        leave_time as left_at,
        time_in_session_minutes,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('registered_at') }} as registered_reporting_date,
        {{ to_reporting_date('joined_at') }} as joined_reporting_date
    from renamed
),

final as (
    select * from dated
)

select * from final
