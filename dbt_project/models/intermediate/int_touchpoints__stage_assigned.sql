{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='touchpoint_id',
        on_schema_change='append_new_columns',
        post_hook=after_commit("delete from {{ this }} where touch_type is null")
    )
}}
-- Each touch with its customer (identity stitching) and its journey stage, decided by the
-- customer's state when the touch happened and the rules in seeds/journey_stage_rules.csv
-- (the one place the rules live; the lowest rule_priority that matches wins).
--
-- Customer states a rule can ask for:
--   any                    always
--   first_touch            the customer's earliest touch, with no sign of earlier history
--   first_purchase         the customer's first order (and no sign of buying before the data)
--   before_first_purchase  not yet bought
--   after_first_purchase   after the first order, or a customer from before the data starts:
--                          someone showing a customer signal (int_touchpoints__unioned:
--                          logged in, app customer id, ticket, review, referral, reading an
--                          e-mail sent only to customers) more than
--                          var('existing_customer_lead_hours') before their first order here,
--                          or with no order here at all
--
-- Incremental by customer: a customer's stages depend on all of their touches, so a run
-- rebuilds every customer with a touch loaded within var('late_data_lookback_days') of the
-- newest load here, and every customer a touch moved to or from: identity stitching changed
-- (a login linked an anonymous visitor, an earlier link arrived late, a corrected
-- re-delivery removed one), the touch's resolved campaign changed (a campaign first seen in
-- spend later), an order's USD revenue changed (a corrected fx rate), or the touch is gone
-- (touches_gone writes it as a tombstone, which the post-hook deletes after the commit).
-- Found by comparing each customer's touches, campaigns and revenue with the rows held
-- here. Except: a customer whose held rows are exactly their touches loaded up to the
-- newest load here, and whose newer touches leave "bought before the data" unchanged, keeps
-- the rows dated before their first newer touch (a touch's stage depends only on what came
-- before it) and is assigned from there.
-- Written rows get a new _stage_assigned_at (macros/rebuild_marker.sql), which the models
-- below follow (they re-read such a customer's touches whole). Changing
-- seeds/journey_stage_rules.csv, seeds/email_campaign_audiences.csv or
-- var('existing_customer_lead_hours') needs a --full-refresh.
with

-- Every column but touchpoint_id and reporting_date: an incremental run reads every touch
-- (grouped by its identifiers) but writes few, so the md5 (touches_to_process) and the
-- time-zone conversion (final) run for those only (BENCHMARKS.md, "Stage assignment without
-- an md5 per touch" and "The stage model converts time zones for the touches it writes").
-- Not materialized: an incremental run reads it twice, the second time for the touches it
-- writes only.
touches as not materialized (
    select
        touch_type,
        source_record_id,
        touched_at,
        channel_id,
        campaign_key,
        campaign_id,
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
    from {{ ref('int_touchpoints__unioned') }}
),

identities as not materialized (
    select * from {{ ref('int_customers__identity') }}
),

rules as (
    select * from {{ ref('journey_stage_rules') }}
),

{#- the strongest identifier decides the customer: the stitching of a relation (REL) holding
    the four identifier columns, as the body of a CTE -#}
{%- set stitched -%}
    select
        REL.*,
        coalesce(by_customer_id.customer_key, by_email.customer_key,
                 by_pseudo_id.customer_key, by_appsflyer_id.customer_key) as customer_key,
        coalesce(REL.customer_id, by_email.customer_id,
                 by_pseudo_id.customer_id, by_appsflyer_id.customer_id) as resolved_customer_id
    from REL
    left join identities as by_customer_id
        on by_customer_id.identifier_type = 'customer_id'
        and by_customer_id.identifier_value = REL.customer_id
    left join identities as by_email
        on by_email.identifier_type = 'email_hash'
        and by_email.identifier_value = REL.email_hash
    left join identities as by_pseudo_id
        on by_pseudo_id.identifier_type = 'user_pseudo_id'
        and by_pseudo_id.identifier_value = REL.user_pseudo_id
    left join identities as by_appsflyer_id
        on by_appsflyer_id.identifier_type = 'appsflyer_id'
        and by_appsflyer_id.identifier_value = REL.appsflyer_id
{%- endset %}

{#- a touch in the fingerprints: its key, its resolved campaign, and its revenue (an order's
    USD amount moves when a corrected fx rate arrives, with no new load of the order) -#}
{%- set touch_hash = row_hash(['touch_type', 'source_record_id', 'campaign_id', 'revenue_usd']) -%}
{%- set fingerprint = "sum(" ~ touch_hash ~ ")" -%}
{#- bought before the data: a customer signal long enough before the first order, or no order -#}
{%- set bought_before_data -%}
    (SIGNAL is not null and (ORDER is null or SIGNAL < {{ dbt.dateadd('hour', -1 * var('existing_customer_lead_hours', 6), 'ORDER') }}))
{%- endset -%}
{% if is_incremental() %}
reprocess_since as (
    {{ reprocess_loaded_after() }}
),

newest_held as (
    select max(_loaded_at) as loaded_at from {{ this }}
),

-- The touches grouped by the identifiers they carry (248k tuples for 5M touches at a year),
-- then those tuples stitched: a touch's customer depends only on its identifiers, so this
-- stitches 20x fewer rows than stitching each touch, and nothing wide is materialized
-- (BENCHMARKS.md, "Touches grouped by identifier tuple before stitching"). Per tuple: its
-- touches with their campaigns and revenue as one fingerprint (count and hash sum; a touch
-- is its (touch_type, source_record_id), what touchpoint_id is the md5 of), its state (first
-- order, first customer signal), the same for the touches loaded up to the newest load held
-- ("old") apart from the ones after it ("new"), and the newest load. All of them add up by
-- customer (stitched_summary), which is compared with the held rows' fingerprint: a customer
-- who gained, lost or re-campaigned a touch, or whose order's USD revenue changed, has
-- another one. Aggregates instead of a join of every touch with its held row, which took
-- ~2.4 s at 5M touches (BENCHMARKS.md, "Stage assignment by customer fingerprints").
touch_tuples as (
    select
        customer_id,
        email_hash,
        user_pseudo_id,
        appsflyer_id,
        count(*) as touches,
        {{ fingerprint }} as fingerprint,
        sum(case when touch_type = 'order' then 1 else 0 end) as orders,
        sum(case when touched_at is null then 1 else 0 end) as untimed_touches,
        sum(case when touched_at is null and touch_type = 'order' then 1 else 0 end) as untimed_orders,
        min(case when touch_type = 'order' then touched_at end) as first_order_at,
        min(case when is_customer_signal then touched_at end) as first_customer_signal_at,
        sum(case when is_new then 0 else 1 end) as old_touches,
        sum(case when is_new then 0 else {{ touch_hash }} end) as old_fingerprint,
        min(case when not is_new and touch_type = 'order' then touched_at end) as old_first_order_at,
        min(case when not is_new and is_customer_signal then touched_at end) as old_first_customer_signal_at,
        min(case when is_new then touched_at end) as new_first_touched_at,
        max(_loaded_at) as newest_loaded_at
    from (
        select
            touches.*,
            coalesce(touches._loaded_at > newest_held.loaded_at, false) as is_new
        from touches
        cross join newest_held
    ) as touches_with_age
    group by customer_id, email_hash, user_pseudo_id, appsflyer_id
),

stitched_tuples as (
    {{ stitched | replace('REL', 'touch_tuples') }}
),

stitched_summary as (
    select
        customer_key,
        sum(touches) as touches,
        sum(fingerprint) as fingerprint,
        sum(orders) as orders,
        sum(untimed_touches) as untimed_touches,
        sum(untimed_orders) as untimed_orders,
        min(first_order_at) as first_order_at,
        min(first_customer_signal_at) as first_customer_signal_at,
        sum(old_touches) as old_touches,
        sum(old_fingerprint) as old_fingerprint,
        min(old_first_order_at) as old_first_order_at,
        min(old_first_customer_signal_at) as old_first_customer_signal_at,
        min(new_first_touched_at) as new_first_touched_at
    from stitched_tuples
    group by customer_key
),

held_fingerprints as (
    select customer_key, count(*) as touches, {{ fingerprint }} as fingerprint
    from {{ this }}
    group by customer_key
),

-- Customers whose only change is new touches: the held rows are exactly their old touches
-- (same fingerprint), and "bought before the data" comes out the same with the new touches.
-- A touch's stage depends only on the touches before it and on that flag, so their old
-- touches dated before the first new one stay as they are; the new touches and the old ones
-- from the first new touch's time on are assigned again, numbered on from the ones that stay.
-- At a year of history, one day: 1,369 of 1,379 customers (BENCHMARKS.md, "Stage assignment
-- resumes a customer from their first new touch").
customers_to_resume as (
    select
        stitched_summary.customer_key,
        stitched_summary.new_first_touched_at as resume_from
    from stitched_summary
    inner join held_fingerprints
        on held_fingerprints.customer_key = stitched_summary.customer_key
    where stitched_summary.new_first_touched_at is not null
        and held_fingerprints.touches = stitched_summary.old_touches
        and held_fingerprints.fingerprint = stitched_summary.old_fingerprint
        and {{ bought_before_data | replace('SIGNAL', 'stitched_summary.old_first_customer_signal_at') | replace('ORDER', 'stitched_summary.old_first_order_at') }}
            = {{ bought_before_data | replace('SIGNAL', 'stitched_summary.first_customer_signal_at') | replace('ORDER', 'stitched_summary.first_order_at') }}
),

customers_changed as (
    select customer_key
    from stitched_tuples
    where newest_loaded_at > (select loaded_after from reprocess_since)
    union
    select coalesce(stitched_summary.customer_key, held_fingerprints.customer_key)
    from stitched_summary
    full outer join held_fingerprints
        on held_fingerprints.customer_key = stitched_summary.customer_key
    where stitched_summary.fingerprint is distinct from held_fingerprints.fingerprint
        or stitched_summary.touches is distinct from held_fingerprints.touches
),

customers_to_rebuild as (
    select customers_changed.customer_key
    from customers_changed
    left join customers_to_resume
        on customers_to_resume.customer_key = customers_changed.customer_key
    where customers_to_resume.customer_key is null
),

-- The touches to write, in a second pass over the union: every touch of a customer rebuilt
-- whole, and a resumed customer's from its first new touch's time on, found by the
-- identifier tuples stitched to them (30k of 5M touches on a day at a year). A resumed
-- customer's kept touches (dated before that time) are its count less the ones fetched and
-- the ones without a time.
tuples_to_fetch as (
    select
        stitched_tuples.customer_id,
        stitched_tuples.email_hash,
        stitched_tuples.user_pseudo_id,
        stitched_tuples.appsflyer_id,
        stitched_tuples.customer_key,
        stitched_tuples.resolved_customer_id,
        customers_to_write.resume_from
    from stitched_tuples
    inner join (
        select customer_key, cast(null as timestamp with time zone) as resume_from from customers_to_rebuild
        union all
        select customer_key, resume_from from customers_to_resume
    ) as customers_to_write
        on customers_to_write.customer_key = stitched_tuples.customer_key
),

touches_fetched as (
    select
        touches.*,
        tuples_to_fetch.customer_key,
        tuples_to_fetch.resolved_customer_id,
        tuples_to_fetch.resume_from
    from touches
    inner join tuples_to_fetch
        on touches.customer_id is not distinct from tuples_to_fetch.customer_id
        and touches.email_hash is not distinct from tuples_to_fetch.email_hash
        and touches.user_pseudo_id is not distinct from tuples_to_fetch.user_pseudo_id
        and touches.appsflyer_id is not distinct from tuples_to_fetch.appsflyer_id
    where tuples_to_fetch.resume_from is null
        or touches.touched_at >= tuples_to_fetch.resume_from
),

kept_before_resume as (
    select
        customers_to_resume.customer_key,
        stitched_summary.touches - stitched_summary.untimed_touches - fetched.touches as touches_before,
        stitched_summary.orders - stitched_summary.untimed_orders - fetched.orders as orders_before
    from customers_to_resume
    inner join stitched_summary
        on stitched_summary.customer_key = customers_to_resume.customer_key
    inner join (
        select customer_key, count(*) as touches, sum(case when touch_type = 'order' then 1 else 0 end) as orders
        from touches_fetched
        group by customer_key
    ) as fetched
        on fetched.customer_key = customers_to_resume.customer_key
),

touches_to_process as (
    select
        {{ touchpoint_id('touches_fetched.touch_type', 'touches_fetched.source_record_id') }} as touchpoint_id,
        {%- for column in ['touch_type', 'source_record_id', 'touched_at', 'channel_id', 'campaign_key', 'campaign_id',
                           'campaign_name', 'customer_id', 'email_hash', 'user_pseudo_id', 'appsflyer_id', 'order_id',
                           'revenue_usd', 'implies_prior_history', 'is_customer_signal', '_source_file', '_load_id',
                           '_loaded_at', 'customer_key', 'resolved_customer_id'] %}
        touches_fetched.{{ column }},
        {%- endfor %}
        coalesce(kept_before_resume.touches_before, 0) as touches_before,
        coalesce(kept_before_resume.orders_before, 0) as orders_before
    from touches_fetched
    left join kept_before_resume
        on kept_before_resume.customer_key = touches_fetched.customer_key
        and touches_fetched.resume_from is not null
),

customer_history as (
    select customer_key, first_order_at, first_customer_signal_at
    from stitched_summary
),

-- Held touches gone upstream (a corrected re-delivery removed them, or a session they were
-- lost all its events): the held rows of the customers rebuilt whole that no touch to process
-- carries. Every gone touch is among them: its held customer's fingerprint no longer matches,
-- so that customer is rebuilt whole, not resumed, and a touch that only moved to another
-- customer is written there. Written as rows without a touch_type (final), so the
-- delete+insert removes the held row and the post-hook this one. Before, the post-hook
-- looked for them among every touch upstream: an md5 of all 5M touches and an anti-join,
-- ~1.4 s a run at a year (BENCHMARKS.md, "Gone touches and sessions written as tombstones").
touches_gone as (
    select {{ touchpoint_id('held.touch_type', 'held.source_record_id') }} as touchpoint_id
    from {{ this }} as held
    inner join customers_to_rebuild
        on customers_to_rebuild.customer_key = held.customer_key
    where {{ touchpoint_id('held.touch_type', 'held.source_record_id') }} not in (
        select touchpoint_id from touches_to_process
    )
),
{% else %}
stitched_to_customers as (
    {{ stitched | replace('REL', 'touches') }}
),

touches_to_process as (
    select {{ touchpoint_id() }} as touchpoint_id, stitched_to_customers.*, 0 as touches_before, 0 as orders_before
    from stitched_to_customers
),

customer_history as (
    select
        customer_key,
        min(case when touch_type = 'order' then touched_at end) as first_order_at,
        min(case when is_customer_signal then touched_at end) as first_customer_signal_at
    from touches_to_process
    group by customer_key
),
{% endif %}

-- customer_type_touch_number (the touch's place among the customer's orders, or among the
-- rest) counted along the same order as customer_touch_number: one sort of the touches, not
-- two. Within one kind the two orders agree (touchpoint_id is unique, so no ties). A resumed
-- customer's touches count on from the ones kept.
numbered as (
    select
        *,
        touches_before + row_number() over touch_order as customer_touch_number,
        orders_before + sum(case when touch_type = 'order' then 1 else 0 end) over (
            touch_order rows between unbounded preceding and current row
        ) as orders_so_far
    from touches_to_process
    window touch_order as (
        partition by customer_key
        order by touched_at, case when touch_type = 'order' then 1 else 0 end, touchpoint_id
    )
),

sequenced as (
    select
        *,
        case
            when touch_type = 'order' then orders_so_far
            else customer_touch_number - orders_so_far
        end as customer_type_touch_number
    from numbered
),

customer_states as (
    select
        customer_key,
        first_order_at,
        {{ bought_before_data | replace('SIGNAL', 'first_customer_signal_at') | replace('ORDER', 'first_order_at') }} as bought_before_data
    from customer_history
),

with_customer_state as (
    select
        sequenced.*,
        customer_states.bought_before_data,
        sequenced.customer_touch_number = 1
            and not sequenced.implies_prior_history
            and not customer_states.bought_before_data as is_first_touch,
        sequenced.touch_type = 'order'
            and sequenced.customer_type_touch_number = 1
            and not customer_states.bought_before_data as is_first_purchase,
        customer_states.bought_before_data
            or coalesce(sequenced.touched_at > customer_states.first_order_at, false)
            or (sequenced.touch_type = 'order' and sequenced.customer_type_touch_number > 1)
            as is_after_first_purchase
    from sequenced
    inner join customer_states
        on customer_states.customer_key = sequenced.customer_key
),

matched_rules as (
    select
        with_customer_state.touchpoint_id,
        rules.rule_priority,
        rules.stage,
        row_number() over (
            partition by with_customer_state.touchpoint_id
            order by rules.rule_priority
        ) as rule_rank
    from with_customer_state
    inner join rules
        on (rules.touch_type = '*' or rules.touch_type = with_customer_state.touch_type)
        and case rules.customer_state
            when 'any' then true
            when 'first_touch' then with_customer_state.is_first_touch
            when 'first_purchase' then with_customer_state.is_first_purchase
            when 'after_first_purchase' then with_customer_state.is_after_first_purchase
            when 'before_first_purchase' then not with_customer_state.is_after_first_purchase
                and not with_customer_state.is_first_purchase
            else false
        end
),

stage_assigned as (
    select
        with_customer_state.*,
        matched_rules.stage,
        matched_rules.rule_priority as stage_rule_priority
    from with_customer_state
    left join matched_rules
        on matched_rules.touchpoint_id = with_customer_state.touchpoint_id
        and matched_rules.rule_rank = 1
),

final as (
    select
        touchpoint_id,
        touch_type,
        source_record_id,
        touched_at,
        {{ to_reporting_date('touched_at') }} as reporting_date,
        channel_id,
        campaign_key,
        campaign_id,
        campaign_name,
        customer_key,
        resolved_customer_id as customer_id,
        email_hash,
        user_pseudo_id,
        appsflyer_id,
        order_id,
        revenue_usd,
        implies_prior_history,
        customer_touch_number,
        bought_before_data,
        is_first_touch,
        is_first_purchase,
        is_after_first_purchase,
        stage,
        stage_rule_priority,
        _source_file,
        _load_id,
        _loaded_at,
        {{ next_rebuild_marker() }} as _stage_assigned_at
    from stage_assigned
    {%- if is_incremental() %}
    union all
    select
        touchpoint_id,
        null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
        null, null, null, null, null, null, null, null, null, null, null, null
    from touches_gone
    {%- endif %}
)

select * from final
