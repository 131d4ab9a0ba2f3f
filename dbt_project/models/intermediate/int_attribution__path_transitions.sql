{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='path_id',
        on_schema_change='append_new_columns',
        post_hook=after_commit("delete from {{ this }} where path_id not in (select distinct path_id from {{ ref('int_attribution__touch_paths') }})")
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
-- Incremental by path: a run counts again every path with a row whose _stage_assigned_at is
-- newer than any held here (touch paths write a changed path's changed rows and its newest
-- row, also when its only change is a row gone); the post-hook drops paths that are gone,
-- after the commit: in the same transaction, deleting held rows after the insert made the
-- COMMIT take 0.7-1.0 s at a year of history (0.02 s without; BENCHMARKS.md, "Path
-- transitions drop gone paths after the commit"). A run killed between the two leaves the
-- gone paths until the next run's post-hook.
-- A path that only grew at its end (an open path, the usual daily change: every row written
-- comes after the rows it held, path_touches) is not walked again: its held transitions lose
-- the step of its old last channel into '(null)' and gain the steps from that last held touch
-- on. Every other changed path is walked whole. Counted by customer until 2026-12-03, a run
-- re-walked every path of each customer with a changed path: 1.95M of 4.93M rows on a day at
-- a year of history, where the changed paths hold 977k rows and their new rows ~31k
-- (BENCHMARKS.md, "Markov transitions counted by path", "Open paths that grew at their end").
-- A row's _stage_assigned_at is the newest of its path's rows; path_touches its row count.
{%- set grows = is_incremental() and relation_has_column(this, 'path_touches') %}
with

all_paths as not materialized (
    select * from {{ ref('int_attribution__touch_paths') }}
),

{% if is_incremental() %}
-- each path with a row written since this table's last run, and its first such row
paths_to_rebuild as (
    select path_id, min(touch_number) as first_changed_number
    from all_paths
    where _stage_assigned_at > (select max(_stage_assigned_at) from {{ this }})
    group by path_id
),

{%- if grows %}

-- Paths that only grew at their end: held as an open path (its last visit steps into
-- '(null)') with its row count, and every row written comes after the held ones. Touch
-- numbers run 1..n in each path, so a row gone or inserted before the end renumbers (and so
-- writes) the rows after it, which a held number would then carry.
appended_paths as (
    select
        held.path_id,
        max(held.customer_key) as customer_key,
        max(held.path_touches) as held_touches,
        max(case when held.to_state = '(null)' then held.from_state end) as last_channel
    from {{ this }} as held
    inner join paths_to_rebuild
        on paths_to_rebuild.path_id = held.path_id
    group by held.path_id
    having max(held.path_touches) is not null
        and max(case when held.to_state = '(null)' then held.from_state end) is not null
        and min(paths_to_rebuild.first_changed_number) > max(held.path_touches)
),
{%- endif %}

-- the rows to walk: a changed path whole, or a grown one from its last held touch on
paths as (
    select
        all_paths.*,
        {{ 'appended_paths.path_id is not null' if grows else 'false' }} as is_grown
    from all_paths
    inner join paths_to_rebuild
        on paths_to_rebuild.path_id = all_paths.path_id
    {%- if grows %}
    left join appended_paths
        on appended_paths.path_id = all_paths.path_id
    where appended_paths.path_id is null
        or all_paths.touch_number >= appended_paths.held_touches
    {%- endif %}
),
{% else %}
paths as (
    select *, false as is_grown from all_paths
),
{% endif %}

-- A run of touches of one channel is one state visit. Its last touch (the next touch is of
-- another channel, or there is none) steps to the next run's channel or to the absorbing
-- state; the path's first touch (touch_number 1) steps from '(start)'. The next neighbour
-- comes from one sort of the path; collapsing the runs first and numbering what was left
-- took two more sorts (BENCHMARKS.md, "Four downstream models sort less").
with_neighbours as (
    select
        path_id,
        customer_key,
        is_converting,
        is_grown,
        touch_number,
        channel_id,
        lead(channel_id) over path_order as next_channel_id
    from paths
    window path_order as (partition by path_id order by touch_number)
),

transitions as (
    select
        path_id,
        customer_key,
        cast('(start)' as {{ dbt.type_string() }}) as from_state,
        cast(channel_id as {{ dbt.type_string() }}) as to_state,
        1 as transitions
    from with_neighbours
    where touch_number = 1 and not is_grown

    union all

    select
        path_id,
        customer_key,
        cast(channel_id as {{ dbt.type_string() }}),
        cast(coalesce(next_channel_id, case when is_converting then '(conversion)' else '(null)' end)
             as {{ dbt.type_string() }}),
        1
    from with_neighbours
    where next_channel_id is null
       or next_channel_id <> channel_id
    {%- if grows %}

    -- a grown path's held transitions, less its old last visit's step into '(null)'
    union all

    select held.path_id, held.customer_key, held.from_state, held.to_state, held.transitions
    from {{ this }} as held
    inner join appended_paths
        on appended_paths.path_id = held.path_id

    union all

    select path_id, customer_key, last_channel, cast('(null)' as {{ dbt.type_string() }}), -1
    from appended_paths
    {%- endif %}
),

-- the newest rebuild of any of the path's rows, and its length: what the next run compares with
path_markers as (
    select path_id, max(_stage_assigned_at) as _stage_assigned_at, max(touch_number) as path_touches
    from paths
    group by path_id
),

final as (
    select
        transitions.path_id,
        transitions.customer_key,
        transitions.from_state,
        transitions.to_state,
        cast(sum(transitions.transitions) as {{ dbt.type_bigint() }}) as transitions,
        max(path_markers._stage_assigned_at) as _stage_assigned_at,
        cast(max(path_markers.path_touches) as integer) as path_touches
    from transitions
    inner join path_markers
        on path_markers.path_id = transitions.path_id
    group by transitions.path_id, transitions.customer_key, transitions.from_state, transitions.to_state
    having sum(transitions.transitions) > 0
)

select * from final
