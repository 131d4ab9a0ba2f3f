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
-- Incremental by customer: a run re-counts, from all of their path rows, every customer
-- with a path row whose _stage_assigned_at is newer than any held here (the rows
-- int_attribution__touch_paths wrote for touches the stage model wrote); the post-hook
-- drops customers left without a path. A row's _stage_assigned_at is the newest of all its
-- customer's path rows.
with

all_paths as not materialized (
    select * from {{ ref('int_attribution__touch_paths') }}
),

paths as (
    {{ rows_to_rebuild('all_paths', 'customer_key', changed_after='_stage_assigned_at') }}
),

-- A run of touches of one channel is one state visit. Its last touch (the next touch is of
-- another channel, or there is none) steps to the next run's channel or to the absorbing
-- state; the path's first touch steps from '(start)'. Both neighbours come from one sort of
-- the path (lag and lead over one window); collapsing the runs first and numbering what was
-- left took two more sorts (BENCHMARKS.md, "Four downstream models sort less").
with_neighbours as (
    select
        customer_key,
        is_converting,
        channel_id,
        lag(channel_id) over path_order as previous_channel_id,
        lead(channel_id) over path_order as next_channel_id
    from paths
    window path_order as (partition by path_id order by touch_number)
),

transitions as (
    select
        customer_key,
        cast('(start)' as {{ dbt.type_string() }}) as from_state,
        cast(channel_id as {{ dbt.type_string() }}) as to_state
    from with_neighbours
    where previous_channel_id is null

    union all

    select
        customer_key,
        cast(channel_id as {{ dbt.type_string() }}),
        cast(coalesce(next_channel_id, case when is_converting then '(conversion)' else '(null)' end)
             as {{ dbt.type_string() }})
    from with_neighbours
    where next_channel_id is null
       or next_channel_id <> channel_id
),

-- the newest rebuild of any of the customer's path rows: what the next run compares with
customer_markers as (
    select customer_key, max(_stage_assigned_at) as _stage_assigned_at
    from paths
    group by customer_key
),

final as (
    select
        transitions.customer_key,
        transitions.from_state,
        transitions.to_state,
        cast(count(*) as {{ dbt.type_bigint() }}) as transitions,
        max(customer_markers._stage_assigned_at) as _stage_assigned_at
    from transitions
    inner join customer_markers
        on customer_markers.customer_key = transitions.customer_key
    group by transitions.customer_key, transitions.from_state, transitions.to_state
)

select * from final
