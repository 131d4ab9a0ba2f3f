-- One row per registry channel (seeds/channels.csv mirrors src/journeymart/channels.yml;
-- tests/test_dbt.py keeps the two equal).
with

channels as not materialized (
    select * from {{ ref('channels') }}
),

final as (
    select
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(channel_name as {{ dbt.type_string() }}) as channel_name,
        cast(kind as {{ dbt.type_string() }}) as channel_kind,
        cast(coalesce(stages, '') as {{ dbt.type_string() }}) as stages,
        cast(account_currency as {{ dbt.type_string() }}) as account_currency,
        cast(account_timezone as {{ dbt.type_string() }}) as account_timezone,
        kind not in ('commerce', 'finance') as is_marketing_channel
    from channels
)

select * from final
