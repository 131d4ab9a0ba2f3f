{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['spend_date', 'channel_id'],
        on_schema_change='append_new_columns'
    )
}}
-- Spend per reporting date, channel and campaign (and currency: one campaign spends in one
-- currency). Incremental: a run rebuilds every (date, channel) that has a source row loaded
-- within var('late_data_lookback_days') of the newest load already here, and every non-USD
-- day from the earliest FX rate loaded in that window, so late files, corrected
-- re-deliveries and late FX rates replace what was there. A (date, channel) that loses all
-- its rows needs a --full-refresh.
with

spend as not materialized (
    select * from {{ ref('int_spend__unioned') }}
),

fx_rates as (
    select * from {{ ref('stg_finance__fx_rates') }}
),

{% if is_incremental() %}
reprocess_since as (
    {{ reprocess_loaded_after('last_loaded_at') }}
),

late_fx_from as (
    select min(rate_date) as rate_date
    from fx_rates
    where _loaded_at > (select loaded_after from reprocess_since)
),

partitions_to_rebuild as (
    select distinct spend_date, channel_id
    from spend
    where _loaded_at > (select loaded_after from reprocess_since)
        or (currency_code <> '{{ var("reporting_currency", "USD") }}'
            and spend_date >= (select rate_date from late_fx_from))
),

spend_to_process as (
    select spend.*
    from spend
    inner join partitions_to_rebuild
        on partitions_to_rebuild.spend_date = spend.spend_date
        and partitions_to_rebuild.channel_id = spend.channel_id
),
{% else %}
spend_to_process as (
    select * from spend
),
{% endif %}

aggregated_to_campaign_days as (
    select
        spend_date,
        channel_id,
        campaign_key,
        campaign_id,
        currency_code,
        sum(spend_local) as spend_local,
        sum(spend_usd) as spend_usd,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        count(*) as source_lines,
        max(_loaded_at) as last_loaded_at
    from spend_to_process
    group by spend_date, channel_id, campaign_key, campaign_id, currency_code
),

final as (
    select
        spend_date,
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        cast(currency_code as {{ dbt.type_string() }}) as currency_code,
        cast(spend_local as {{ amount_type() }}) as spend_local,
        cast(spend_usd as {{ money_type() }}) as spend_usd,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(source_lines as {{ dbt.type_bigint() }}) as source_lines,
        last_loaded_at
    from aggregated_to_campaign_days
)

select * from final
