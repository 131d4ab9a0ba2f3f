{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='path_id',
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where path_id not in (select distinct path_id from {{ ref('int_attribution__touch_paths') }})"
    )
}}
-- Each path's steps through the first-order Markov chain of journeys: one row per path and
-- observed transition between states, converting paths and not
-- (int_attribution__touch_paths). What int_attribution__markov_transitions adds up over all
-- paths, so a daily run counts the transitions of the paths that changed instead of
-- re-walking every path.
-- States: '(start)', one per marketing channel, and the absorbing '(conversion)' and
-- '(null)' (the path ended without an order). Repeated touches of the same channel in a row
-- are one visit to its state: a self-loop changes no absorption probability, it only slows
-- the computation down. Conversions without any marketing touch ('direct') have no path and
-- are not part of the chain.
-- Incremental by path: a run re-counts, from all of its rows, every path with a row whose
-- _stage_assigned_at is newer than any held here (touch paths write a changed path's
-- changed rows and its newest row, also when its only change is a row gone); the post-hook
-- drops paths that are gone. Counted by customer until 2026-12-03, a run re-walked every
-- path of each customer with a changed path: 1.95M of 4.93M rows on a day at a year of
-- history, where the changed paths hold 977k (BENCHMARKS.md, "Markov transitions counted by
-- path"). A row's _stage_assigned_at is the newest of its path's rows.
with

all_paths as not materialized (
    select * from {{ ref('int_attribution__touch_paths') }}
),

paths as (
    {{ rows_to_rebuild('all_paths', 'path_id', changed_after='_stage_assigned_at') }}
),

-- A run of touches of one channel is one state visit. Its last touch (the next touch is of
-- another channel, or there is none) steps to the next run's channel or to the absorbing
-- state; the path's first touch steps from '(start)'. Both neighbours come from one sort of
-- the path (lag and lead over one window); collapsing the runs first and numbering what was
-- left took two more sorts (BENCHMARKS.md, "Four downstream models sort less").
with_neighbours as (
    select
        path_id,
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
        path_id,
        customer_key,
        cast('(start)' as {{ dbt.type_string() }}) as from_state,
        cast(channel_id as {{ dbt.type_string() }}) as to_state
    from with_neighbours
    where previous_channel_id is null

    union all

    select
        path_id,
        customer_key,
        cast(channel_id as {{ dbt.type_string() }}),
        cast(coalesce(next_channel_id, case when is_converting then '(conversion)' else '(null)' end)
             as {{ dbt.type_string() }})
    from with_neighbours
    where next_channel_id is null
       or next_channel_id <> channel_id
),

-- the newest rebuild of any of the path's rows: what the next run compares with
path_markers as (
    select path_id, max(_stage_assigned_at) as _stage_assigned_at
    from paths
    group by path_id
),

final as (
    select
        transitions.path_id,
        transitions.customer_key,
        transitions.from_state,
        transitions.to_state,
        cast(count(*) as {{ dbt.type_bigint() }}) as transitions,
        max(path_markers._stage_assigned_at) as _stage_assigned_at
    from transitions
    inner join path_markers
        on path_markers.path_id = transitions.path_id
    group by transitions.path_id, transitions.customer_key, transitions.from_state, transitions.to_state
)

select * from final
