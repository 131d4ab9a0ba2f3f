{#
    Duplicated keys found through their 64-bit hashes first (DuckDB).

    Grouping a year's 5M md5 touchpoint ids as text took ~0.6-0.7 s per uniqueness test;
    grouping their hash() values (one 8-byte integer each) and then grouping as text only
    the rows whose hash occurs twice takes ~0.4 s (BENCHMARKS.md, "Uniqueness tests group
    key hashes first"). Exact: equal keys have equal hashes, so every duplicated key is among
    the candidates, and the second grouping by the keys themselves drops hash collisions.
    NULLs hash alike, so NULL keys group as in a plain `group by`.

    `duplicate_keys_sql(relation, columns, filter)`: the rows `select <columns>, count(*) as
    occurrences ... group by <columns> having count(*) > 1`, with `filter` (a condition or
    none) applied to both scans. Other adapters (PostgreSQL has no hash() of several values)
    get that plain query.
#}
{% macro duplicate_keys_sql(relation, columns, filter=none, count_alias='occurrences') -%}
    {%- set key_columns = columns | join(', ') -%}
    {%- if target.type == 'duckdb' %}
    select {{ key_columns }}, count(*) as {{ count_alias }}
    from {{ relation }}
    where hash({{ key_columns }}) in (
            select hash({{ key_columns }})
            from {{ relation }}
            {% if filter %}where {{ filter }}{% endif %}
            group by 1
            having count(*) > 1
        )
        {% if filter %}and {{ filter }}{% endif %}
    group by {{ key_columns }}
    having count(*) > 1
    {%- else %}
    select {{ key_columns }}, count(*) as {{ count_alias }}
    from {{ relation }}
    {% if filter %}where {{ filter }}{% endif %}
    group by {{ key_columns }}
    having count(*) > 1
    {%- endif %}
{%- endmacro %}

{#- dbt's built-in `unique` test on DuckDB: the same columns (unique_field, n_records) and
    rows as dbt's default__test_unique, through the key hashes. -#}
{% macro duckdb__test_unique(model, column_name) %}
    select unique_field, n_records
    from (
        {{ duplicate_keys_sql(model, [column_name], column_name ~ ' is not null', 'n_records') }}
    ) as duplicates (unique_field, n_records)
{% endmacro %}
