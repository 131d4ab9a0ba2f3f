{#- Ad platforms report money in micros (1/1,000,000 of the currency unit): exact integer
    division into a DECIMAL(18,6), never a float. -#}
{% macro micros_to_units(column_name) -%}
    cast({{ column_name }} as {{ dbt.type_numeric() }}) / 1000000
{%- endmacro %}

{#- Fixed-point money types used across layers (DuckDB and PostgreSQL spell them alike). -#}
{% macro money_type() -%} decimal(18, 2) {%- endmacro %}
{% macro amount_type() -%} decimal(18, 6) {%- endmacro %}
