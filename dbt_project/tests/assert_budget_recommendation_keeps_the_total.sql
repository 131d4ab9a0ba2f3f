{{ config(enabled=target.type == 'duckdb') }}
-- The recommended split moves money between channels; the total stays the same to the cent.
with

recommendation as (
    select * from {{ ref('mart_budget_recommendation') }}
),

totals as (
    select sum(current_spend_usd) as current_total, sum(recommended_spend_usd) as recommended_total
    from recommendation
)

select *
from totals
where current_total <> recommended_total
