-- A view: its one reader that needs every touch, int_touchpoints__stage_assigned, stores
-- them. As a table it was written whole (5M rows at a year) on every run to be read once;
-- see BENCHMARKS.md ("The touch union as a view"). Its tests run on the stored rows
-- (_int__models.yml).
{{ config(materialized='view') }}
-- Every person-level touch, one row each, with the identifiers it carries and the channel
-- it belongs to. Aggregate-only engagement (ad impressions and clicks, YouTube views) has
-- no person and lives in int_engagement__aggregated / fct_spend_daily instead.
--
-- implies_prior_history marks touches that cannot be anyone's first contact: a returning
-- GA4 visitor (ga_session_number > 1), e-mail activity (the address subscribed earlier),
-- app sessions (the app was installed earlier), webinar attendance (registered earlier),
-- and tickets, reviews and referrals by customers.
-- is_customer_signal marks touches only a customer makes: anything carrying a CRM customer
-- id except the order itself (a logged-in visit, the app's customer user id, tickets,
-- reviews, referrals) and opens/clicks of e-mails sent only to customers
-- (seeds/email_campaign_audiences.csv).
with

web_sessions as (
    select * from {{ ref('int_web_sessions__grouped') }}
),

email_activity as (
    select * from {{ ref('stg_email__recipient_activity') }}
),

email_campaigns as (
    select * from {{ ref('stg_email__campaigns') }}
),

email_audiences as (
    select * from {{ ref('email_campaign_audiences') }}
),

app_installs as (
    select * from {{ ref('stg_mmp__installs') }}
),

app_sessions as (
    select * from {{ ref('int_app_sessions__grouped') }}
),

webinar_registrants as not materialized (
    select * from {{ ref('stg_webinars__registrants') }}
),

lead_scans as (
    select * from {{ ref('stg_events__lead_scans') }}
),

orders as (
    select * from {{ ref('stg_commerce__orders') }}
),

tickets as (
    select * from {{ ref('stg_commerce__support_tickets') }}
),

referrals as not materialized (
    select * from {{ ref('stg_commerce__referrals') }}
),

reviews as (
    select * from {{ ref('stg_commerce__reviews') }}
),

spend_campaigns as (
    select distinct channel_id, campaign_id, campaign_name
    from {{ ref('int_spend__unioned') }}
),

-- audiences matched per campaign, then joined to the activity by campaign id: the prefix
-- match (`like`) joined to every activity row ran as a nested loop over 1.5M rows
campaign_audiences as (
    select
        email_campaigns.campaign_id,
        email_audiences.audience
    from email_campaigns
    inner join email_audiences
        on lower(email_campaigns.campaign_name) like lower(email_audiences.campaign_name_prefix) || '%'
),

email_activity_with_audience as (
    select
        email_activity.*,
        campaign_audiences.audience
    from email_activity
    left join campaign_audiences
        on campaign_audiences.campaign_id = email_activity.campaign_id
),

installs_assigned_to_channels as (
    {{ assign_channel_from_traffic_source('app_installs', 'appsflyer_id', 'mmp', 'media_source', 'media_channel') }}
),

touches as (
    select
        'web_session' as touch_type,
        session_key as source_record_id,
        session_started_at as touched_at,
        channel_id,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        traffic_campaign as campaign_name,
        user_id as customer_id,
        cast(null as {{ dbt.type_string() }}) as email_hash,
        user_pseudo_id,
        cast(null as {{ dbt.type_string() }}) as appsflyer_id,
        cast(null as {{ dbt.type_string() }}) as order_id,
        cast(null as {{ money_type() }}) as revenue_usd,
        coalesce(session_number, 1) > 1 and not is_first_visit as implies_prior_history,
        user_id is not null as is_customer_signal,
        _source_file, _load_id, _loaded_at
    from web_sessions

    union all

    select
        {{ dbt.concat(["'email_'", "action"]) }}, recipient_activity_key, occurred_at, 'email',
        campaign_id, cast(null as {{ dbt.type_string() }}),
        null, email_hash, null, null, null, null,
        true,
        coalesce(audience = 'customers', false),
        _source_file, _load_id, _loaded_at
    from email_activity_with_audience
    where action in ('open', 'click')

    union all

    select
        'app_install', appsflyer_id, installed_at, coalesce(channel_id, 'mmp'),
        cast(null as {{ dbt.type_string() }}), campaign,
        customer_user_id, null, null, appsflyer_id, null, null,
        false,
        customer_user_id is not null,
        _source_file, _load_id, _loaded_at
    from installs_assigned_to_channels

    -- an app session with af_purchase is engagement; the order itself is the purchase touch
    union all

    select
        'app_session', app_session_key, session_started_at, 'mmp',
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        customer_user_id, null, null, appsflyer_id, null, null,
        true,
        customer_user_id is not null,
        _source_file, _load_id, _loaded_at
    from app_sessions

    union all

    select
        'webinar_registration', registrant_key, registered_at, 'webinars',
        webinar_id, cast(null as {{ dbt.type_string() }}),
        null, email_hash, null, null, null, null,
        false,
        false,
        _source_file, _load_id, _loaded_at
    from webinar_registrants

    union all

    select
        'webinar_attendance', registrant_key, joined_at, 'webinars',
        webinar_id, cast(null as {{ dbt.type_string() }}),
        null, email_hash, null, null, null, null,
        true,
        false,
        _source_file, _load_id, _loaded_at
    from webinar_registrants
    where has_attended and joined_at is not null

    union all

    select
        'event_scan', lead_scan_key, scanned_at, 'events',
        event_id, cast(null as {{ dbt.type_string() }}),
        null, email_hash, null, null, null, null,
        false,
        false,
        _source_file, _load_id, _loaded_at
    from lead_scans

    union all

    select
        'order', order_id, ordered_at, 'commerce',
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        customer_id, email_hash, null, null, order_id, total_usd,
        false,
        false,
        _source_file, _load_id, _loaded_at
    from orders

    union all

    select
        'support_ticket', ticket_id, created_at, 'commerce',
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        customer_id, requester_email_hash, null, null, null, null,
        true,
        customer_id is not null,
        _source_file, _load_id, _loaded_at
    from tickets

    union all

    select
        'referral_given', referral_id, referred_at, 'commerce',
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        referrer_customer_id, referrer_email_hash, null, null, null, null,
        true,
        true,
        _source_file, _load_id, _loaded_at
    from referrals

    union all

    select
        'referral_received', referral_id, referred_at, 'commerce',
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        null, referee_email_hash, null, null, null, null,
        false,
        false,
        _source_file, _load_id, _loaded_at
    from referrals

    union all

    select
        'review', review_id, created_at, 'commerce',
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        customer_id, reviewer_email_hash, null, null, order_id, null,
        true,
        true,
        _source_file, _load_id, _loaded_at
    from reviews
),

-- a touch names its campaign by id (e-mail, webinars, events) or by name (web and app
-- traffic); both resolve to the channel's spend campaigns where one matches
campaigns_resolved as (
    select
        touches.*,
        coalesce(touches.campaign_id, by_name.campaign_id) as resolved_campaign_id
    from touches
    left join (
        select channel_id, campaign_name, min(campaign_id) as campaign_id
        from spend_campaigns
        group by channel_id, campaign_name
    ) as by_name
        on touches.campaign_id is null
        and by_name.channel_id = touches.channel_id
        and lower(by_name.campaign_name) = lower(touches.campaign_name)
),

final as (
    select
        {{ touchpoint_id() }} as touchpoint_id,
        touch_type,
        source_record_id,
        touched_at,
        {{ to_reporting_date('touched_at') }} as reporting_date,
        channel_id,
        case
            when resolved_campaign_id is not null
                then {{ dbt.concat(["channel_id", "':'", "resolved_campaign_id"]) }}
        end as campaign_key,
        resolved_campaign_id as campaign_id,
        campaign_name,
        customer_id,
        email_hash,
        user_pseudo_id,
        appsflyer_id,
        order_id,
        revenue_usd,
        implies_prior_history,
        is_customer_signal,
        _source_file,
        _load_id,
        _loaded_at
    from campaigns_resolved
)

select * from final
