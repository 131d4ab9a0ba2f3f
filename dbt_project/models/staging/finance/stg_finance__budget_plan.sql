-- One row per plan version, channel and month (the loader unpivoted finance's wide sheet).
with

source as (
    select * from {{ source('finance', 'budget_plan') }}
),

renamed as (
    select
        {{ generate_surrogate_key(['plan_version', 'channel', 'month']) }} as budget_plan_key,
        plan_version,
        channel as channel_id,
        month as plan_month,
        planned_amount as planned_amount_local,
        currency as currency_code,
        _source_file,
        _load_id,
        _loaded_at
    from source
),

converted_to_reporting_currency as (
    select
        *,
        {{ to_reporting_currency('planned_amount_local', 'currency_code', 'plan_month') }} as planned_amount_usd
    from renamed
),

final as (
    select * from converted_to_reporting_currency
)

select * from final
