{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='touchpoint_id',
        on_schema_change='append_new_columns',
        post_hook="delete from {{ this }} where touchpoint_id not in (select touchpoint_id from {{ ref('int_touchpoints__stage_assigned') }})"
    )
}}
-- One row per person-level touch with its customer, channel, campaign and journey stage.
-- Incremental: a run copies every touch of every customer int_touchpoints__stage_assigned
-- rebuilt since this table's last run (a newer _stage_assigned_at): customers with new
-- touches and customers a touch moved to or from. Touches gone from it are deleted by the
-- post-hook.
with

touches as not materialized (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

touches_to_process as (
    {{ rows_to_rebuild('touches', 'customer_key', changed_after='_stage_assigned_at') }}
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
        _loaded_at,
        _stage_assigned_at
    from touches_to_process
)

select * from final
