-- The journey funnel per month and stage. A customer enters a stage with their first touch
-- in it; the month is the reporting-zone month of that entry. They have progressed when they
-- later enter any further stage (a customer can skip one: a first touch that is an order goes
-- straight to purchase); days to next stage run from the entry to the first such later
-- entry. Advocacy is the last stage: nothing to progress to, so progressed, drop_off,
-- conversion rate and median days are NULL there.
with

touches as (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

stages as (
    select * from {{ ref('journey_stages') }}
),

stage_entries as (
    select
        touches.customer_key,
        touches.stage,
        stages.stage_rank,
        min(touches.touched_at) as entered_at
    from touches
    inner join stages
        on stages.stage = touches.stage
    group by touches.customer_key, touches.stage, stages.stage_rank
),

next_stage_entries as (
    select
        entry.customer_key,
        entry.stage,
        entry.stage_rank,
        entry.entered_at,
        min(later.entered_at) as next_stage_entered_at
    from stage_entries as entry
    left join stage_entries as later
        on later.customer_key = entry.customer_key
        and later.stage_rank > entry.stage_rank
        and later.entered_at >= entry.entered_at
    group by entry.customer_key, entry.stage, entry.stage_rank, entry.entered_at
),

with_period as (
    select
        cast({{ dbt.date_trunc('month', to_reporting_date('entered_at')) }} as date) as period_month,
        stage,
        stage_rank,
        customer_key,
        next_stage_entered_at is not null as has_progressed,
        {{ dbt.datediff('entered_at', 'next_stage_entered_at', 'second') }} / 86400.0 as days_to_next_stage
    from next_stage_entries
),

aggregated_to_months as (
    select
        period_month,
        stage,
        stage_rank,
        count(*) as entered,
        sum(case when has_progressed then 1 else 0 end) as progressed,
        {{ median('days_to_next_stage') }} as median_days_to_next_stage
    from with_period
    group by period_month, stage, stage_rank
),

final as (
    select
        period_month,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_rank as integer) as stage_rank,
        cast(entered as {{ dbt.type_bigint() }}) as entered,
        cast(case when stage <> 'advocacy' then progressed end as {{ dbt.type_bigint() }}) as progressed,
        cast(case when stage <> 'advocacy' then entered - progressed end as {{ dbt.type_bigint() }}) as drop_off,
        cast(case when stage <> 'advocacy' then 1.0 * progressed / entered end as decimal(12, 6)) as conversion_rate,
        cast(case when stage <> 'advocacy' then median_days_to_next_stage end as decimal(12, 2)) as median_days_to_next_stage
    from aggregated_to_months
)

select * from final
