-- The MetricFlow time spine: one row per day (see int_calendar__days for the range).
with

days as (
    select * from {{ ref('int_calendar__days') }}
),

final as (
    select date_day from days
)

select * from final
