{#
    One row per day from `start_date` to `end_date` (inclusive) for every row of `relation`,
    with each column in `amount_columns` split evenly over those days.

    Exact to the cent: every day but the last gets the amount divided by the number of days,
    truncated to the cent; the last day gets the rest, so the days always add up to the
    original amount (and no day goes negative for a non-negative amount).
    Adds `spread_date`, `spread_days` and, per amount column, `<column>_per_day`.
#}
{% macro spread_evenly_over_days(relation, amount_columns, start_date, end_date, calendar=none) -%}
    {%- set calendar = calendar if calendar is not none else ref('int_calendar__days') -%}
    select
        spread.*
        {%- for column in amount_columns %},
        cast(case
            when spread.spread_date = spread.{{ end_date }}
                then spread.{{ column }}
                    - cast(floor(spread.{{ column }} * 100 / spread.spread_days) / 100 as {{ money_type() }})
                    * (spread.spread_days - 1)
            else cast(floor(spread.{{ column }} * 100 / spread.spread_days) / 100 as {{ money_type() }})
        end as {{ amount_type() }}) as {{ column }}_per_day
        {%- endfor %}
    from (
        select
            lines.*,
            days.date_day as spread_date,
            {{ dbt.datediff('lines.' ~ start_date, 'lines.' ~ end_date, 'day') }} + 1 as spread_days
        from {{ relation }} as lines
        inner join {{ calendar }} as days
            on days.date_day between lines.{{ start_date }} and lines.{{ end_date }}
    ) as spread
{%- endmacro %}
