{#- The median of a numeric expression (ordered-set aggregate in both DuckDB and PostgreSQL). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'journeymart')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}
