-- Customer journeys as paths of marketing touches, one row per path × touch: the input of
-- every attribution model.
--   converting paths      one per conversion: the customer's marketing touches strictly
--                         before the order and within var('attribution_lookback_days') of it.
--                         Lookbacks are independent, so a touch can sit in the paths of two
--                         orders placed close together.
--   non-converting paths  a customer's marketing touches in no conversion's lookback, one
--                         path per customer and number of orders placed before them (touches
--                         after the last order, or too long before the next one).
-- Marketing touches are those of dim_channels.is_marketing_channel (not commerce/finance);
-- dim_channels is read so that the rule lives in one place.
--
-- touches_in_path counts a converting path's touches; it is NULL on non-converting paths,
-- which grow with every touch: a count on each of their rows would rewrite the whole path
-- for each touch added to it.
--
-- Incremental by customer (a customer's paths depend on all of their touches and orders):
-- a run rebuilds the paths of every customer int_touchpoints__stage_assigned wrote rows of
-- since this table's last run (a newer _stage_assigned_at), from the point their touches
-- changed on (customers_to_rebuild), and writes only the rows that came out otherwise than
-- held (a hash of each row, looked up by path and touch), and a tombstone (the path and
-- touch, is_converting NULL) for each held row in the rebuilt part that is gone;
-- delete+insert on (path_id, touchpoint_id) replaces them, the second post-hook deletes
-- the tombstones, the first drops customers left without a marketing touch. Each path with
-- a row written or gone also has its newest row written (under the customer's newest
-- marker), which int_attribution__path_transitions follows path by path. On a day at a
-- year of history (e-mail sends reach ~22k customers, who hold 2M path rows) the rebuild
-- reads 217k of their 2M touches and writes 33k rows; rebuilding them whole and writing
-- whole paths, it wrote 977k rows (BENCHMARKS.md, "Touch paths rebuild customers from where
-- their touches changed, and write only the rows that changed"). Tombstones are deleted
-- after the commit (as in the stage model, app sessions and customer cells): deleting rows
-- its own transaction inserted makes DuckDB log that whole insert to the WAL instead of
-- writing it to the database file (BENCHMARKS.md, "Touch paths write only the paths that
-- changed"). Changing var('attribution_lookback_days') or dim_channels'
-- is_marketing_channel needs a --full-refresh. The pre-hook clears the counts a table built
-- before 2026-12-03 holds on non-converting paths (a no-op after that).
{%- set lookback_days = var('attribution_lookback_days', 30) %}
{%- set resume = is_incremental() and relation_has_column(this, '_stage_assigned_at') %}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['path_id', 'touchpoint_id'],
        on_schema_change='append_new_columns',
        pre_hook="{% if is_incremental() %}update {{ this }} set touches_in_path = null where not is_converting and touches_in_path is not null{% endif %}",
        post_hook=[
            "delete from {{ this }} where customer_key not in (select distinct touches.customer_key from {{ ref('int_touchpoints__stage_assigned') }} as touches inner join {{ ref('dim_channels') }} as channels on channels.channel_id = touches.channel_id where channels.is_marketing_channel)",
            after_commit("delete from {{ this }} where is_converting is null"),
        ]
    )
}}
with

all_touches as not materialized (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

{% if resume %}
held_through as (
    select max(_stage_assigned_at) as stage_assigned_at from {{ this }}
),

-- the customers the stage model wrote rows of since this table's last run, the first such
-- touch of each, and their newest marker (their rows written before carry older ones)
changed_customers as (
    select
        customer_key,
        min(touched_at) as changed_from,
        max(_stage_assigned_at) as customer_stage_assigned_at
    from all_touches
    where _stage_assigned_at > (select stage_assigned_at from held_through)
    group by customer_key
),

-- A customer who still has a row the stage model wrote before (it resumed them: their
-- touches before changed_from stayed as they were, none removed) keeps every path of an
-- order before changed_from, and the non-converting rows more than the lookback before it
-- (no order from changed_from on reaches back to them, and the orders before them are the
-- same); their paths are rebuilt from rebuild_from on. Every other customer (the stage
-- model rebuilt them whole: a touch may have left them) is rebuilt whole (rebuild_from NULL).
-- Found with two narrow scans of the touches; joining the changed customers' touches once
-- and reading that join twice materialized ~2M rows of every column at a year
-- (BENCHMARKS.md, "Touch paths read the changed customers' touches once").
resumed_customers as (
    select distinct all_touches.customer_key
    from all_touches
    inner join changed_customers
        on changed_customers.customer_key = all_touches.customer_key
    where all_touches._stage_assigned_at <= (select stage_assigned_at from held_through)
),

customers_to_rebuild as (
    select
        changed_customers.customer_key,
        changed_customers.changed_from,
        case when resumed_customers.customer_key is not null
            then {{ dbt.dateadd('day', -1 * lookback_days, 'changed_customers.changed_from') }}
        end as rebuild_from,
        changed_customers.customer_stage_assigned_at
    from changed_customers
    left join resumed_customers
        on resumed_customers.customer_key = changed_customers.customer_key
),

touches as (
    select
        all_touches.*,
        customers_to_rebuild.changed_from,
        customers_to_rebuild.rebuild_from,
        customers_to_rebuild.customer_stage_assigned_at
    from all_touches
    inner join customers_to_rebuild
        on customers_to_rebuild.customer_key = all_touches.customer_key
    where customers_to_rebuild.rebuild_from is null
        or all_touches.touched_at >= customers_to_rebuild.rebuild_from
),

-- rows a resumed customer's non-converting paths keep before rebuild_from: the rebuilt
-- rows are numbered on from them
kept_before_rebuild as (
    select held.path_id, count(*) as touches_before
    from {{ this }} as held
    inner join customers_to_rebuild
        on customers_to_rebuild.customer_key = held.customer_key
    where not held.is_converting
        and held.touched_at < customers_to_rebuild.rebuild_from
    group by held.path_id
),
{% else %}
touches as (
    select
        *,
        max(_stage_assigned_at) over (partition by customer_key) as customer_stage_assigned_at
    from all_touches
),
{% endif %}

channels as (
    select * from {{ ref('dim_channels') }}
),

conversions as not materialized (
    select * from {{ ref('int_attribution__conversions') }}
),

marketing_touches as (
    select
        touches.touchpoint_id,
        touches.customer_key,
        touches.channel_id,
        touches.touched_at,
        -- the customer's newest: a path changed by an order alone gets the order's
        touches.customer_stage_assigned_at as _stage_assigned_at
        {%- if resume %},
        touches.changed_from,
        touches.rebuild_from
        {%- endif %}
    from touches
    inner join channels
        on channels.channel_id = touches.channel_id
    where channels.is_marketing_channel
),

touches_in_lookback as (
    select
        conversions.conversion_id,
        conversions.converted_at,
        marketing_touches.*
    from conversions
    inner join marketing_touches
        on marketing_touches.customer_key = conversions.customer_key
        and marketing_touches.touched_at < conversions.converted_at
        and marketing_touches.touched_at >= {{ dbt.dateadd('day', -1 * lookback_days, 'conversions.converted_at') }}
),

converting_paths as (
    select
        cast({{ dbt.concat(["'conversion:'", "conversion_id"]) }} as {{ dbt.type_string() }}) as path_id,
        conversion_id,
        true as is_converting,
        customer_key,
        touchpoint_id,
        channel_id,
        touched_at,
        cast({{ dbt.datediff('touched_at', 'converted_at', 'second') }} as double precision)
            / 86400 as days_before_conversion,
        _stage_assigned_at
    from touches_in_lookback
    {%- if resume %}
    -- a resumed customer's paths of orders before changed_from stay as held
    where rebuild_from is null or converted_at >= changed_from
    {%- endif %}
),

touches_without_conversion as (
    select marketing_touches.*
    from marketing_touches
    left join (select distinct touchpoint_id from touches_in_lookback) as in_lookback
        on in_lookback.touchpoint_id = marketing_touches.touchpoint_id
    where in_lookback.touchpoint_id is null
),

-- orders the customer had placed before each such touch: the journey segment it belongs to
segmented as (
    select
        touches_without_conversion.touchpoint_id,
        touches_without_conversion.customer_key,
        touches_without_conversion.channel_id,
        touches_without_conversion.touched_at,
        touches_without_conversion._stage_assigned_at,
        count(conversions.conversion_id) as orders_before
    from touches_without_conversion
    left join conversions
        on conversions.customer_key = touches_without_conversion.customer_key
        and conversions.converted_at <= touches_without_conversion.touched_at
    group by
        touches_without_conversion.touchpoint_id,
        touches_without_conversion.customer_key,
        touches_without_conversion.channel_id,
        touches_without_conversion.touched_at,
        touches_without_conversion._stage_assigned_at
),

non_converting_paths as (
    select
        cast({{ dbt.concat(["'open:'", "customer_key", "':'", "cast(orders_before as " ~ dbt.type_string() ~ ")"]) }}
             as {{ dbt.type_string() }}) as path_id,
        cast(null as {{ dbt.type_string() }}) as conversion_id,
        false as is_converting,
        customer_key,
        touchpoint_id,
        channel_id,
        touched_at,
        cast(null as double precision) as days_before_conversion,
        _stage_assigned_at
    from segmented
),

all_paths as (
    select * from converting_paths
    union all
    select * from non_converting_paths
),

sequenced as (
    select
        all_paths.*,
        {%- if resume %}
        coalesce(kept_before_rebuild.touches_before, 0) +
        {%- endif %}
        row_number() over (partition by all_paths.path_id order by all_paths.touched_at, all_paths.touchpoint_id)
            as touch_number,
        case when all_paths.is_converting then count(*) over (partition by all_paths.path_id) end as touches_in_path
    from all_paths
    {%- if resume %}
    left join kept_before_rebuild
        on kept_before_rebuild.path_id = all_paths.path_id
    {%- endif %}
),

paths_rebuilt as (
    select
        path_id,
        conversion_id,
        is_converting,
        customer_key,
        touchpoint_id,
        channel_id,
        touched_at,
        cast(touch_number as integer) as touch_number,
        cast(touches_in_path as integer) as touches_in_path,
        days_before_conversion,
        _stage_assigned_at
    from sequenced
),

{%- set columns = ['path_id', 'conversion_id', 'is_converting', 'customer_key', 'touchpoint_id', 'channel_id',
                   'touched_at', 'touch_number', 'touches_in_path', 'days_before_conversion', '_stage_assigned_at'] %}
{%- set compared = columns | reject('equalto', '_stage_assigned_at') | list %}
{%- set held_compared = [] %}
{%- for column in compared %}{% do held_compared.append('held.' ~ column) %}{% endfor %}
{% if is_incremental() %}
-- each rebuilt row, and each held row of the rebuilt customers, with a hash of its columns
-- but _stage_assigned_at (which moves with every rebuild of the customer)
rebuilt_rows as (
    select paths_rebuilt.*, {{ row_hash(compared) }} as row_fingerprint
    from paths_rebuilt
),

held_rows as (
    {%- if resume %}
    -- the held rows the rebuilt ones replace: a resumed customer's from rebuild_from on
    select held.path_id, held.touchpoint_id, held.customer_key, {{ row_hash(held_compared) }} as row_fingerprint
    from {{ this }} as held
    inner join customers_to_rebuild
        on customers_to_rebuild.customer_key = held.customer_key
    left join conversions
        on conversions.conversion_id = held.conversion_id
    where customers_to_rebuild.rebuild_from is null
        or (held.is_converting and conversions.converted_at >= customers_to_rebuild.changed_from)
        or (not held.is_converting and held.touched_at >= customers_to_rebuild.rebuild_from)
    {%- else %}
    select path_id, touchpoint_id, customer_key, {{ row_hash(compared) }} as row_fingerprint
    from {{ this }}
    -- a customer with a marketing touch has a path, one without is the first post-hook's
    where customer_key in (select customer_key from marketing_touches)
    {%- endif %}
),

compared as (
    select
        rebuilt_rows.*,
        held_rows.path_id as held_path_id,
        held_rows.touchpoint_id as held_touchpoint_id,
        coalesce(rebuilt_rows.path_id, held_rows.path_id) as changed_path_id,
        rebuilt_rows.path_id is null
            or held_rows.path_id is null
            or held_rows.row_fingerprint <> rebuilt_rows.row_fingerprint as is_changed
    from rebuilt_rows
    full outer join held_rows
        on held_rows.path_id = rebuilt_rows.path_id
        and held_rows.touchpoint_id = rebuilt_rows.touchpoint_id
),

-- Rows new or changed, held rows gone (tombstones: every column but the key NULL), and the
-- newest rebuilt row of each path with such a row: it carries the customer's newest marker,
-- so int_attribution__path_transitions counts the path again also when its only change is a
-- row gone.
changes as (
    select
        *,
        {{ dbt.bool_or('is_changed') }} over (partition by changed_path_id) as path_changed,
        row_number() over (
            partition by changed_path_id
            order by touched_at desc nulls last, touchpoint_id desc
        ) as newest_first
    from compared
),

{%- if resume %}

-- A resumed customer's open path whose rows in the rebuilt part are all gone (an order from
-- changed_from on took them into its path) but which keeps rows before rebuild_from: no row
-- of it is rebuilt, so its newest kept row is written again under the customer's newest
-- marker, for int_attribution__path_transitions to count the path again.
emptied_paths as (
    select changed_path_id as path_id
    from changes
    group by changed_path_id
    having count(path_id) = 0
),

kept_rows_marked_again as (
    select
        {%- for column in columns %}
        {{ 'customer_stage_assigned_at as _stage_assigned_at' if column == '_stage_assigned_at' else column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            held.*,
            customers_to_rebuild.customer_stage_assigned_at,
            row_number() over (partition by held.path_id order by held.touched_at desc, held.touchpoint_id desc) as newest_first
        from {{ this }} as held
        inner join emptied_paths
            on emptied_paths.path_id = held.path_id
        inner join customers_to_rebuild
            on customers_to_rebuild.customer_key = held.customer_key
        where not held.is_converting
            and held.touched_at < customers_to_rebuild.rebuild_from
    ) as kept
    where newest_first = 1
),
{%- endif %}

final as (
    select
        {%- for column in columns %}
        {%- if column in ('path_id', 'touchpoint_id') %}
        coalesce({{ column }}, held_{{ column }}) as {{ column }}
        {%- else %}
        {{ column }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from changes
    where is_changed
        or (path_changed and newest_first = 1 and path_id is not null)
    {%- if resume %}
    union all
    select * from kept_rows_marked_again
    {%- endif %}
)
{% else %}
final as (
    select * from paths_rebuilt
)
{% endif %}

select * from final
