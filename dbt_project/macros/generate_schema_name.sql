{#
    Schemas are named exactly as configured (no target-schema prefix): staging,
    intermediate, seeds; marts go to var('marts_schema') so a deployment can build the next
    version of the marts beside the live one (marts_next) and swap them.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('marts_schema', 'marts') | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
