{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='customer_key',
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where customer_key not in (select distinct customer_key from {{ ref('int_attribution__touch_paths') }})"
    )
}}
-- Each customer's steps through the first-order Markov chain of journeys: one row per
-- customer and observed transition between states, counted over the customer's paths,
-- converting and not (int_attribution__touch_paths). What int_attribution__markov_transitions
-- adds up over all customers, so a daily run counts the transitions of the customers whose
-- paths changed instead of re-walking every path (BENCHMARKS.md).
-- States: '(start)', one per marketing channel, and the absorbing '(conversion)' and
-- '(null)' (the path ended without an order). Repeated touches of the same channel in a row
-- are one visit to its state: a self-loop changes no absorption probability, it only slows
-- the computation down. Conversions without any marketing touch ('direct') have no path and
-- are not part of the chain.
-- Incremental by customer: a run re-counts every customer with a path row whose
-- _stage_assigned_at is newer than any held here (int_attribution__touch_paths rebuilds
-- such customers whole); the post-hook drops customers left without a path.
with

all_paths as not materialized (
    select * from {{ ref('int_attribution__touch_paths') }}
),

paths as (
    {{ rows_to_rebuild('all_paths', 'customer_key', changed_after='_stage_assigned_at') }}
),

with_previous_channel as (
    select
        customer_key,
        path_id,
        is_converting,
        touch_number,
        channel_id,
        _stage_assigned_at,
        lag(channel_id) over (partition by path_id order by touch_number) as previous_channel_id
    from paths
),

repeats_collapsed as (
    select
        customer_key,
        path_id,
        is_converting,
        channel_id,
        _stage_assigned_at,
        row_number() over (partition by path_id order by touch_number) as step_number
    from with_previous_channel
    where previous_channel_id is null
       or previous_channel_id <> channel_id
),

with_next_state as (
    select
        *,
        coalesce(
            lead(channel_id) over (partition by path_id order by step_number),
            case when is_converting then '(conversion)' else '(null)' end
        ) as next_state
    from repeats_collapsed
),

transitions as (
    select
        customer_key,
        cast('(start)' as {{ dbt.type_string() }}) as from_state,
        cast(channel_id as {{ dbt.type_string() }}) as to_state,
        _stage_assigned_at
    from with_next_state
    where step_number = 1

    union all

    select
        customer_key,
        cast(channel_id as {{ dbt.type_string() }}),
        cast(next_state as {{ dbt.type_string() }}),
        _stage_assigned_at
    from with_next_state
),

final as (
    select
        customer_key,
        from_state,
        to_state,
        cast(count(*) as {{ dbt.type_bigint() }}) as transitions,
        max(_stage_assigned_at) as _stage_assigned_at
    from transitions
    group by customer_key, from_state, to_state
)

select * from final
