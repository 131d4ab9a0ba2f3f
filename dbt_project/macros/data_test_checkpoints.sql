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

    Tables rows leave (`rows_leave`: the models that replace rows by key with delete+insert
    and delete what went, e.g. the touch tables at 5M rows a year): their checked rows do not
    stay the same, so no fingerprint of them can hold. What still holds is what the scheme
    needs: rows can only break uniqueness by arriving, and the rows up to T only leave (or
    change in other columns), as long as every row such a model writes carries a marker
    (`loaded_at_column`, e.g. `_stage_assigned_at`) newer than the newest the last passing
    check saw. So the short check looks up the keys of rows marked after T as above, and
    where the model writes by delete+insert on a unique_key among the tested columns, only
    among those rows (`replaced_by_key`: writing a row deleted every held row with its key;
    an md5 key's lookup in the whole table reads every key, ~0.2-0.5 s at 5M rows). Its
    guard is the count of rows up to T (rows only leave: a count above the recorded one is
    a row that came in another way, and checks the whole table), and, because a count cannot
    see a changed key or a hand edit that also deleted, a whole-table check again once the
    last one is var('whole_table_check_days') (7) old. Recorded without the hash sum.

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

{% macro unique_rows_checked_through(relation, columns, loaded_at_column, rows_leave=false) -%}
    {%- if not execute or target.type != 'duckdb' or flags.FULL_REFRESH or var('full_data_tests', false) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set checkpoints = adapter.get_relation(database=target.database, schema='audit', identifier='dbt_test_checkpoints') -%}
    {%- if checkpoints is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set key = data_test_checkpoint_key(relation, columns) -%}
    {%- if rows_leave -%}
        {{ return(rows_left_checked_through(checkpoints, relation, key, loaded_at_column)) }}
    {%- endif -%}
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

{#- For a table rows leave: the checkpoint, while the rows marked up to it are no more than
    it counted and its last whole-table check is younger than var('whole_table_check_days'). -#}
{% macro rows_left_checked_through(checkpoints, relation, key, loaded_at_column) -%}
    {%- if not relation_has_column(checkpoints, 'whole_checked_at') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set now = run_query(
        "select c.rows_checked, c.whole_checked_at >= now() - to_days(" ~ var('whole_table_check_days', 7) | int ~ "), "
        ~ "(select count(*) from " ~ relation ~ " where " ~ loaded_at_column ~ " <= c.checked_through), "
        ~ "strftime(c.checked_through at time zone 'UTC', '%Y-%m-%d %H:%M:%S.%f') "
        ~ "from " ~ checkpoints ~ " as c where c.test_key = '" ~ key ~ "' and c.checked_through is not null "
        ~ "and c.whole_checked_at is not null") -%}
    {%- if now.rows | length == 0 -%}
        {{ return(none) }}
    {%- elif not now.rows[0][1] -%}
        {%- do log(key ~ ': the last whole-table check is over ' ~ var('whole_table_check_days', 7) ~ ' days old; checking the whole table', info=true) -%}
        {{ return(none) }}
    {%- elif now.rows[0][2] > now.rows[0][0] -%}
        {%- do log(key ~ ': more rows up to the last passing check than it counted; checking the whole table', info=true) -%}
        {{ return(none) }}
    {%- endif -%}
    {#- a constant, not a subquery: the scans of the rows written since skip the row groups
        whose markers are all older (their zone maps), instead of testing every row -#}
    {{ return("cast('" ~ now.rows[0][3] ~ "+00' as timestamp with time zone)") }}
{%- endmacro %}

{#- Whether `relation` is an incremental model written by delete+insert on a unique_key whose
    columns are all among `columns`: writing a row deletes every held row sharing its key. -#}
{% macro replaced_by_key(relation, columns) -%}
    {%- set wanted = columns | map('lower') | list -%}
    {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.config.materialized == 'incremental'
            and (node.alias | lower) == (relation.identifier | lower) and (node.schema | lower) == (relation.schema | lower) -%}
        {%- set key = node.config.unique_key -%}
        {%- set key = [key] if key is string else (key or []) -%}
        {%- if node.config.incremental_strategy == 'delete+insert' and key
               and key | map('lower') | reject('in', wanted) | list | length == 0 -%}
            {{ return(true) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{#- The uniqueness test's SQL: whole table, or the keys of rows loaded after the checkpoint. -#}
{% macro unique_rows_test(relation, columns, loaded_at_column=none, rows_leave=false, key_implies=none) %}
    {#- a test with a `where` config reads a subquery, not the relation: whole check -#}
    {%- set through_sql = unique_rows_checked_through(relation, columns, loaded_at_column, rows_leave)
        if loaded_at_column and relation.identifier is defined else none -%}
    {%- if through_sql is none %}
    -- whole table
    {{ duplicate_keys_sql(relation, columns) }}
    {%- else %}
    {%- set replaced = rows_leave and replaced_by_key(relation, columns) %}
    {{ short_path_mark() }} ({{ data_test_checkpoint_key(relation, columns) }}), against {{ 'one another (the model replaces rows by a key within these columns)' if replaced else 'the whole table' }}
    {%- set key_columns = columns | join(', ') %}
    {%- set complete = columns | join(' is not null and ') ~ ' is not null' %}
    {#- `key_implies`: columns whose values the key determines (an md5 key of them: rows with
        equal keys have equal values there). The lookup of new keys also matches on them, a
        time column's equi-join that prunes the row groups of other days, where md5 keys
        prune none (the key join read all 10M GA4 keys, ~0.3 s at a year). A NULL in them
        counts as an incomplete key, looked up by the key alone. -#}
    {%- set implied = [] if replaced else (key_implies or []) | reject('in', columns) | list %}
    {%- set matched = columns + implied %}
    {%- set complete_matched = matched | join(' is not null and ') ~ ' is not null' %}
    with new_keys as (
        select distinct {{ matched | join(', ') }}
        from {{ relation }}
        where {{ loaded_at_column }} > {{ through_sql }} or {{ loaded_at_column }} is null
    ),

    {# Two joins, so that the common one is an equi-join, which DuckDB turns into a range
        filter on the table scan (a day's keys touch a few row groups); `is not distinct
        from` keeps NULLs grouping together like the whole-table check's `group by`.
        A model that writes by delete+insert on a unique_key among the columns deleted every
        held row sharing a complete key with a row it wrote, so those keys can only repeat
        among the rows written since: no lookup in the whole table (md5 keys prune no row
        groups, so that join reads every key). #}
    duplicates as (
        {%- if replaced %}
        select {{ key_columns }}, count(*) as occurrences
        from {{ relation }}
        where ({{ loaded_at_column }} > {{ through_sql }} or {{ loaded_at_column }} is null)
            and {{ complete }}
        group by {{ key_columns }}
        having count(*) > 1
        {%- else %}
        select {% for c in columns %}rows_.{{ c }}, {% endfor %}count(*) as occurrences
        from {{ relation }} as rows_
        inner join (select * from new_keys where {{ complete_matched }}) as new_keys
            on {% for c in matched %}rows_.{{ c }} = new_keys.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
        group by {% for c in columns %}rows_.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
        having count(*) > 1
        {%- endif %}

        union all

        select {% for c in columns %}rows_.{{ c }}, {% endfor %}count(*) as occurrences
        from {{ relation }} as rows_
        inner join (select distinct {{ key_columns }} from new_keys where not ({{ complete_matched }})) as new_keys
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
                {%- set short = short_path_mark() in (res.node.compiled_code or '') -%}
                {%- if kwargs.get('rows_leave') -%}
                    {#- the newest marker and the rows up to it; no hash sum (rows leave) -#}
                    {%- set counted = "(select max(" ~ loaded_at ~ ") as checked_through, count(" ~ loaded_at ~ ") as rows_checked from " ~ relation ~ ")" -%}
                    {%- if short -%}
                        {%- do statements.append(
                            "update audit.dbt_test_checkpoints as c set "
                            ~ "checked_through = coalesce(n.checked_through, c.checked_through), rows_checked = n.rows_checked, "
                            ~ "test_name = '" ~ res.node.name ~ "', checked_at = now(), invocation_id = '" ~ invocation_id ~ "' "
                            ~ "from " ~ counted ~ " as n where c.test_key = '" ~ key ~ "'") -%}
                    {%- else -%}
                        {%- do statements.append("delete from audit.dbt_test_checkpoints where test_key = '" ~ key ~ "'") -%}
                        {%- do statements.append(
                            "insert into audit.dbt_test_checkpoints (test_key, test_name, checked_through, rows_checked, keys_fingerprint, checked_at, invocation_id, whole_checked_at) "
                            ~ "select '" ~ key ~ "', '" ~ res.node.name ~ "', checked_through, rows_checked, '', now(), '" ~ invocation_id ~ "', now() from "
                            ~ counted ~ " as n") -%}
                    {%- endif -%}
                {%- elif short -%}
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
        );
        alter table audit.dbt_test_checkpoints add column if not exists whole_checked_at timestamptz") -%}
    {%- endif -%}
    {{ hook_statements(statements) }}
{% endmacro %}
