{%- set markov_squarings = 24 -%}
-- Markov removal effect per marketing channel: 1 - P(conversion | channel removed) /
-- P(conversion), where P is the probability of being absorbed in '(conversion)' starting
-- from '(start)' in int_attribution__markov_transitions, and removing a channel sends every
-- transition into it to '(null)'.
--
-- Absorption probabilities by repeated squaring of each scenario's transition matrix (the
-- base chain and one chain per removed channel, all in one query): after k squarings an
-- entry is the probability of getting from one state to another in 2^k transitions, and
-- '(conversion)'/'(null)' absorb, so M^(2^k)[start, conversion] converges to P from below.
-- The squarings are unrolled by a Jinja loop (PostgreSQL allows no aggregate in a recursive
-- CTE's recursive term). markov_squarings = 24 squarings cover 2^24 (~16.8 million)
-- transitions, far beyond any journey's length, so the mass left in transient states, reported per
-- scenario as unabsorbed_probability, is ~0 (a data test holds it below 1e-9 and
-- tests/test_attribution.py compares the result with numpy's exact linear solve).
-- Each step drops entries below 1e-100 (PostgreSQL raises an error on floating-point
-- underflow, and the mass still in transient states halves again and again) and
-- renormalises its rows to sum to 1: without it, floating-point rounding in a row sum doubles
-- with every squaring (2^24 x 1e-16 ~ 1e-8). Each step's CTE is read twice;
-- `as materialized` keeps engines from inlining it (which would repeat the work 2^k times).
with

transitions as not materialized (
    select * from {{ ref('int_attribution__markov_transitions') }}
),

probabilities as (
    select
        from_state,
        to_state,
        cast(transitions as double precision) / from_state_transitions as probability
    from transitions
),

channels as (
    select distinct from_state as channel_id
    from transitions
    where from_state <> '(start)'
),

scenarios as (
    select cast('(none)' as {{ dbt.type_string() }}) as removed_channel_id
    union all
    select channel_id from channels
),

states as (
    select distinct from_state as state from transitions
    union
    select distinct to_state from transitions
),

absorbing as (
    select state
    from states
    where state in ('(conversion)', '(null)')
),

step_0 as materialized (
    select
        scenarios.removed_channel_id,
        probabilities.from_state,
        case when probabilities.to_state = scenarios.removed_channel_id
            then '(null)' else probabilities.to_state end as to_state,
        sum(probabilities.probability) as probability
    from scenarios
    cross join probabilities
    where probabilities.from_state <> scenarios.removed_channel_id
    group by 1, 2, 3

    union all

    select
        scenarios.removed_channel_id,
        absorbing.state,
        absorbing.state,
        cast(1 as double precision)
    from scenarios
    cross join absorbing
),

{%- for k in range(1, markov_squarings + 1) %}

step_{{ k }} as materialized (
    select
        earlier.removed_channel_id,
        earlier.from_state,
        later.to_state,
        sum(earlier.probability * later.probability)
            / sum(sum(earlier.probability * later.probability)) over (
                partition by earlier.removed_channel_id, earlier.from_state
            ) as probability
    from step_{{ k - 1 }} as earlier
    inner join step_{{ k - 1 }} as later
        on later.removed_channel_id = earlier.removed_channel_id
        and later.from_state = earlier.to_state
    group by 1, 2, 3
    having sum(earlier.probability * later.probability) >= 1e-100
),
{%- endfor %}

from_start as (
    select
        scenarios.removed_channel_id,
        coalesce(sum(case when step.to_state = '(conversion)' then step.probability end), 0) as conversion_probability,
        1 - coalesce(sum(case when step.to_state in ('(conversion)', '(null)') then step.probability end), 0)
            as unabsorbed_probability
    from scenarios
    left join step_{{ markov_squarings }} as step
        on step.removed_channel_id = scenarios.removed_channel_id
        and step.from_state = '(start)'
    group by scenarios.removed_channel_id
),

base as (
    select conversion_probability
    from from_start
    where removed_channel_id = '(none)'
),

removal_effects as (
    select
        from_start.removed_channel_id as channel_id,
        base.conversion_probability,
        from_start.conversion_probability as conversion_probability_without_channel,
        case
            when base.conversion_probability > 0
                then 1 - from_start.conversion_probability / base.conversion_probability
            else 0
        end as removal_effect,
        from_start.unabsorbed_probability
    from from_start
    cross join base
    where from_start.removed_channel_id <> '(none)'
),

final as (
    select
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(removal_effect as decimal(20, 10)) as removal_effect,
        cast(conversion_probability as decimal(20, 10)) as conversion_probability,
        cast(conversion_probability_without_channel as decimal(20, 10)) as conversion_probability_without_channel,
        cast(unabsorbed_probability as double precision) as unabsorbed_probability,
        cast({{ 2 ** markov_squarings }} as {{ dbt.type_bigint() }}) as transitions_covered
    from removal_effects
)

select * from final
