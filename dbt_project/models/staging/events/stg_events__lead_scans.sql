-- One row per badge scan at an in-person event.
with

source as (
    select * from {{ source('events', 'lead_scans') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['event_id', 'badge_id', 'scanned_at']) }} as lead_scan_key,
        event_id,
        badge_id,
        scanned_at,
        email_hash,
        company,
        job_title,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('scanned_at') }} as reporting_date
    from renamed
),

final as (
    select * from dated
)

select * from final
