{#- Ad platforms report money in micros (1/1,000,000 of the currency unit): an exact
    DECIMAL(38,6), never a float. A multiplication, not a division: DuckDB divides decimals
    in DOUBLE (`cast(x as numeric) / 1000000` is a DOUBLE there, exact only below ~8.6e9
    units), PostgreSQL multiplies and divides numerics exactly. -#}
{% macro micros_to_units(column_name) -%}
    cast({{ column_name }} as decimal(38, 0)) * 0.000001
{%- endmacro %}

{#- Fixed-point money types used across layers (DuckDB and PostgreSQL spell them alike). -#}
{% macro money_type() -%} decimal(18, 2) {%- endmacro %}
{% macro amount_type() -%} decimal(18, 6) {%- endmacro %}
