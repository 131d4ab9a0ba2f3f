-- Every conversion's credits sum to exactly 1 under every attribution model, and its
-- attributed revenue to its revenue to the cent; every conversion is there. Returns one row
-- per conversion and model that breaks this.
{%- set models = ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov'] %}
with

attribution as (
    select * from {{ ref('mart_attribution') }}
),

conversions as (
    select * from {{ ref('int_attribution__conversions') }}
),

per_conversion as (
    select
        conversions.conversion_id,
        conversions.revenue_usd,
        count(attribution.conversion_id) as attribution_rows
        {%- for model in models %},
        sum(attribution.credit_{{ model }}) as credit_{{ model }},
        sum(attribution.attributed_revenue_{{ model }}_usd) as revenue_{{ model }}
        {%- endfor %}
    from conversions
    left join attribution
        on attribution.conversion_id = conversions.conversion_id
    group by conversions.conversion_id, conversions.revenue_usd
),

broken as (
    {%- for model in models %}
    select
        conversion_id,
        '{{ model }}' as attribution_model,
        attribution_rows,
        credit_{{ model }} as credit_sum,
        revenue_{{ model }} as attributed_revenue_usd,
        revenue_usd
    from per_conversion
    where attribution_rows = 0
       or credit_{{ model }} <> 1
       or revenue_{{ model }} <> revenue_usd
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select * from broken
