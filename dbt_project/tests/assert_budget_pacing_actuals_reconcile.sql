-- Pacing's actuals are the spend facts, channel by channel, to the cent.
with

pacing as (
    select channel_id, sum(actual_usd) as actual_usd
    from {{ ref('mart_budget_pacing') }}
    group by 1
),

spend as (
    select spend.channel_id, sum(spend.spend_usd) as spend_usd
    from {{ ref('fct_spend_daily') }} as spend
    inner join {{ ref('dim_channels') }} as channels
        on channels.channel_id = spend.channel_id
        and channels.is_marketing_channel
    group by 1
)

select spend.channel_id, spend.spend_usd, pacing.actual_usd
from spend
left join pacing on pacing.channel_id = spend.channel_id
where pacing.actual_usd is null or pacing.actual_usd <> spend.spend_usd
