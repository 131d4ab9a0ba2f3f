-- The allocation's recommendation moves each month's marketing spend between cells, it does
-- not change it: recommended spends sum to the actual spend to the cent, and shares to 1.
select
    budget_month,
    sum(spend_usd) as spend_usd,
    sum(recommended_spend_usd) as recommended_spend_usd,
    sum(recommended_share) as recommended_share
from {{ ref('mart_budget_allocation') }}
group by budget_month
having sum(recommended_spend_usd) <> sum(spend_usd)
    or (sum(spend_usd) > 0 and abs(sum(recommended_share) - 1) > 0.0001)
