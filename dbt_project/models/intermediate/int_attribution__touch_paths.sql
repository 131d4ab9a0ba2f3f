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
-- Incremental by customer (a customer's paths depend on all of their touches and orders):
-- a run rebuilds the paths of every customer int_touchpoints__stage_assigned rebuilt since
-- this table's last run (a newer _stage_assigned_at), and writes only the paths that came
-- out otherwise than held (count and hash sum of their rows), and a tombstone (the path_id,
-- no touch) for each held path of those customers that is gone; delete+insert on path_id
-- replaces them, the second post-hook deletes the tombstones, the first drops customers left
-- without a marketing touch. On a day at a year of history half of the rebuilt customers'
-- 2M path rows are in paths that did not change (an old conversion's path), so they are not
-- written. Tombstones are deleted after the commit (as in the stage model, app sessions and
-- customer cells): deleting rows its own transaction inserted makes DuckDB log that whole
-- insert to the WAL instead of writing it to the database file (here 165MB, then a checkpoint
-- mid-build; BENCHMARKS.md, "Touch paths write only the paths that changed"). Changing
-- var('attribution_lookback_days') or dim_channels' is_marketing_channel needs a
-- --full-refresh.
{%- set lookback_days = var('attribution_lookback_days', 30) %}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='path_id',
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} where customer_key not in (select distinct touches.customer_key from {{ ref('int_touchpoints__stage_assigned') }} as touches inner join {{ ref('dim_channels') }} as channels on channels.channel_id = touches.channel_id where channels.is_marketing_channel)",
            after_commit("delete from {{ this }} where touchpoint_id is null"),
        ]
    )
}}
with

all_touches as not materialized (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

touches as (
    {{ rows_to_rebuild('all_touches', 'customer_key', changed_after='_stage_assigned_at') }}
),

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
        touches._stage_assigned_at
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
        touches_without_conversion.*,
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
        *,
        row_number() over (partition by path_id order by touched_at, touchpoint_id) as touch_number,
        count(*) over (partition by path_id) as touches_in_path
    from all_paths
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
{% if is_incremental() %}
-- each path as a count and a hash sum of its rows (order-free), rebuilt and held
rebuilt_fingerprints as (
    select path_id, count(*) as path_rows, sum({{ row_hash(columns) }}) as fingerprint
    from paths_rebuilt
    group by path_id
),

held_fingerprints as (
    select path_id, count(*) as path_rows, sum({{ row_hash(columns) }}) as fingerprint
    from {{ this }}
    -- the rebuilt customers' held paths: a customer with a marketing touch has a path, one
    -- without is the first post-hook's
    where customer_key in (select customer_key from marketing_touches)
    group by path_id
),

paths_changed as (
    select rebuilt_fingerprints.path_id
    from rebuilt_fingerprints
    left join held_fingerprints
        on held_fingerprints.path_id = rebuilt_fingerprints.path_id
    where held_fingerprints.path_id is null
        or held_fingerprints.path_rows <> rebuilt_fingerprints.path_rows
        or held_fingerprints.fingerprint <> rebuilt_fingerprints.fingerprint
),

final as (
    select paths_rebuilt.*
    from paths_rebuilt
    inner join paths_changed
        on paths_changed.path_id = paths_rebuilt.path_id
    union all
    select
        held_fingerprints.path_id,
        {%- for column in columns[1:] %}
        null{{ ',' if not loop.last }}
        {%- endfor %}
    from held_fingerprints
    left join rebuilt_fingerprints
        on rebuilt_fingerprints.path_id = held_fingerprints.path_id
    where rebuilt_fingerprints.path_id is null
)
{% else %}
final as (
    select * from paths_rebuilt
)
{% endif %}

select * from final
