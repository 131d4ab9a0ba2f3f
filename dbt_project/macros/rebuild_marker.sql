{#
    `_stage_assigned_at`: when int_touchpoints__stage_assigned last rebuilt a row's customer.
    The models downstream of it (fct_touchpoints, dim_customers, int_attribution__touch_paths)
    rebuild the customers whose rows carry a newer marker than any they hold, so they follow
    every customer the stage model rebuilt: new touches, and touches that moved between customers
    without a new load. The run's start time, but never at or before the newest marker the
    table already holds (a worker's clock behind an earlier one's must not hide a rebuild).
    `column` names another model's marker: int_web_sessions__grouped's `_grouped_at`, when a
    run last wrote the session, which its uniqueness test follows.
#}
{% macro next_rebuild_marker(column='_stage_assigned_at') -%}
    {%- set started = "cast('" ~ run_started_at ~ "' as timestamp with time zone)" -%}
    {%- if is_incremental() and relation_has_column(this, column) -%}
    (select greatest({{ started }}, coalesce({{ dbt.dateadd('microsecond', 1, 'max(' ~ column ~ ')') }}, {{ started }}))
     from {{ this }})
    {%- else -%}
    {{ started }}
    {%- endif -%}
{%- endmacro %}

{#- Whether `relation` exists with `column` (False while parsing, and for a unit test's
    fixture, which `this` is there). -#}
{% macro relation_has_column(relation, column) -%}
    {%- if not execute or relation is none or relation is string -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return(column | lower in names) }}
{%- endmacro %}
