-- The first-order Markov chain of customer journeys: one row per observed transition between
-- states, counted over all paths, converting and not (int_attribution__touch_paths).
-- States: '(start)', one per marketing channel, and the absorbing '(conversion)' and
-- '(null)' (the path ended without an order). Repeated touches of the same channel in a row
-- are one visit to its state: a self-loop changes no absorption probability, it only slows
-- the computation down. Conversions without any marketing touch ('direct') have no path and
-- are not part of the chain.
with

paths as (
    select * from {{ ref('int_attribution__touch_paths') }}
),

with_previous_channel as (
    select
        path_id,
        is_converting,
        touch_number,
        channel_id,
        lag(channel_id) over (partition by path_id order by touch_number) as previous_channel_id
    from paths
),

repeats_collapsed as (
    select
        path_id,
        is_converting,
        channel_id,
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
        cast('(start)' as {{ dbt.type_string() }}) as from_state,
        cast(channel_id as {{ dbt.type_string() }}) as to_state
    from with_next_state
    where step_number = 1

    union all

    select
        cast(channel_id as {{ dbt.type_string() }}),
        cast(next_state as {{ dbt.type_string() }})
    from with_next_state
),

counted as (
    select
        from_state,
        to_state,
        count(*) as transitions
    from transitions
    group by from_state, to_state
),

final as (
    select
        from_state,
        to_state,
        cast(transitions as {{ dbt.type_bigint() }}) as transitions,
        cast(sum(transitions) over (partition by from_state) as {{ dbt.type_bigint() }}) as from_state_transitions,
        cast(
            cast(transitions as double precision) / sum(transitions) over (partition by from_state)
            as decimal(20, 10)
        ) as transition_probability
    from counted
)

select * from final
