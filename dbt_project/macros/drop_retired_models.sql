{#
    on-run-start: drop the tables of models that were renamed or removed, so that a warehouse
    built by an older version holds no stale copy an analyst could still query, and no
    checkpoint of their tests. Each entry: the schema, the table, and when and why it left.
    Returns the DDL for the hook to run (committed explicitly, like create_missing_raw_tables).
#}
{% macro drop_retired_models() %}
    {%- set retired = [
        ('intermediate', 'int_attribution__customer_transitions',
         '2026-12-03: counted by path since, in int_attribution__path_transitions'),
    ] -%}
    {%- set statements = [] -%}
    {%- if execute -%}
        {%- for schema, identifier, why in retired -%}
            {%- set existing = adapter.get_relation(database=target.database, schema=schema, identifier=identifier) -%}
            {%- if existing is not none -%}
                {%- do log('dropping ' ~ existing ~ ', a retired model (' ~ why ~ ')', info=true) -%}
                {%- do statements.append('drop ' ~ existing.type ~ ' if exists ' ~ existing) -%}
                {%- set checkpoints = adapter.get_relation(database=target.database, schema='audit',
                                                           identifier='dbt_test_checkpoints') -%}
                {%- if checkpoints is not none -%}
                    {%- do statements.append("delete from " ~ checkpoints ~ " where test_key like '"
                                             ~ (schema ~ '.' ~ identifier) | lower ~ ":%'") -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ hook_statements(statements) }}
{% endmacro %}
