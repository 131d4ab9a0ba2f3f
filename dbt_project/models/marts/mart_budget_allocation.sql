-- Budget allocation: per month × marketing channel × journey stage, where the money went
-- against where customers engaged and where they converted, and where it should go.
--
--   spend_share              cell spend / the month's marketing spend
--   engagement_share         cell touches / the month's marketing touches
--   attributed_revenue_share cell attributed revenue / the month's attributed revenue, under
--                            the attribution model in var('budget_attribution_model')
--   recommended_spend_usd    the month's actual marketing spend, moved (never changed; exact
--                            to the cent): channels whose customers we cannot see (offline)
--                            keep their spend; the rest is split over the movable cells of
--                            channels with spend by w_e * their share of those cells' touches
--                            + w_r * their share of those cells' attributed revenue
--                            (var('budget_recommendation_weights')); see the yml for the rule
--   recommended_share        recommended_spend_usd / the month's marketing spend
--   shift_usd                recommended_spend_usd - spend_usd (> 0: under-funded)
--
-- A channel's attributed conversions and revenue (mart_attribution: per conversion and
-- channel) are split over stages by the channel's touch mix that month (its all-time mix
-- when it had no touches that month), as its spend is (int_spend__allocated_to_stages).
-- Conversions credited to 'direct' (no marketing touch in the lookback) fund no channel and
-- stay out of the shares.
{%- set attribution_models = ['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay', 'markov'] %}
{%- set model_name = var('budget_attribution_model', 'markov') %}
{%- if model_name not in attribution_models %}
    {{ exceptions.raise_compiler_error("var budget_attribution_model must be one of " ~ attribution_models ~ ", got " ~ model_name) }}
{%- endif %}
{%- set weights = var('budget_recommendation_weights', {'engagement': 0.5, 'attributed_revenue': 0.5}) %}
{%- set min_spend_change = var('marginal_roas_min_spend_change', 0.05) %}
with

channels as (
    select * from {{ ref('dim_channels') }}
),

stages as (
    select * from {{ ref('journey_stages') }}
),

touches as not materialized (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

allocated_spend as not materialized (
    select * from {{ ref('int_spend__allocated_to_stages') }}
),

attribution as (
    select * from {{ ref('mart_attribution') }}
),

monthly_engagement as (
    select
        cast({{ dbt.date_trunc('month', 'reporting_date') }} as date) as budget_month,
        channel_id,
        stage,
        count(*) as touches,
        count(distinct customer_key) as reached_customers
    from touches
    where stage is not null
    group by 1, 2, 3
),

all_time_engagement as (
    select channel_id, stage, sum(touches) as touches
    from monthly_engagement
    group by 1, 2
),

monthly_attribution as (
    select
        cast({{ dbt.date_trunc('month', 'conversion_date') }} as date) as budget_month,
        channel_id,
        sum(credit_{{ model_name }}) as attributed_conversions,
        sum(attributed_revenue_{{ model_name }}_usd) as attributed_revenue_usd
    from attribution
    group by 1, 2
),

-- the stage mix each channel's attribution is split by: that month's touches, else all-time
stage_touches_for_attribution as (
    select
        monthly_attribution.budget_month,
        monthly_attribution.channel_id,
        monthly_engagement.stage,
        monthly_engagement.touches
    from monthly_attribution
    inner join monthly_engagement
        on monthly_engagement.budget_month = monthly_attribution.budget_month
        and monthly_engagement.channel_id = monthly_attribution.channel_id

    union all

    select
        monthly_attribution.budget_month,
        monthly_attribution.channel_id,
        all_time_engagement.stage,
        all_time_engagement.touches
    from monthly_attribution
    inner join all_time_engagement
        on all_time_engagement.channel_id = monthly_attribution.channel_id
    where not exists (
        select 1
        from monthly_engagement
        where monthly_engagement.budget_month = monthly_attribution.budget_month
          and monthly_engagement.channel_id = monthly_attribution.channel_id
    )
),

attribution_stage_mix as (
    select
        budget_month,
        channel_id,
        stage,
        1.0 * touches / sum(touches) over (partition by budget_month, channel_id) as stage_weight
    from stage_touches_for_attribution
),

attributed_by_stage as (
    select
        attribution_stage_mix.budget_month,
        attribution_stage_mix.channel_id,
        attribution_stage_mix.stage,
        monthly_attribution.attributed_conversions * attribution_stage_mix.stage_weight as attributed_conversions,
        monthly_attribution.attributed_revenue_usd * attribution_stage_mix.stage_weight as attributed_revenue_usd
    from attribution_stage_mix
    inner join monthly_attribution
        on monthly_attribution.budget_month = attribution_stage_mix.budget_month
        and monthly_attribution.channel_id = attribution_stage_mix.channel_id
),

months as (
    select spend_month as budget_month from allocated_spend
    union
    select budget_month from monthly_engagement
),

cells as (
    select
        months.budget_month,
        channels.channel_id,
        stages.stage,
        stages.stage_rank,
        coalesce(allocated_spend.spend_usd, 0) as spend_usd,
        allocated_spend.allocation_basis,
        coalesce(monthly_engagement.touches, 0) as touches,
        coalesce(monthly_engagement.reached_customers, 0) as reached_customers,
        coalesce(attributed_by_stage.attributed_conversions, 0) as attributed_conversions,
        coalesce(attributed_by_stage.attributed_revenue_usd, 0) as attributed_revenue_usd
    from months
    cross join channels
    cross join stages
    left join allocated_spend
        on allocated_spend.spend_month = months.budget_month
        and allocated_spend.channel_id = channels.channel_id
        and allocated_spend.stage = stages.stage
    left join monthly_engagement
        on monthly_engagement.budget_month = months.budget_month
        and monthly_engagement.channel_id = channels.channel_id
        and monthly_engagement.stage = stages.stage
    left join attributed_by_stage
        on attributed_by_stage.budget_month = months.budget_month
        and attributed_by_stage.channel_id = channels.channel_id
        and attributed_by_stage.stage = stages.stage
    where channels.is_marketing_channel
),

-- which cells the recommendation may move: a channel's spend follows customers only where
-- customers can be seen touching it; TV/radio/print reach nobody we can identify, so their
-- spend is held (not zeroed for being unobservable); channels without spend that month (owned
-- web/app) have no budget line to move
channel_months as (
    select budget_month, channel_id, sum(spend_usd) as channel_spend_usd
    from cells
    group by 1, 2
),

observable_channels as (
    select distinct channel_id from touches where stage is not null
),

with_shares as (
    select
        cells.*,
        sum(cells.spend_usd) over (partition by cells.budget_month) as month_spend_usd,
        coalesce(cells.spend_usd / nullif(sum(cells.spend_usd) over (partition by cells.budget_month), 0), 0) as spend_share,
        coalesce(1.0 * cells.touches / nullif(sum(cells.touches) over (partition by cells.budget_month), 0), 0) as engagement_share,
        1.0 * cells.attributed_revenue_usd
            / nullif(sum(cells.attributed_revenue_usd) over (partition by cells.budget_month), 0) as attributed_revenue_share,
        case
            when channel_months.channel_spend_usd <= 0 then 'not_budgeted'
            when observable_channels.channel_id is null then 'held_unobservable'
            else 'follows_customers'
        end as recommendation_basis
    from cells
    inner join channel_months
        on channel_months.budget_month = cells.budget_month
        and channel_months.channel_id = cells.channel_id
    left join observable_channels
        on observable_channels.channel_id = cells.channel_id
),

flexible as (
    select
        *,
        case when recommendation_basis = 'follows_customers' then touches else 0 end as flex_touches,
        case when recommendation_basis = 'follows_customers' then attributed_revenue_usd else 0 end as flex_revenue_usd,
        case when recommendation_basis = 'follows_customers' then spend_usd else 0 end as flex_spend_usd,
        sum(case when recommendation_basis = 'held_unobservable' then spend_usd else 0 end)
            over (partition by budget_month) as held_usd
    from with_shares
),

flexible_totals as (
    select
        *,
        sum(flex_touches) over (partition by budget_month) as month_flex_touches,
        sum(flex_revenue_usd) over (partition by budget_month) as month_flex_revenue_usd,
        sum(flex_spend_usd) over (partition by budget_month) as month_flex_spend_usd
    from flexible
),

-- the weight of a movable cell within the movable pool (the month's spend less held spend)
with_weights as (
    select
        *,
        case
            when recommendation_basis <> 'follows_customers' then 0
            when month_flex_touches = 0 and month_flex_revenue_usd = 0
                then 1.0 * flex_spend_usd / nullif(month_flex_spend_usd, 0)
            when month_flex_revenue_usd = 0
                then 1.0 * flex_touches / month_flex_touches
            when month_flex_touches = 0
                then 1.0 * flex_revenue_usd / month_flex_revenue_usd
            else {{ weights['engagement'] }} * flex_touches / month_flex_touches
                + {{ weights['attributed_revenue'] }} * flex_revenue_usd / month_flex_revenue_usd
        end as flex_weight
    from flexible_totals
),

recommended_rounded as (
    select
        *,
        case
            when recommendation_basis = 'held_unobservable' then spend_usd
            when recommendation_basis = 'follows_customers'
                then round(cast(flex_weight * (month_spend_usd - held_usd) as {{ dbt.type_numeric() }}), 2)
            else 0
        end as recommended_rounded_usd,
        row_number() over (
            partition by budget_month
            order by case when recommendation_basis = 'follows_customers' then 0 else 1 end,
                     flex_weight desc, channel_id, stage
        ) as recommendation_rank
    from with_weights
),

-- the month's total moves, it does not change: the largest movable cell takes the cents of
-- rounding
recommended as (
    select
        *,
        case
            when recommendation_rank = 1 and recommendation_basis = 'follows_customers'
                then month_spend_usd - (
                    sum(recommended_rounded_usd) over (partition by budget_month) - recommended_rounded_usd
                )
            else recommended_rounded_usd
        end as recommended_spend_usd,
        lag(spend_usd) over (partition by channel_id, stage order by budget_month) as previous_spend_usd,
        lag(attributed_revenue_usd) over (partition by channel_id, stage order by budget_month) as previous_revenue_usd
    from recommended_rounded
),

final as (
    select
        budget_month,
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_rank as integer) as stage_rank,
        cast(spend_usd as {{ money_type() }}) as spend_usd,
        cast(allocation_basis as {{ dbt.type_string() }}) as allocation_basis,
        cast(touches as {{ dbt.type_bigint() }}) as touches,
        cast(reached_customers as {{ dbt.type_bigint() }}) as reached_customers,
        cast(spend_share as decimal(12, 6)) as spend_share,
        cast(engagement_share as decimal(12, 6)) as engagement_share,
        cast(spend_share - engagement_share as decimal(12, 6)) as misallocation_index,
        cast(spend_share / nullif(engagement_share, 0) as decimal(18, 6)) as spend_to_engagement_ratio,
        cast('{{ model_name }}' as {{ dbt.type_string() }}) as attribution_model,
        cast(attributed_conversions as decimal(18, 6)) as attributed_conversions,
        cast(attributed_revenue_usd as {{ money_type() }}) as attributed_revenue_usd,
        cast(coalesce(attributed_revenue_share, 0) as decimal(12, 6)) as attributed_revenue_share,
        cast(spend_usd / nullif(attributed_conversions, 0) as {{ money_type() }}) as cpa_usd,
        cast(attributed_revenue_usd / nullif(spend_usd, 0) as decimal(18, 6)) as roas,
        cast(
            case
                when previous_spend_usd is not null
                    and abs(spend_usd - previous_spend_usd) >= {{ min_spend_change }} * previous_spend_usd
                    and spend_usd <> previous_spend_usd
                    then (attributed_revenue_usd - previous_revenue_usd) / (spend_usd - previous_spend_usd)
            end as decimal(18, 6)
        ) as marginal_roas,
        cast(recommendation_basis as {{ dbt.type_string() }}) as recommendation_basis,
        cast(coalesce(recommended_spend_usd / nullif(month_spend_usd, 0), 0) as decimal(12, 6)) as recommended_share,
        cast(recommended_spend_usd as {{ money_type() }}) as recommended_spend_usd,
        cast(recommended_spend_usd - spend_usd as {{ money_type() }}) as shift_usd,
        cast(coalesce(recommended_spend_usd / nullif(month_spend_usd, 0), 0) - spend_share as decimal(12, 6)) as shift_share
    from recommended
)

select * from final
