{#
    An amount in `currency` converted to the reporting currency (USD), rounded to the cent.

    Rate: the latest finance__fx_rates row for currency→USD dated on or before `on_date`
    (an as-of lookup, so a weekend or a late FX file uses the last published rate). Amounts
    already in the reporting currency need no rate. With no rate on or before the date the
    result is NULL, and the not_null tests on every *_usd column fail the build: a missing
    rate is never silently dropped.
#}
{% macro to_reporting_currency(amount, currency, on_date, rates=none) -%}
    {%- set rates = rates if rates is not none else ref('stg_finance__fx_rates') -%}
    cast(round(
        case
            when {{ currency }} = '{{ var("reporting_currency", "USD") }}' then {{ amount }}
            else {{ amount }} * (
                select fx.rate
                from {{ rates }} as fx
                where fx.base_currency = {{ currency }}
                  and fx.quote_currency = '{{ var("reporting_currency", "USD") }}'
                  and fx.rate_date <= {{ on_date }}
                order by fx.rate_date desc
                limit 1
            )
        end, 2) as {{ money_type() }})
{%- endmacro %}
