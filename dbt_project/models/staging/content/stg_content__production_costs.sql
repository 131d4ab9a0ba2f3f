-- One row per content cost ledger line; each covers its asset's period (spread over it in
-- int_spend__unioned). amount_usd converts the line at its posting date's rate.
with

source as (
    select * from {{ source('content', 'production_costs') }}
),

renamed as (
    select
        entry_id,
        posting_date,
        asset_id,
        asset_title,
        asset_type,
        vendor,
        period_start,
        period_end,
        lower(target_stage) as target_stage,
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
        {{ to_reporting_currency('amount_local', 'currency_code', 'posting_date') }} as amount_usd
    from renamed
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
