-- Spend per channel and day in fct_spend_daily equals the raw exports' spend converted to
-- USD, to the cent. The expected side is computed here from raw.* only (no staging or
-- intermediate model), so a wrong conversion, spread or lost row anywhere in between fails.
--   daily rows:  Google cost, Meta spend, LinkedIn Total Spent, TikTok spend on their report
--                day; e-mail send cost and webinar platform cost on their New York date
--   period rows: event costs, content costs and offline net amounts spread evenly over
--                their days, truncated to the cent, remainder on the last day
--   each row (or spread day) converted at the latest rate on or before its day, rounded to
--   the cent, then summed per channel and day.
-- Returns one row per channel and day that does not match (or has no rate).

with

fx_rates as (
    select rate_date, upper(base_currency) as currency, rate
    from {{ source('finance', 'fx_rates') }}
    where upper(quote_currency) = 'USD'
),

daily_rows as (
    select 'google_ads' as channel_id, date as spend_date, currency_code as currency, cost as amount
    from {{ source('google_ads', 'campaign_stats') }}
    union all
    select 'meta_ads', date_start, account_currency, spend
    from {{ source('meta_ads', 'ads_insights') }}
    union all
    select 'linkedin_ads', date, currency, total_spent
    from {{ source('linkedin_ads', 'campaign_analytics') }}
    union all
    select 'tiktok_ads', stat_date, currency, spend
    from {{ source('tiktok_ads', 'ad_reports') }}
    union all
    select 'email', cast((send_time at time zone 'America/New_York') as date), currency, send_cost
    from {{ source('email', 'campaigns') }}
    union all
    select 'webinars', cast((start_time at time zone 'America/New_York') as date), currency, platform_cost
    from {{ source('webinars', 'sessions') }}
),

period_rows as (
    select 'events' as channel_id, start_date as first_day, end_date as last_day, currency, amount
    from {{ source('events', 'event_costs') }}
    union all
    select 'content', period_start, period_end, currency, amount
    from {{ source('content', 'production_costs') }}
    union all
    select 'offline', flight_start, flight_end, currency, net_amount
    from {{ source('offline', 'agency_invoices') }}
),

day_offsets as (
    {{ dbt.generate_series(3700) }}
),

period_days as (
    select
        period_rows.*,
        cast({{ dbt.dateadd('day', 'day_offsets.generated_number - 1', 'period_rows.first_day') }} as date) as spend_date,
        {{ dbt.datediff('period_rows.first_day', 'period_rows.last_day', 'day') }} + 1 as day_count
    from period_rows
    inner join day_offsets
        on day_offsets.generated_number <= {{ dbt.datediff('period_rows.first_day', 'period_rows.last_day', 'day') }} + 1
),

spread_rows as (
    select
        channel_id,
        spend_date,
        currency,
        case
            when spend_date = last_day
                then amount - cast(floor(amount * 100 / day_count) / 100 as decimal(18, 2)) * (day_count - 1)
            else cast(floor(amount * 100 / day_count) / 100 as decimal(18, 2))
        end as amount
    from period_days
),

all_rows as (
    select channel_id, spend_date, currency, amount from daily_rows
    union all
    select channel_id, spend_date, currency, amount from spread_rows
),

rated as (
    select
        all_rows.*,
        case
            when upper(all_rows.currency) = 'USD' then 1
            else (
                select fx_rates.rate
                from fx_rates
                where fx_rates.currency = upper(all_rows.currency)
                  and fx_rates.rate_date = (
                      select max(earlier.rate_date)
                      from fx_rates as earlier
                      where earlier.currency = upper(all_rows.currency)
                        and earlier.rate_date <= all_rows.spend_date
                  )
            )
        end as rate
    from all_rows
),

expected as (
    select
        channel_id,
        spend_date,
        sum(round(amount * rate, 2)) as expected_usd,
        sum(case when rate is null then 1 else 0 end) as rows_without_rate
    from rated
    group by channel_id, spend_date
),

actual as (
    select channel_id, spend_date, sum(spend_usd) as actual_usd
    from {{ ref('fct_spend_daily') }}
    group by channel_id, spend_date
),

compared as (
    select
        coalesce(expected.channel_id, actual.channel_id) as channel_id,
        coalesce(expected.spend_date, actual.spend_date) as spend_date,
        expected.expected_usd,
        actual.actual_usd,
        coalesce(expected.rows_without_rate, 0) as rows_without_rate
    from expected
    full outer join actual
        on actual.channel_id = expected.channel_id
        and actual.spend_date = expected.spend_date
)

select *
from compared
where rows_without_rate > 0
   or coalesce(expected_usd, 0) <> coalesce(actual_usd, 0)
