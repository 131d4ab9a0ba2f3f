{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['identifier_type', 'identifier_value'],
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where customer_key is null"
    )
}}
-- Identity stitching: one row per identifier seen anywhere (hashed e-mail, GA4
-- user_pseudo_id, AppsFlyer id, CRM customer id) with the one customer_key it belongs to.
--
-- The CRM customer id is the anchor. Every source that shows an identifier together with a
-- customer id links the two (orders, tickets, referrals and reviews link e-mail hashes;
-- GA4 links user_pseudo_id to user_id once someone logs in; the MMP links the AppsFlyer id
-- to the app's customer_user_id). An identifier linked to more than one customer id follows
-- the earliest link (ties: the smallest id). Identifiers with no link stay anonymous: their
-- customer_key is derived from the identifier itself.
--
-- Incremental by identifier. An identifier's row is a summary of its rows (first and last
-- seen, newest load, earliest link), and each part is a min or max, so adding rows to a
-- summary gives the summary of all of them: a run aggregates only the rows loaded within
-- var('late_data_lookback_days') of the newest load here, together with what this table
-- holds for the identifiers they name (first and last seen as two sightings, the earliest
-- link as a link), instead of every row of the history. Removed rows are the exception:
-- only a corrected re-delivery removes any (the publisher deletes the loads it supersedes),
-- so every held identifier whose first-to-last sighting comes within a day of a day such a
-- re-delivery among those loads brought rows for is aggregated again from all of its rows;
-- one left with none comes out with a null customer_key, which the post-hook deletes. (A
-- table built before these columns existed is aggregated whole once, the same way.)
{%- set merge = is_incremental() and (this is string or relation_has_column(this, 'first_linked_at')) %}
with

orders as not materialized (
    select * from {{ ref('stg_commerce__orders') }}
),

tickets as not materialized (
    select * from {{ ref('stg_commerce__support_tickets') }}
),

referrals as not materialized (
    select * from {{ ref('stg_commerce__referrals') }}
),

reviews as not materialized (
    select * from {{ ref('stg_commerce__reviews') }}
),

ga4_events as not materialized (
    select * from {{ ref('stg_ga4__events') }}
),

app_installs as not materialized (
    select * from {{ ref('stg_mmp__installs') }}
),

app_events as not materialized (
    select * from {{ ref('stg_mmp__in_app_events') }}
),

email_activity as not materialized (
    select * from {{ ref('stg_email__recipient_activity') }}
),

webinar_registrants as not materialized (
    select * from {{ ref('stg_webinars__registrants') }}
),

lead_scans as not materialized (
    select * from {{ ref('stg_events__lead_scans') }}
),

-- identifier seen together with a CRM customer id
links as not materialized (
    select 'email_hash' as identifier_type, email_hash as identifier_value, customer_id, ordered_at as linked_at,
           _load_id, _loaded_at
    from orders where email_hash is not null
    union all
    select 'email_hash', requester_email_hash, customer_id, created_at, _load_id, _loaded_at
    from tickets where requester_email_hash is not null and customer_id is not null
    union all
    select 'email_hash', referrer_email_hash, referrer_customer_id, referred_at, _load_id, _loaded_at
    from referrals where referrer_email_hash is not null
    union all
    select 'email_hash', reviewer_email_hash, customer_id, created_at, _load_id, _loaded_at
    from reviews where reviewer_email_hash is not null
    union all
    select 'user_pseudo_id', user_pseudo_id, user_id, event_at, _load_id, _loaded_at
    from ga4_events where user_id is not null
    union all
    select 'appsflyer_id', appsflyer_id, customer_user_id, installed_at, _load_id, _loaded_at
    from app_installs where customer_user_id is not null
    union all
    select 'appsflyer_id', appsflyer_id, customer_user_id, event_at, _load_id, _loaded_at
    from app_events where customer_user_id is not null
),

-- every identifier observed, linked or not
observed as not materialized (
    select 'customer_id' as identifier_type, customer_id as identifier_value, ordered_at as seen_at, _load_id, _loaded_at from orders
    union all select 'customer_id', customer_id, created_at, _load_id, _loaded_at from tickets where customer_id is not null
    union all select 'customer_id', referrer_customer_id, referred_at, _load_id, _loaded_at from referrals
    union all select 'customer_id', customer_id, created_at, _load_id, _loaded_at from reviews
    union all select 'customer_id', user_id, event_at, _load_id, _loaded_at from ga4_events where user_id is not null
    union all select 'customer_id', customer_user_id, installed_at, _load_id, _loaded_at from app_installs where customer_user_id is not null
    union all select 'customer_id', customer_user_id, event_at, _load_id, _loaded_at from app_events where customer_user_id is not null
    union all select 'email_hash', email_hash, ordered_at, _load_id, _loaded_at from orders where email_hash is not null
    union all select 'email_hash', requester_email_hash, created_at, _load_id, _loaded_at from tickets where requester_email_hash is not null
    union all select 'email_hash', referrer_email_hash, referred_at, _load_id, _loaded_at from referrals where referrer_email_hash is not null
    union all select 'email_hash', referee_email_hash, referred_at, _load_id, _loaded_at from referrals where referee_email_hash is not null
    union all select 'email_hash', reviewer_email_hash, created_at, _load_id, _loaded_at from reviews where reviewer_email_hash is not null
    union all select 'email_hash', email_hash, occurred_at, _load_id, _loaded_at from email_activity
    union all select 'email_hash', email_hash, registered_at, _load_id, _loaded_at from webinar_registrants
    union all select 'email_hash', email_hash, scanned_at, _load_id, _loaded_at from lead_scans
    union all select 'user_pseudo_id', user_pseudo_id, event_at, _load_id, _loaded_at from ga4_events
    union all select 'appsflyer_id', appsflyer_id, installed_at, _load_id, _loaded_at from app_installs
    union all select 'appsflyer_id', appsflyer_id, event_at, _load_id, _loaded_at from app_events
),

{% if merge %}
reprocess_since as (
    {{ reprocess_loaded_after() }}
),

-- the days of the sightings a corrected re-delivery among the loads to process brought
redelivered_days as (
    select distinct cast(seen_at as date) as reloaded_day
    from observed
    where _loaded_at > (select loaded_after from reprocess_since)
        and _load_id in (
            select superseded_by from {{ source('audit', 'load_ledger') }} where superseded_by is not null
        )
),

-- held identifiers a re-delivery may have removed rows of: seen from before to after such a
-- day, with a day of margin each side (a corrected export covers the same local day as the
-- one it replaces, not always the same UTC days)
identifiers_to_recompute as (
    select distinct held.identifier_type, held.identifier_value
    from {{ this }} as held
    inner join redelivered_days
        on held.first_seen_at is null
        or redelivered_days.reloaded_day between cast(held.first_seen_at as date) - 1
            and cast(held.last_seen_at as date) + 1
),

identifiers_with_new_rows as (
    select distinct identifier_type, identifier_value
    from observed
    where _loaded_at > (select loaded_after from reprocess_since)
        and identifier_value is not null
),

-- the held summary of every other identifier with new rows, to aggregate with those rows
held_to_merge as (
    select held.*
    from {{ this }} as held
    inner join identifiers_with_new_rows
        on identifiers_with_new_rows.identifier_type = held.identifier_type
        and identifiers_with_new_rows.identifier_value = held.identifier_value
    left join identifiers_to_recompute
        on identifiers_to_recompute.identifier_type = held.identifier_type
        and identifiers_to_recompute.identifier_value = held.identifier_value
    where identifiers_to_recompute.identifier_value is null
),

observed_to_aggregate as (
    select identifier_type, identifier_value, seen_at, _loaded_at
    from observed
    where _loaded_at > (select loaded_after from reprocess_since)
    union all
    select observed.identifier_type, observed.identifier_value, observed.seen_at, observed._loaded_at
    from observed
    inner join identifiers_to_recompute
        on identifiers_to_recompute.identifier_type = observed.identifier_type
        and identifiers_to_recompute.identifier_value = observed.identifier_value
    union all
    select identifier_type, identifier_value, first_seen_at, _loaded_at from held_to_merge
    union all
    select identifier_type, identifier_value, last_seen_at, _loaded_at from held_to_merge
),

links_to_aggregate as (
    select identifier_type, identifier_value, customer_id, linked_at
    from links
    where _loaded_at > (select loaded_after from reprocess_since)
    union all
    select links.identifier_type, links.identifier_value, links.customer_id, links.linked_at
    from links
    inner join identifiers_to_recompute
        on identifiers_to_recompute.identifier_type = links.identifier_type
        and identifiers_to_recompute.identifier_value = links.identifier_value
    union all
    select identifier_type, identifier_value, customer_id, first_linked_at
    from held_to_merge
    where identifier_type <> 'customer_id' and customer_id is not null
),
{% else %}
{%- if is_incremental() %}
-- the held table predates the summary columns: aggregate everything, and drop what is gone
identifiers_to_recompute as (
    select distinct identifier_type, identifier_value from {{ this }}
),
{% endif %}
observed_to_aggregate as (
    select identifier_type, identifier_value, seen_at, _loaded_at from observed
),

links_to_aggregate as (
    select identifier_type, identifier_value, customer_id, linked_at from links
),
{% endif %}

identifiers as (
    select
        identifier_type,
        identifier_value,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at,
        max(_loaded_at) as _loaded_at
    from observed_to_aggregate
    where identifier_value is not null
    group by identifier_type, identifier_value
),

-- each identifier's earliest link (ties: the smallest customer id), as two aggregates: a
-- row_number() over every link sorted them all (12M links at a year of history, most of the
-- model's time), though only the first is kept
first_link_times as (
    select
        identifier_type,
        identifier_value,
        min(linked_at) as linked_at
    from links_to_aggregate
    where customer_id is not null
    group by identifier_type, identifier_value
),

first_link_per_identifier as (
    select
        links_to_aggregate.identifier_type,
        links_to_aggregate.identifier_value,
        min(links_to_aggregate.customer_id) as customer_id,
        min(first_link_times.linked_at) as linked_at
    from links_to_aggregate
    inner join first_link_times
        on first_link_times.identifier_type = links_to_aggregate.identifier_type
        and first_link_times.identifier_value = links_to_aggregate.identifier_value
        -- a link without a time sorts last: it is the first only when no link has one
        and (first_link_times.linked_at = links_to_aggregate.linked_at
             or (first_link_times.linked_at is null and links_to_aggregate.linked_at is null))
    where links_to_aggregate.customer_id is not null
    group by links_to_aggregate.identifier_type, links_to_aggregate.identifier_value
),

resolved_to_customer_ids as (
    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        case
            when identifiers.identifier_type = 'customer_id' then identifiers.identifier_value
            else first_link_per_identifier.customer_id
        end as customer_id,
        case
            when identifiers.identifier_type <> 'customer_id' then first_link_per_identifier.linked_at
        end as first_linked_at,
        identifiers.first_seen_at,
        identifiers.last_seen_at,
        identifiers._loaded_at
    from identifiers
    left join first_link_per_identifier
        on first_link_per_identifier.identifier_type = identifiers.identifier_type
        and first_link_per_identifier.identifier_value = identifiers.identifier_value
),

final as (
    select
        identifier_type,
        identifier_value,
        customer_id,
        case
            when customer_id is not null
                then {{ generate_surrogate_key(["'customer_id'", 'customer_id']) }}
            else {{ generate_surrogate_key(['identifier_type', 'identifier_value']) }}
        end as customer_key,
        customer_id is not null as is_identified,
        first_seen_at,
        last_seen_at,
        first_linked_at,
        _loaded_at
    from resolved_to_customer_ids
    {%- if is_incremental() %}
    -- an identifier a re-delivery left without rows: written with a null customer_key, so the
    -- delete+insert removes its held row, and the post-hook this one
    union all
    select
        identifiers_to_recompute.identifier_type,
        identifiers_to_recompute.identifier_value,
        null,
        null,
        false,
        null,
        null,
        null,
        null
    from identifiers_to_recompute
    left join identifiers
        on identifiers.identifier_type = identifiers_to_recompute.identifier_type
        and identifiers.identifier_value = identifiers_to_recompute.identifier_value
    where identifiers.identifier_value is null
    {%- endif %}
)

select * from final
