-- One row per day and currency pair: 1 base_currency = rate quote_currency.
-- The as-of lookup in macros/to_reporting_currency.sql reads this model.
with

source as (
    select * from {{ source('finance', 'fx_rates') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['rate_date', 'base_currency', 'quote_currency']) }} as fx_rate_key,
        rate_date,
        upper(base_currency) as base_currency,
        upper(quote_currency) as quote_currency,
        rate,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

final as (
    select * from renamed
)

select * from final
