{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='touchpoint_id',
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} where customer_key not in (select distinct customer_key from {{ ref('int_touchpoints__stage_assigned') }})",
            "delete from {{ this }} where exists (select 1 from {{ ref('int_touchpoints__stage_assigned') }} as stage_rows where stage_rows.customer_touch_number = 1 and stage_rows.customer_key = {{ this }}.customer_key and stage_rows._stage_assigned_at > {{ this }}._stage_assigned_at)",
        ]
    )
}}
-- One row per person-level touch with its customer, channel, campaign and journey stage.
-- Incremental by touch: a run copies the rows int_touchpoints__stage_assigned wrote since
-- this table's last run (a newer _stage_assigned_at), replacing them by touchpoint_id. That
-- is every touch of a customer it rebuilt whole (a touch moved to or from them, or gone) and
-- a resumed customer's touches from their first new one; a touch that moved to another
-- customer is replaced with its new customer. The post-hooks drop what is left over:
--   * customers without any touch left;
--   * touches of a customer rebuilt whole since they were copied: their first touch's row
--     there (customer_touch_number 1, written only when the stage model assigns a customer
--     from the start) carries a newer _stage_assigned_at than theirs. A touch gone from the
--     stage model went with such a rebuild.
-- Before, a run copied every rebuilt customer whole: ~2M of 5M rows on a day with a large
-- e-mail send, at a year of history (BENCHMARKS.md, "fct_touchpoints copies the touches the
-- stage model wrote").
with

touches as not materialized (
    select * from {{ ref('int_touchpoints__stage_assigned') }}
),

{% if is_incremental() and relation_has_column(this, '_stage_assigned_at') %}
touches_to_rebuild as (
    select *
    from touches
    where _stage_assigned_at > (select max(_stage_assigned_at) from {{ this }})
),
{% else %}
touches_to_rebuild as (
    select * from touches
),
{% endif %}

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
    from touches_to_rebuild
)

select * from final
