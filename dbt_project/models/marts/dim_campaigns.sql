-- One row per campaign that spent money: ad platform campaigns, e-mail campaigns, webinars,
-- events, content assets and offline flights (agency invoices).
with

spend as (
    select * from {{ ref('int_spend__unioned') }}
),

latest_names as (
    select
        campaign_key,
        campaign_name,
        campaign_type,
        row_number() over (partition by campaign_key order by spend_date desc, _loaded_at desc) as recency
    from spend
),

campaign_totals as (
    select
        campaign_key,
        min(channel_id) as channel_id,
        min(campaign_id) as campaign_id,
        min(spend_date) as first_spend_date,
        max(spend_date) as last_spend_date,
        sum(spend_usd) as spend_usd
    from spend
    group by campaign_key
),

final as (
    select
        cast(campaign_totals.campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(campaign_totals.channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(campaign_totals.campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(latest_names.campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(latest_names.campaign_type as {{ dbt.type_string() }}) as campaign_type,
        campaign_totals.first_spend_date,
        campaign_totals.last_spend_date,
        cast(campaign_totals.spend_usd as {{ money_type() }}) as spend_usd
    from campaign_totals
    inner join latest_names
        on latest_names.campaign_key = campaign_totals.campaign_key
        and latest_names.recency = 1
)

select * from final
