-- One row per agency invoice (one flight of TV, radio or print). The net amount is what the
-- advertiser pays; int_spend__unioned spreads it over the flight days. *_usd converts the
-- invoice at its invoice date's rate.
with

source as (
    select * from {{ source('offline', 'agency_invoices') }}
),

renamed as (
    select
        invoice_number,
        invoice_date,
        agency,
        media_type,
        market,
        vehicle,
        flight_start,
        flight_end,
        spots,
        grps,
        gross_amount as gross_amount_local,
        agency_commission as agency_commission_local,
        net_amount as net_amount_local,
        currency as currency_code,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

converted_to_reporting_currency as (
    select
        *,
        {{ to_reporting_currency('gross_amount_local', 'currency_code', 'invoice_date') }} as gross_amount_usd,
        {{ to_reporting_currency('net_amount_local', 'currency_code', 'invoice_date') }} as net_amount_usd
    from renamed
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
