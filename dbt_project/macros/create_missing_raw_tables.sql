{#
    on-run-start: create any raw.* table the loader has not created yet, empty, with the
    columns and types its source declares (channels.yml's columns plus the lineage columns;
    tests/test_dbt.py keeps the declarations equal to the registry, so the DDL is the
    loader's). The loader creates a table when the first file of its entity is published,
    and irregular exports (invoices, event costs, reviews, ...) may not have arrived yet on
    the first days: without this, staging views and source tests would fail on a table that
    does not exist. Existing tables are never touched. Returns the DDL for the hook to run
    (committed explicitly: dbt rolls the hook connection back afterwards).
#}
{% macro create_missing_raw_tables() %}
    {%- set statements = [] -%}
    {%- if execute -%}
        {%- for source in graph.sources.values() if source.schema == 'raw' -%}
            {%- set existing = adapter.get_relation(
                database=source.database, schema=source.schema, identifier=source.identifier) -%}
            {%- if existing is none and source.columns -%}
                {%- set columns = [] -%}
                {%- for column in source.columns.values() -%}
                    {#- JSON text stored with zstd on DuckDB, as the loader's DDL does (warehouse.ZSTD) -#}
                    {%- set storage = ' using compression zstd'
                        if target.type == 'duckdb' and column.data_type | lower == 'json' else '' -%}
                    {%- do columns.append(adapter.quote(column.name) ~ ' ' ~ column.data_type ~ storage) -%}
                {%- endfor -%}
                {%- do log('raw.' ~ source.identifier ~ ' has no file loaded yet: creating it empty', info=true) -%}
                {%- do statements.append('create table if not exists ' ~ source.schema ~ '.' ~ source.identifier
                                         ~ ' (' ~ columns | join(', ') ~ ')') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if statements -%}
        {%- do statements.insert(0, 'create schema if not exists raw') -%}
    {%- endif -%}
    {{ hook_statements(statements) }}
{% endmacro %}

{#- A hook's SQL: the statements and a commit, or a no-op when there are none. -#}
{% macro hook_statements(statements) -%}
    {%- if statements -%}
        {{ statements | join(';\n') }};
        commit
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
