{%- set models = ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov'] -%}
{%- set weights = var('attribution_position_weights', {'first': 0.4, 'middle': 0.2, 'last': 0.4}) -%}
{%- set weight_total = weights['first'] + weights['middle'] + weights['last'] -%}
{%- set half_life_days = var('attribution_time_decay_half_life_days', 7) -%}
{%- if weight_total <= 0 or half_life_days <= 0 -%}
    {{ exceptions.raise_compiler_error("attribution_position_weights must sum to more than 0 and attribution_time_decay_half_life_days must be positive") }}
{%- endif -%}
-- Multi-touch attribution: one row per conversion (order) × channel on its path, with the
-- conversion's credit under six models. Every conversion's credits sum to exactly 1 under
-- every model, so summing a model's credits counts each order once.
--   path              the customer's marketing touches strictly before the order, within
--                     var('attribution_lookback_days') (int_attribution__touch_paths)
--   first_touch       all to the first touch's channel; last_touch: all to the last
--   linear            1/n per touch
--   position_based    var('attribution_position_weights') (default 40/20/40): the first and
--                     last touch their weight, the middle touches the middle weight shared
--                     evenly (weights normalised to sum 1); 2 touches split first:last, 1
--                     touch takes all
--   time_decay        touch weight 2^(-days before the order / half-life), half-life
--                     var('attribution_time_decay_half_life_days'), normalised per order
--   markov            the path's channels in proportion to their Markov removal effects
--                     (int_attribution__markov_removal_effects); evenly if all are 0
-- A conversion without any marketing touch in the lookback is credited 100% to channel_id
-- 'direct' under every model ('direct' is no registry channel).
-- Credits are computed per touch, summed per channel, rounded to DECIMAL(20,10), and the
-- rounding remainder of each model is put on the conversion's row with the largest credit
-- (ties: lowest channel_id). attributed_revenue_<model>_usd splits revenue_usd the same way,
-- to the cent.
with

conversions as not materialized (
    select * from {{ ref('int_attribution__conversions') }}
),

paths as (
    select * from {{ ref('int_attribution__touch_paths') }}
    where is_converting
),

removal_effects as (
    select * from {{ ref('int_attribution__markov_removal_effects') }}
),

touch_weights as (
    select
        conversion_id,
        channel_id,
        case when touch_number = 1 then 1.0 else 0.0 end as weight_first_touch,
        case when touch_number = touches_in_path then 1.0 else 0.0 end as weight_last_touch,
        1.0 / touches_in_path as weight_linear,
        case
            when touches_in_path = 1 then 1.0
            when touches_in_path = 2 and touch_number = 1
                then {{ weights['first'] }} / {{ weights['first'] + weights['last'] }}
            when touches_in_path = 2
                then {{ weights['last'] }} / {{ weights['first'] + weights['last'] }}
            when touch_number = 1 then {{ weights['first'] }} / {{ weight_total }}
            when touch_number = touches_in_path then {{ weights['last'] }} / {{ weight_total }}
            else {{ weights['middle'] }} / {{ weight_total }} / (touches_in_path - 2)
        end as weight_position_based,
        exp(-1 * ln(2.0) * days_before_conversion / {{ half_life_days }}) as decay_factor
    from paths
),

channel_weights as (
    select
        conversion_id,
        channel_id,
        count(*) as touches_in_window,
        sum(weight_first_touch) as weight_first_touch,
        sum(weight_last_touch) as weight_last_touch,
        sum(weight_linear) as weight_linear,
        sum(weight_position_based) as weight_position_based,
        sum(decay_factor) as decay_factor
    from touch_weights
    group by conversion_id, channel_id
),

with_removal_effects as (
    select
        channel_weights.*,
        coalesce(removal_effects.removal_effect, 0) as removal_effect,
        sum(decay_factor) over (partition by channel_weights.conversion_id) as conversion_decay_factor,
        sum(coalesce(removal_effects.removal_effect, 0)) over (partition by channel_weights.conversion_id)
            as conversion_removal_effect,
        count(*) over (partition by channel_weights.conversion_id) as channels_on_path
    from channel_weights
    left join removal_effects
        on removal_effects.channel_id = channel_weights.channel_id
),

touched_credits as (
    select
        conversion_id,
        channel_id,
        touches_in_window,
        weight_first_touch as credit_first_touch,
        weight_last_touch as credit_last_touch,
        weight_linear as credit_linear,
        weight_position_based as credit_position_based,
        decay_factor / conversion_decay_factor as credit_time_decay,
        case
            when conversion_removal_effect > 0 then removal_effect / conversion_removal_effect
            else 1.0 / channels_on_path
        end as credit_markov
    from with_removal_effects
),

direct_credits as (
    select
        conversions.conversion_id,
        'direct' as channel_id,
        0 as touches_in_window
        {%- for model in models %},
        1.0 as credit_{{ model }}
        {%- endfor %}
    from conversions
    where not exists (
        select 1 from paths where paths.conversion_id = conversions.conversion_id
    )
),

unrounded as (
    select
        conversion_id,
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(touches_in_window as integer) as touches_in_window
        {%- for model in models %},
        cast(credit_{{ model }} as decimal(20, 10)) as rounded_{{ model }}
        {%- endfor %}
    from touched_credits

    union all

    select
        conversion_id,
        cast(channel_id as {{ dbt.type_string() }}),
        cast(touches_in_window as integer)
        {%- for model in models %},
        cast(credit_{{ model }} as decimal(20, 10))
        {%- endfor %}
    from direct_credits
),

-- the conversion's columns, and each credit's share of its revenue before the remainders
with_conversions as (
    select
        unrounded.*,
        conversions.customer_key,
        conversions.converted_at,
        conversions.conversion_date,
        conversions.conversion_type,
        conversions.revenue_usd
        {%- for model in models %},
        cast(round(conversions.revenue_usd * unrounded.rounded_{{ model }}, 2) as {{ money_type() }})
            as rounded_revenue_{{ model }}
        {%- endfor %}
    from unrounded
    inner join conversions
        on conversions.conversion_id = unrounded.conversion_id
),

-- Per conversion and model: the rounded credits' and revenues' sums, and the largest credit.
-- Grouped, not windowed: a row_number per model sorted every row six times, ~0.6 s of the
-- model's ~1.2 s at a year (BENCHMARKS.md, "Four downstream models sort less").
conversion_totals as (
    select
        conversion_id
        {%- for model in models %},
        sum(rounded_{{ model }}) as credit_total_{{ model }},
        sum(rounded_revenue_{{ model }}) as revenue_total_{{ model }},
        max(rounded_{{ model }}) as largest_{{ model }}
        {%- endfor %}
    from with_conversions
    group by conversion_id
),

-- the row of each conversion that takes each model's rounding remainder: its largest credit
-- (ties: lowest channel_id)
remainder_channels as (
    select
        with_conversions.conversion_id
        {%- for model in models %},
        min(case
            when with_conversions.rounded_{{ model }} = conversion_totals.largest_{{ model }}
                then with_conversions.channel_id
        end) as remainder_channel_{{ model }}
        {%- endfor %}
    from with_conversions
    inner join conversion_totals
        on conversion_totals.conversion_id = with_conversions.conversion_id
    group by with_conversions.conversion_id
),

conserved as (
    select
        with_conversions.*
        {%- for model in models %},
        cast(with_conversions.rounded_{{ model }} + case
            when with_conversions.channel_id = remainder_channels.remainder_channel_{{ model }}
                then 1 - conversion_totals.credit_total_{{ model }}
            else 0
        end as decimal(20, 10)) as credit_{{ model }},
        cast(with_conversions.rounded_revenue_{{ model }} + case
            when with_conversions.channel_id = remainder_channels.remainder_channel_{{ model }}
                then with_conversions.revenue_usd - conversion_totals.revenue_total_{{ model }}
            else 0
        end as {{ money_type() }}) as attributed_revenue_{{ model }}_usd
        {%- endfor %}
    from with_conversions
    inner join conversion_totals
        on conversion_totals.conversion_id = with_conversions.conversion_id
    inner join remainder_channels
        on remainder_channels.conversion_id = with_conversions.conversion_id
),

final as (
    select
        cast(conversion_id as {{ dbt.type_string() }}) as conversion_id,
        cast(customer_key as {{ dbt.type_string() }}) as customer_key,
        converted_at,
        conversion_date,
        cast(conversion_type as {{ dbt.type_string() }}) as conversion_type,
        cast(revenue_usd as {{ money_type() }}) as revenue_usd,
        channel_id,
        touches_in_window
        {%- for model in models %},
        credit_{{ model }}
        {%- endfor %}
        {%- for model in models %},
        attributed_revenue_{{ model }}_usd
        {%- endfor %}
    from conserved
)

select * from final
