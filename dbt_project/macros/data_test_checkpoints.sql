{#
    Uniqueness tests that do not re-scan a year of history every day (DuckDB).

    A uniqueness test over raw.ga4__events groups ~10M keys, ~1.7 s at a year, and most of
    the daily run's test time grows that way (BENCHMARKS.md). Rows can only break uniqueness
    by arriving, so once every row loaded up to time T has passed, a later run only has to
    look up the keys of rows loaded after T in the whole table: a join on a day's keys,
    ~0.1 s for GA4 at a year. That holds only while the rows up to T are the ones that passed, so the
    test first compares their count and the sum of their key hashes (a multiset
    fingerprint: an inserted, doubled or changed key moves it) with what the last passing
    run recorded, and checks the whole table whenever they differ: a restage or a
    superseded load, a full refresh, a hand edit.

    - `unique_rows_checked_through(...)`, at the test's compile time (tests compile when they
      run): the checkpoint T to check after, or none for a whole-table check;
    - `record_data_test_checkpoints(results)`, on-run-end: for every such test that passed in
      this invocation, T := the newest `loaded_at_column`, with the count and fingerprint of
      all rows up to it, in audit.dbt_test_checkpoints (after a short check: the recorded
      ones plus the newer rows'). A failing test records nothing, so
      the next run checks again from the last passing point.

    Whole-table checks always: with --full-refresh, with var('full_data_tests'), on other
    adapters than DuckDB (no `hash()` there), and without a checkpoint. (A DuckDB upgrade
    that changes `hash()` costs one whole-table check.) Relies on the loader's
    `_loaded_at` being its publish transaction's time and on loads and dbt never running at
    once (the `duckdb_writer` pool; DuckDB's single writer).
#}

{% macro data_test_checkpoint_key(relation, columns) -%}
    {{ return((relation.schema ~ '.' ~ relation.identifier ~ ':' ~ columns | join(',')) | lower) }}
{%- endmacro %}

{#- The first words of the short check's SQL: the on-run-end hook reads them in the compiled test. -#}
{% macro short_path_mark() -%}
    {{ return('-- rows loaded after the last passing check') }}
{%- endmacro %}

{% macro keys_fingerprint_sql(relation, columns, loaded_at_column, through_sql=none) -%}
    select
        count(*) as rows_checked,
        cast(coalesce(sum(hash({{ columns | join(', ') }})), 0) as varchar) as keys_fingerprint
        {%- if through_sql is none %}, max({{ loaded_at_column }}) as checked_through{% endif %}
    from {{ relation }}
    where {{ loaded_at_column }} <= {{ through_sql if through_sql is not none else '(select max(' ~ loaded_at_column ~ ') from ' ~ relation ~ ')' }}
{%- endmacro %}

{% macro unique_rows_checked_through(relation, columns, loaded_at_column) -%}
    {%- if not execute or target.type != 'duckdb' or flags.FULL_REFRESH or var('full_data_tests', false) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set checkpoints = adapter.get_relation(database=target.database, schema='audit', identifier='dbt_test_checkpoints') -%}
    {%- if checkpoints is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set key = data_test_checkpoint_key(relation, columns) -%}
    {%- set saved = run_query("select checked_through, rows_checked, keys_fingerprint from " ~ checkpoints
                              ~ " where test_key = '" ~ key ~ "'") -%}
    {%- if saved.rows | length == 0 or saved.rows[0][0] is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set through_sql = "(select checked_through from " ~ checkpoints ~ " where test_key = '" ~ key ~ "')" -%}
    {%- set now = run_query(keys_fingerprint_sql(relation, columns, loaded_at_column, through_sql)) -%}
    {%- if now.rows[0][0] == saved.rows[0][1] and now.rows[0][1] == saved.rows[0][2] -%}
        {{ return(through_sql) }}
    {%- endif -%}
    {%- do log(key ~ ': the rows loaded up to the last passing check changed; checking the whole table', info=true) -%}
    {{ return(none) }}
{%- endmacro %}

{#- The uniqueness test's SQL: whole table, or the keys of rows loaded after the checkpoint. -#}
{% macro unique_rows_test(relation, columns, loaded_at_column=none) %}
    {#- a test with a `where` config reads a subquery, not the relation: whole check -#}
    {%- set through_sql = unique_rows_checked_through(relation, columns, loaded_at_column)
        if loaded_at_column and relation.identifier is defined else none -%}
    {%- if through_sql is none %}
    -- whole table
    {{ duplicate_keys_sql(relation, columns) }}
    {%- else %}
    {{ short_path_mark() }} ({{ data_test_checkpoint_key(relation, columns) }}), against the whole table
    {%- set key_columns = columns | join(', ') %}
    {%- set complete = columns | join(' is not null and ') ~ ' is not null' %}
    with new_keys as (
        select distinct {{ key_columns }}
        from {{ relation }}
        where not coalesce({{ loaded_at_column }} <= {{ through_sql }}, false)
    ),

    {# Two joins, so that the common one is an equi-join, which DuckDB turns into a range
        filter on the table scan (a day's keys touch a few row groups); `is not distinct
        from` keeps NULLs grouping together like the whole-table check's `group by`. #}
    duplicates as (
        select {% for c in columns %}rows_.{{ c }}, {% endfor %}count(*) as occurrences
        from {{ relation }} as rows_
        inner join (select * from new_keys where {{ complete }}) as new_keys
            on {% for c in columns %}rows_.{{ c }} = new_keys.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
        group by {% for c in columns %}rows_.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
        having count(*) > 1

        union all

        select {% for c in columns %}rows_.{{ c }}, {% endfor %}count(*) as occurrences
        from {{ relation }} as rows_
        inner join (select * from new_keys where not ({{ complete }})) as new_keys
            on {% for c in columns %}rows_.{{ c }} is not distinct from new_keys.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
        group by {% for c in columns %}rows_.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
        having count(*) > 1
    )

    select * from duplicates
    {%- endif %}
{% endmacro %}

{% macro record_data_test_checkpoints(results) %}
    {%- set statements = [] -%}
    {%- if execute and target.type == 'duckdb' -%}
        {%- for res in results
                if res.node.resource_type == 'test' and res.status == 'pass'
                and res.node.test_metadata is defined and res.node.test_metadata is not none
                and res.node.test_metadata.name in ('unique_combination_of_columns', 'unique_incremental')
                and res.node.test_metadata.kwargs.get('loaded_at_column') and not res.node.config.where -%}
            {%- set kwargs = res.node.test_metadata.kwargs -%}
            {%- set columns = kwargs.get('combination_of_columns') or [kwargs.get('column_name')] -%}
            {#- attached_node is empty for a source's tests; these tests read one relation -#}
            {%- set parent_id = res.node.attached_node or (res.node.depends_on.nodes | first) -%}
            {%- set parent = graph.sources.get(parent_id) or graph.nodes.get(parent_id) -%}
            {%- if parent is not none and res.node.depends_on.nodes | length == 1 -%}
                {%- set relation = api.Relation.create(database=parent.database, schema=parent.schema,
                                                       identifier=parent.identifier if parent.resource_type == 'source' else parent.alias) -%}
                {%- set key = data_test_checkpoint_key(relation, columns) -%}
                {%- set loaded_at = kwargs.get('loaded_at_column') -%}
                {%- if short_path_mark() in (res.node.compiled_code or '') -%}
                    {#- The test found the checked rows unchanged and nothing wrote the relation
                        since: add the newer rows to the count and hash sum (~10 ms) instead of
                        hashing the whole table again (~0.2 s for GA4 at a year). A wrong sum
                        can only cost the next run a whole-table check. -#}
                    {%- set saved = "(select checked_through from audit.dbt_test_checkpoints where test_key = '" ~ key ~ "')" -%}
                    {%- do statements.append(
                        "update audit.dbt_test_checkpoints as c set "
                        ~ "checked_through = coalesce(n.checked_through, c.checked_through), "
                        ~ "rows_checked = c.rows_checked + n.rows_added, "
                        ~ "keys_fingerprint = cast(cast(c.keys_fingerprint as hugeint) + n.hashes_added as varchar), "
                        ~ "test_name = '" ~ res.node.name ~ "', checked_at = now(), invocation_id = '" ~ invocation_id ~ "' "
                        ~ "from (select max(" ~ loaded_at ~ ") as checked_through, count(*) as rows_added, "
                        ~ "coalesce(sum(hash(" ~ columns | join(', ') ~ ")), 0) as hashes_added from " ~ relation
                        ~ " where " ~ loaded_at ~ " > " ~ saved ~ ") as n where c.test_key = '" ~ key ~ "'") -%}
                {%- else -%}
                    {%- do statements.append("delete from audit.dbt_test_checkpoints where test_key = '" ~ key ~ "'") -%}
                    {%- do statements.append(
                        "insert into audit.dbt_test_checkpoints (test_key, test_name, checked_through, rows_checked, keys_fingerprint, checked_at, invocation_id) "
                        ~ "select '" ~ key ~ "', '" ~ res.node.name ~ "', checked_through, rows_checked, keys_fingerprint, now(), '" ~ invocation_id ~ "' from ("
                        ~ keys_fingerprint_sql(relation, columns, loaded_at) ~ ") as f") -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if statements -%}
        {#- on-run-end runs outside a transaction: one here, so a checkpoint moves whole -#}
        {%- do statements.insert(0, "begin transaction;
        create schema if not exists audit;
        create table if not exists audit.dbt_test_checkpoints (
            test_key varchar primary key,
            test_name varchar not null,
            checked_through timestamptz,
            rows_checked bigint not null,
            keys_fingerprint varchar not null,
            checked_at timestamptz not null,
            invocation_id varchar not null
        )") -%}
    {%- endif -%}
    {{ hook_statements(statements) }}
{% endmacro %}
