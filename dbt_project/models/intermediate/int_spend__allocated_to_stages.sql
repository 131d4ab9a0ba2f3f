-- Monthly spend per channel split over journey stages, so spend can be set against where
-- customers are. Spend carries no stage of its own, except content (its ledger names a
-- target stage). The rest of a channel's month is split in proportion to the channel's
-- person-level touches by stage that month (activity-based costing); a channel with no
-- touches that month splits evenly over the stages it serves in the registry. Exact to the
-- cent: every stage's share is rounded, and the channel's largest stage takes the rounding
-- remainder.
with

spend as (
    select * from {{ ref('int_spend__unioned') }}
),

touches as (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

channels as not materialized (
    select * from {{ ref('channels') }}
),

stages as (
    select * from {{ ref('journey_stages') }}
),

monthly_spend as (
    select
        cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as spend_month,
        channel_id,
        target_stage,
        sum(spend_usd) as spend_usd
    from spend
    group by 1, 2, 3
),

monthly_touches as (
    select
        cast({{ dbt.date_trunc('month', 'reporting_date') }} as date) as spend_month,
        channel_id,
        stage,
        count(*) as touches
    from touches
    where stage is not null
    group by 1, 2, 3
),

registry_stages as (
    select
        channels.channel_id,
        stages.stage,
        1 as touches
    from channels
    inner join stages
        on '|' || channels.stages || '|' like '%|' || stages.stage || '|%'
),

-- weights per (month, channel, stage): touches, else the registry's stages evenly
weights as (
    select
        spend_month,
        channel_id,
        stage,
        touches as weight,
        'touch_share' as allocation_basis
    from monthly_touches

    union all

    select
        unstaged.spend_month,
        unstaged.channel_id,
        registry_stages.stage,
        registry_stages.touches,
        'registry_stages'
    from (
        select distinct spend_month, channel_id
        from monthly_spend
        where target_stage is null
    ) as unstaged
    inner join registry_stages
        on registry_stages.channel_id = unstaged.channel_id
    where not exists (
        select 1
        from monthly_touches
        where monthly_touches.spend_month = unstaged.spend_month
          and monthly_touches.channel_id = unstaged.channel_id
    )
),

weight_shares as (
    select
        spend_month,
        channel_id,
        stage,
        allocation_basis,
        cast(weight as {{ dbt.type_numeric() }})
            / sum(weight) over (partition by spend_month, channel_id) as weight_share,
        row_number() over (
            partition by spend_month, channel_id
            order by weight desc, stage
        ) as weight_rank
    from weights
),

unstaged_spend as (
    select spend_month, channel_id, sum(spend_usd) as spend_usd
    from monthly_spend
    where target_stage is null
    group by 1, 2
),

allocated_by_weight as (
    select
        weight_shares.spend_month,
        weight_shares.channel_id,
        weight_shares.stage,
        weight_shares.weight_rank,
        weight_shares.allocation_basis,
        unstaged_spend.spend_usd as channel_spend_usd,
        cast(round(unstaged_spend.spend_usd * weight_shares.weight_share, 2) as {{ money_type() }}) as rounded_usd
    from unstaged_spend
    inner join weight_shares
        on weight_shares.spend_month = unstaged_spend.spend_month
        and weight_shares.channel_id = unstaged_spend.channel_id
),

remainder_on_largest_stage as (
    select
        spend_month,
        channel_id,
        stage,
        case
            when weight_rank = 1
                then channel_spend_usd - (
                    sum(rounded_usd) over (partition by spend_month, channel_id) - rounded_usd
                )
            else rounded_usd
        end as spend_usd,
        allocation_basis
    from allocated_by_weight
),

targeted_spend as (
    select
        spend_month,
        channel_id,
        target_stage as stage,
        spend_usd,
        'target_stage' as allocation_basis
    from monthly_spend
    where target_stage is not null
),

unioned as (
    select * from remainder_on_largest_stage
    union all
    select * from targeted_spend
),

final as (
    select
        spend_month,
        channel_id,
        stage,
        cast(sum(spend_usd) as {{ money_type() }}) as spend_usd,
        min(allocation_basis) as allocation_basis
    from unioned
    group by spend_month, channel_id, stage
)

select * from final
