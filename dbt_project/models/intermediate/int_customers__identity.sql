-- Identity stitching: one row per identifier seen anywhere (hashed e-mail, GA4
-- user_pseudo_id, AppsFlyer id, CRM customer id) with the one customer_key it belongs to.
--
-- The CRM customer id is the anchor. Every source that shows an identifier together with a
-- customer id links the two (orders, tickets, referrals and reviews link e-mail hashes;
-- GA4 links user_pseudo_id to user_id once someone logs in; the MMP links the AppsFlyer id
-- to the app's customer_user_id). An identifier linked to more than one customer id follows
-- the earliest link (ties: the smallest id). Identifiers with no link stay anonymous: their
-- customer_key is derived from the identifier itself.
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

email_activity as (
    select * from {{ ref('stg_email__recipient_activity') }}
),

webinar_registrants as (
    select * from {{ ref('stg_webinars__registrants') }}
),

lead_scans as (
    select * from {{ ref('stg_events__lead_scans') }}
),

-- identifier seen together with a CRM customer id
links as (
    select 'email_hash' as identifier_type, email_hash as identifier_value, customer_id, ordered_at as linked_at
    from orders where email_hash is not null
    union all
    select 'email_hash', requester_email_hash, customer_id, created_at
    from tickets where requester_email_hash is not null and customer_id is not null
    union all
    select 'email_hash', referrer_email_hash, referrer_customer_id, referred_at
    from referrals where referrer_email_hash is not null
    union all
    select 'email_hash', reviewer_email_hash, customer_id, created_at
    from reviews where reviewer_email_hash is not null
    union all
    select 'user_pseudo_id', user_pseudo_id, user_id, event_at
    from ga4_events where user_id is not null
    union all
    select 'appsflyer_id', appsflyer_id, customer_user_id, installed_at
    from app_installs where customer_user_id is not null
    union all
    select 'appsflyer_id', appsflyer_id, customer_user_id, event_at
    from app_events where customer_user_id is not null
),

-- every identifier observed, linked or not
observed as (
    select 'customer_id' as identifier_type, customer_id as identifier_value, ordered_at as seen_at from orders
    union all select 'customer_id', customer_id, created_at from tickets where customer_id is not null
    union all select 'customer_id', referrer_customer_id, referred_at from referrals
    union all select 'customer_id', customer_id, created_at from reviews
    union all select 'customer_id', user_id, event_at from ga4_events where user_id is not null
    union all select 'customer_id', customer_user_id, installed_at from app_installs where customer_user_id is not null
    union all select 'customer_id', customer_user_id, event_at from app_events where customer_user_id is not null
    union all select 'email_hash', email_hash, ordered_at from orders where email_hash is not null
    union all select 'email_hash', requester_email_hash, created_at from tickets where requester_email_hash is not null
    union all select 'email_hash', referrer_email_hash, referred_at from referrals where referrer_email_hash is not null
    union all select 'email_hash', referee_email_hash, referred_at from referrals where referee_email_hash is not null
    union all select 'email_hash', reviewer_email_hash, created_at from reviews where reviewer_email_hash is not null
    union all select 'email_hash', email_hash, occurred_at from email_activity
    union all select 'email_hash', email_hash, registered_at from webinar_registrants
    union all select 'email_hash', email_hash, scanned_at from lead_scans
    union all select 'user_pseudo_id', user_pseudo_id, event_at from ga4_events
    union all select 'appsflyer_id', appsflyer_id, installed_at from app_installs
    union all select 'appsflyer_id', appsflyer_id, event_at from app_events
),

identifiers as (
    select
        identifier_type,
        identifier_value,
        min(seen_at) as first_seen_at,
        max(seen_at) as last_seen_at
    from observed
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
    from links
    where customer_id is not null
    group by identifier_type, identifier_value
),

first_link_per_identifier as (
    select
        links.identifier_type,
        links.identifier_value,
        min(links.customer_id) as customer_id
    from links
    inner join first_link_times
        on first_link_times.identifier_type = links.identifier_type
        and first_link_times.identifier_value = links.identifier_value
        -- a link without a time sorts last: it is the first only when no link has one
        and (first_link_times.linked_at = links.linked_at
             or (first_link_times.linked_at is null and links.linked_at is null))
    where links.customer_id is not null
    group by links.identifier_type, links.identifier_value
),

resolved_to_customer_ids as (
    select
        identifiers.identifier_type,
        identifiers.identifier_value,
        case
            when identifiers.identifier_type = 'customer_id' then identifiers.identifier_value
            else first_link_per_identifier.customer_id
        end as customer_id,
        identifiers.first_seen_at,
        identifiers.last_seen_at
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
        last_seen_at
    from resolved_to_customer_ids
)

select * from final
