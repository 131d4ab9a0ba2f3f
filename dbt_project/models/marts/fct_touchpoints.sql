{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='touchpoint_id',
        on_schema_change='append_new_columns'
    )
}}
-- One row per person-level touch with its customer, channel, campaign and journey stage.
-- Incremental: a run re-processes every touch of every customer who has a touch loaded
-- within var('late_data_lookback_days') of the newest load already here. A customer's
-- stages depend on all their touches (a late first order changes later stages) and identity
-- stitching can move older anonymous touches to them, so the whole customer is rebuilt.
-- Touches removed by a corrected re-delivery need a --full-refresh.
with

touches as (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

touches_to_process as (
    {{ rows_to_rebuild('touches', 'customer_key') }}
),

final as (
    select
        cast(touchpoint_id as {{ dbt.type_string() }}) as touchpoint_id,
        cast(touch_type as {{ dbt.type_string() }}) as touch_type,
        touched_at,
        reporting_date,
        cast(customer_key as {{ dbt.type_string() }}) as customer_key,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(channel_id as {{ dbt.type_string() }}) as channel_id,
        cast(campaign_key as {{ dbt.type_string() }}) as campaign_key,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(stage_rule_priority as integer) as stage_rule_priority,
        is_first_touch,
        is_first_purchase,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(revenue_usd as {{ money_type() }}) as revenue_usd,
        cast(source_record_id as {{ dbt.type_string() }}) as source_record_id,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_load_id as {{ dbt.type_string() }}) as _load_id,
        _loaded_at
    from touches_to_process
)

select * from final
