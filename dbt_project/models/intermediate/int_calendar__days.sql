-- One row per calendar day from var('calendar_start') to var('calendar_end'): the days that
-- costs are spread over, and the base of the MetricFlow time spine.
with

days as (
    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start') ~ "' as date)",
        "cast('" ~ var('calendar_end') ~ "' as date)"
    ) }}
),

final as (
    select cast(date_day as date) as date_day
    from days
)

select * from final
