{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='_load_id',
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where _load_id not in (select distinct _load_id from {{ source('email', 'recipient_activity') }})"
    )
}}
-- One row per recipient action on a campaign (sent, open, click, bounce, unsubscribe).
-- An incremental table by whole load, like stg_ga4__events (see its header).
with

{% if is_incremental() %}
reprocess_since as (
    {{ reprocess_loaded_after() }}
),

{{ loads_to_restage(source('email', 'recipient_activity')) }}
{% endif %}

source as (
    select * from {{ source('email', 'recipient_activity') }}
    {% if is_incremental() %}
    where _load_id in (select _load_id from loads_to_process)
    {% endif %}
),

renamed as (
    select
        {{ generate_surrogate_key(['campaign_id', 'email_hash', 'action', 'occurred_at']) }} as recipient_activity_key,
        campaign_id,
        email_hash,
        lower(action) as action,
        occurred_at,
        url,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

dated as (
    select
        *,
        {{ to_reporting_date('occurred_at') }} as reporting_date
    from renamed
),

final as (
    select * from dated
)

select * from final
