{#- A 64-bit hash of several columns, for order-free fingerprints (`sum` of it over a set of
    rows, with the count beside it). DuckDB's own `hash`; elsewhere the first 16 hex digits of
    generate_surrogate_key's md5. -#}
{% macro row_hash(columns) -%}
    {{ return(adapter.dispatch('row_hash', 'journeymart')(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    ('x' || substr({{ generate_surrogate_key(columns) }}, 1, 16))::bit(64)::bigint
{%- endmacro %}

{% macro duckdb__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}
