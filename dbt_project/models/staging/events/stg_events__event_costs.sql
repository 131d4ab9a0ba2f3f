-- One row per event cost line. One cost covers the whole event: int_spend__unioned spreads
-- it over the event days. amount_usd here converts the line at its end date's rate (the
-- line as booked); the daily spend converts each spread day at that day's rate.
with

source as (
    select * from {{ source('events', 'event_costs') }}
),

renamed as (
    select
        cost_line_id,
        event_id,
        event_name,
        city,
        start_date as event_start_date,
        end_date as event_end_date,
        cost_category,
        amount as amount_local,
        currency as currency_code,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

converted_to_reporting_currency as (
    select
        *,
        {{ to_reporting_currency('amount_local', 'currency_code', 'event_end_date') }} as amount_usd
    from renamed
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
