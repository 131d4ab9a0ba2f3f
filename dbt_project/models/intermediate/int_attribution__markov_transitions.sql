-- The first-order Markov chain of customer journeys: one row per observed transition between
-- states, counted over all paths, converting and not: the sum of every path's transitions
-- (int_attribution__path_transitions, which defines the states and counts them
-- incrementally by path).
with

path_transitions as (
    select * from {{ ref('int_attribution__path_transitions') }}
),

counted as (
    select
        from_state,
        to_state,
        sum(transitions) as transitions
    from path_transitions
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
