"""The PostgreSQL warehouse target, on a real PostgreSQL server (tests/pg_cluster.py).

Once per module: the demo landing zone is staged once (parse + GE validation) and the same
manifests are published by the real loader to a DuckDB file and to PostgreSQL; `dbt build`
then runs on each. The tests compare the two warehouses (ledger, raw tables, every mart),
prove the read-only BI role, and run the marts check/release and the CLI on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import math
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg2
import psycopg2.errors
import pytest

from conftest import DEMO, correct_euro_rates, load_landing, orders_in_euros
from pg_cluster import PgServer, PostgresUnavailable, create_database, pg_cluster
from test_dbt import INCREMENTAL, REBUILD_MARKERS, took_incremental_path

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]

PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
# Lineage, load-time and build-time columns differ between two loads of the same files by design.
LOAD_COLUMNS = ("_load_id", "_source_file", "_loaded_at", "_file_sha256", "loaded_at", "last_loaded_at",
                "_stage_assigned_at", "_grouped_at")
KEY_MARTS = ("fct_spend_daily", "fct_touchpoints", "fct_engagement_daily", "dim_customers", "dim_campaigns",
             "dim_channels", "mart_journey_funnel", "mart_channel_stage_matrix")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with ExitStack() as stack:
        try:
            server = stack.enter_context(pg_cluster())
        except PostgresUnavailable as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL is required in CI: {exc}")
            pytest.skip(f"PostgreSQL not available: {exc}")
        yield server


def _env(home: Path, target: str, server: PgServer) -> dict[str, str]:
    env = {"JOURNEYMART_HOME": str(home), "JOURNEYMART_TARGET": target, "DBT_TARGET": target,
           "JOURNEYMART_DBT_TARGET": target}
    return env | (server.env() if target == "postgres" else {})


def _apply_env(mp: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name in [k for k in os.environ if k.startswith(("DBT_", "JOURNEYMART_"))]:
        mp.delenv(name)
    mp.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    for k, v in env.items():
        mp.setenv(k, v)


def dbt_build(home: Path, env: dict[str, str], *args: str) -> Any:
    from dbt.cli.main import dbtRunner

    with pytest.MonkeyPatch.context() as mp:
        _apply_env(mp, env)
        return dbtRunner().invoke(["build", *args, "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
                                   "--target-path", str(home / "target"), "--log-path", str(home / "dbt-logs")])


def results(run: Any) -> dict[str, tuple[str, str]]:
    """Node unique id → (status, message) of a dbt run (models, seeds, tests; not hooks)."""
    out = getattr(run.result, "results", None) or []
    return {r.node.unique_id: (str(r.status), r.message or "") for r in out if r.node.resource_type != "operation"}


def failures(res: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    bad = {k: v for k, v in res.items() if v[0] not in ("success", "pass")}
    errors = {k: v for k, v in bad.items() if v[0] != "skipped"}
    return errors | ({"(skipped after them)": (str(len(bad) - len(errors)), "")} if len(bad) > len(errors) else {})


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory, demo_landing: Path,
               pg_server: PgServer) -> dict[str, Any]:
    """The demo staged once, published to DuckDB and to PostgreSQL, `dbt build` on both."""

    root = tmp_path_factory.mktemp("pg")
    duck_home, pg_home = root / "duck", root / "pg"
    start, end = DEMO["start"], DEMO["start"] + timedelta(days=DEMO["days"] - 1)
    now = datetime.combine(start, datetime.min.time(), UTC)
    with pytest.MonkeyPatch.context() as mp:
        _apply_env(mp, _env(duck_home, "duckdb", pg_server))
        from journeymart.config import paths
        from journeymart.ingest import missing_deliveries, plan_exports, stage_channel
        from journeymart.publish import publish

        paths().ensure()
        shutil.copytree(demo_landing, duck_home / "landing", dirs_exist_ok=True)
        manifests = [Path(p) for b in plan_exports(start, end) for p in stage_channel(b, "pg-parity")]
        missing = missing_deliveries(start, end, now=now)
        summaries = {"duckdb": publish(manifests, missing, "pg-parity")}
        _apply_env(mp, _env(pg_home, "postgres", pg_server))
        paths().ensure()
        summaries["postgres"] = publish(manifests, missing, "pg-parity")
        summaries["postgres_again"] = publish(manifests, missing, "pg-parity-retry")
    builds = {"duckdb": dbt_build(duck_home, _env(duck_home, "duckdb", pg_server)),
              "postgres": dbt_build(pg_home, _env(pg_home, "postgres", pg_server))}
    return {"duck": duck_home / "warehouse.duckdb", "duck_home": duck_home, "pg_home": pg_home,
            "server": pg_server, "manifests": manifests, "summaries": summaries, "builds": builds}


def pg_query(server: PgServer, sql: str, params: list[Any] | None = None, commit: bool = False,
             **login: str) -> list[tuple]:
    con = psycopg2.connect(server.dsn(**login))
    try:
        with con.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.description else []
        if commit:
            con.commit()
        return rows
    finally:
        con.rollback()
        con.close()


def duck_query(db: Path, sql: str) -> list[tuple]:
    # Read-write: dbt-duckdb still holds the file open in this process (see test_dbt.py).
    with duckdb.connect(str(db)) as con:
        return con.execute(sql).fetchall()


def tables(w: dict[str, Any], schema: str) -> list[str]:
    sql = f"select table_name from information_schema.tables where table_schema = '{schema}' order by 1"
    pg = [r[0] for r in pg_query(w["server"], sql)]
    duck = [r[0] for r in duck_query(w["duck"], sql)]
    return [t for t in pg if t in duck]


def decimal_columns(w: dict[str, Any], schema: str, table: str) -> list[str]:
    return [r[0] for r in pg_query(
        w["server"], "select column_name from information_schema.columns where table_schema = %s "
        "and table_name = %s and data_type = 'numeric' order by ordinal_position", [schema, table])]


# ---------------------------------------------------------------------------------------
# loader


def test_publish_loads_the_same_files_and_rows_on_both_targets(warehouses) -> None:
    s = warehouses["summaries"]
    assert s["duckdb"].rows_loaded > 1000 and s["duckdb"].by_status.get("loaded", 0) > 100
    assert (s["postgres"].by_status, s["postgres"].rows_loaded, s["postgres"].rows_quarantined) == (
        s["duckdb"].by_status, s["duckdb"].rows_loaded, s["duckdb"].rows_quarantined)
    assert s["postgres_again"].by_status == {} and s["postgres_again"].rows_loaded == 0, \
        "publishing the same manifests twice must not load anything again"
    ledger = ("select channel, entity, partition_date, file_name, sha256, rows_in, rows_loaded, "
              "rows_quarantined, status from audit.load_ledger order by source_path")
    pg = pg_query(warehouses["server"], ledger)
    duck = duck_query(warehouses["duck"], ledger)
    assert len(pg) == len(warehouses["manifests"]) and pg == duck


def test_raw_tables_equal_with_lineage(warehouses) -> None:
    raw = tables(warehouses, "raw")
    assert len(raw) >= 15
    for t in raw:
        money = decimal_columns(warehouses, "raw", t)
        sql = ("select count(*), count(distinct _load_id), min(_row_number), max(_row_number)"
               + "".join(f', sum("{c}")' for c in money) + f" from raw.{t}")
        [pg] = pg_query(warehouses["server"], sql)
        [duck] = duck_query(warehouses["duck"], sql)
        assert pg == duck, f"raw.{t}: postgres {pg} != duckdb {duck}"
        nulls = pg_query(warehouses["server"], f"select count(*) from raw.{t} where _source_file is null "
                         "or _file_sha256 is null or _loaded_at is null or _load_id is null")
        assert nulls == [(0,)], f"raw.{t} has rows without lineage"


def test_ledger_check_constraint_and_rollback_on_postgres(warehouses) -> None:
    server = warehouses["server"]
    with pytest.raises(psycopg2.errors.CheckViolation):
        pg_query(server, "insert into audit.load_ledger (load_id, channel, source_path, rows_in, "
                 "rows_loaded, rows_quarantined, status) values ('x', 'c', 'p', 5, 3, 1, 'loaded')")
    # A corrected re-delivery whose rows cannot be read: superseding its predecessor (delete
    # raw rows, mark the ledger) is rolled back with it, leaving raw and ledger as they were.
    from journeymart import registry
    from journeymart.publish import publish
    from journeymart.stage import Manifest

    good = next(m for m in map(Manifest.read, warehouses["manifests"]) if m.good_parquet)
    table = registry.load().channel(good.channel).entity(good.entity).table
    good.load_id, good.sha256, good.good_parquet = "broken-load", "f" * 64, good.good_parquet + ".nope"
    path = good.write(warehouses["pg_home"])
    state = (f"select (select count(*) from raw.{table}), (select count(*) from audit.load_ledger), "
             "(select count(*) from audit.load_ledger where status = 'superseded')")
    before = pg_query(server, state)
    with pytest.MonkeyPatch.context() as mp:
        _apply_env(mp, _env(warehouses["pg_home"], "postgres", server))
        with pytest.raises(Exception, match="nope"):
            publish([path], [], "broken")
    assert pg_query(server, state) == before and before[0][0] > 0


# ---------------------------------------------------------------------------------------
# dbt on both targets


def test_dbt_build_passes_on_postgres_with_the_same_nodes(warehouses) -> None:
    pg, duck = (results(warehouses["builds"][t]) for t in ("postgres", "duckdb"))
    assert warehouses["builds"]["duckdb"].success, failures(duck)
    assert warehouses["builds"]["postgres"].success and not failures(pg), failures(pg)
    # Python models are disabled on PostgreSQL; every other node (and its tests) runs on both.
    expected = set(duck) - _python_models_and_downstream(warehouses["duck_home"])
    assert len(pg) > 300 and expected <= set(pg), sorted(expected - set(pg))


def _python_models_and_downstream(home: Path) -> set[str]:
    manifest = json.loads((home / "target" / "manifest.json").read_text())
    todo = [k for k, n in manifest["nodes"].items() if n.get("language") == "python"]
    seen: set[str] = set()
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(manifest["child_map"].get(node, []))
    return seen


def test_marts_have_equal_row_counts_and_money_to_the_cent(warehouses) -> None:
    marts = tables(warehouses, "marts")
    assert set(KEY_MARTS) <= set(marts)
    for t in marts:
        money = decimal_columns(warehouses, "marts", t)
        sql = "select count(*)" + "".join(f', sum("{c}")' for c in money) + f' from marts."{t}"'
        [pg] = pg_query(warehouses["server"], sql)
        [duck] = duck_query(warehouses["duck"], sql)
        assert pg[0] == duck[0], f"marts.{t}: {pg[0]} rows on postgres, {duck[0]} on duckdb"
        for col, a, b in zip(money, pg[1:], duck[1:], strict=True):
            cents = [None if v is None else Decimal(v).quantize(Decimal("0.01")) for v in (a, b)]
            assert cents[0] == cents[1], f"marts.{t}.{col}: postgres {a} != duckdb {b}"
    [(spend,)] = pg_query(warehouses["server"], "select sum(spend_usd) from marts.fct_spend_daily")
    assert spend > 0


def _rows(cursor_rows: list[tuple], cols: list[str]) -> list[tuple[tuple, tuple]]:
    """(exact part, float part) of each row, lineage dropped, instants in UTC, sorted."""
    keep = [i for i, c in enumerate(cols) if c not in LOAD_COLUMNS]
    out = []
    for row in cursor_rows:
        exact, floats = [], []
        for i in keep:
            v = row[i]
            if isinstance(v, float):
                floats.append(v)
            else:
                exact.append(v.astimezone(UTC) if isinstance(v, datetime) and v.tzinfo else v)
        out.append((tuple(exact), tuple(floats)))
    return sorted(out, key=repr)


@pytest.mark.parametrize("mart", KEY_MARTS)
def test_key_marts_equal_row_by_row(warehouses, mart: str) -> None:
    con = psycopg2.connect(warehouses["server"].dsn())
    try:
        with con.cursor() as cur:
            cur.execute(f'select * from marts."{mart}"')
            pg_cols, pg = [d.name for d in cur.description], cur.fetchall()
    finally:
        con.close()
    with duckdb.connect(str(warehouses["duck"])) as dcon:
        res = dcon.execute(f'select * from marts."{mart}"')
        duck_cols, duck = [d[0] for d in res.description], res.fetchall()
    assert pg_cols == duck_cols
    a, b = _rows(pg, pg_cols), _rows(duck, duck_cols)
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        assert x[0] == y[0], f"marts.{mart}: postgres row {x[0]} != duckdb row {y[0]}"
        assert all(math.isclose(p, q, rel_tol=1e-9, abs_tol=1e-12) for p, q in zip(*(x[1], y[1]), strict=True))


def _pg_table(server: PgServer, name: str) -> list[tuple]:
    """A model's rows on PostgreSQL but the rebuild marker (an incremental run's time), sorted."""
    [(schema,)] = pg_query(server, "select table_schema from information_schema.tables where table_name = %s", [name])
    columns = [c for (c,) in pg_query(server, "select column_name from information_schema.columns where "
                                              "table_schema = %s and table_name = %s order by ordinal_position",
                                      [schema, name]) if c not in REBUILD_MARKERS]
    listed = ", ".join(f'"{c}"' for c in columns)
    return sorted(pg_query(server, f'select {listed} from "{schema}"."{name}"'), key=repr)


def test_incremental_models_on_postgres_equal_a_full_refresh(tmp_path_factory: pytest.TempPathFactory,
                                                              demo_landing: Path, pg_server: PgServer) -> None:
    """The incremental models' incremental SQL on PostgreSQL (test_dbt.py has the same check on
    DuckDB, with more corrections): ten days built, then the last four days, a GA4 re-delivery
    of day 9 without a third of its visitors and every fifth event of the rest, and the first
    ten days' FX rates corrected (their orders are in euros). A build with a 0-day lookback
    equals a --full-refresh of the same raw data, row for row."""
    server = dataclasses.replace(pg_server, dbname="journeymart_incremental")
    create_database(server)
    home = tmp_path_factory.mktemp("pg_incremental") / "jm"
    landing = home / "landing"
    shutil.copytree(demo_landing, landing)
    first_days = {f"{DEMO['start'] + timedelta(days=d)}" for d in range(10)}
    orders_in_euros(landing, DEMO["start"], 10)
    env = _env(home, "postgres", server)
    select = ("--select", "+int_web_sessions__grouped", "+int_app_sessions__grouped", "+stg_email__recipient_activity",
              "+fct_touchpoints", "+int_attribution__touch_paths", "+dim_customers",
              "+int_touchpoints__aggregated_to_customer_cells", "+int_attribution__path_transitions", "channels",
              "--indirect-selection", "cautious")
    with pytest.MonkeyPatch.context() as mp:
        _apply_env(mp, env)
        load_landing(home, DEMO["start"], 10, "first")
    first = dbt_build(home, env, *select)
    assert first.success, failures(results(first))
    before = {m: _pg_table(server, m) for m in INCREMENTAL}

    day9 = DEMO["start"] + timedelta(days=8)
    export = landing / "ga4" / f"{day9}" / f"events_{day9:%Y%m%d}.ndjson.gz"
    events = gzip.decompress(export.read_bytes()).splitlines(keepends=True)
    gone = set(sorted({json.loads(e)["user_pseudo_id"] for e in events})[::3])
    kept = [e for e in events if json.loads(e)["user_pseudo_id"] not in gone]
    export.write_bytes(gzip.compress(b"".join(e for i, e in enumerate(kept) if i % 5)))
    correct_euro_rates(landing, first_days)
    with pytest.MonkeyPatch.context() as mp:
        _apply_env(mp, env)
        load_landing(home, DEMO["start"], DEMO["days"], "second")
    superseded = pg_query(server, "select distinct channel from audit.load_ledger where status = 'superseded'")
    assert sorted(superseded) == [("finance",), ("ga4",)], superseded

    again = dbt_build(home, env, *select, "--vars", "{late_data_lookback_days: 0}")
    assert again.success, failures(results(again))
    compiled = {r.node.name: r.node.compiled_code for r in again.result.results if r.node.name in INCREMENTAL}
    assert set(compiled) == set(INCREMENTAL)
    assert all(map(took_incremental_path, compiled.values())), \
        "the second build did not take the incremental path"
    incremental = {m: _pg_table(server, m) for m in INCREMENTAL}
    full = dbt_build(home, env, *select, "--full-refresh")
    assert full.success, failures(results(full))
    for m in INCREMENTAL:
        assert incremental[m] != before[m], f"{m}: the new files changed nothing (test proves nothing)"
        assert incremental[m] == _pg_table(server, m), f"{m}: incremental differs from a full refresh on PostgreSQL"


# ---------------------------------------------------------------------------------------
# read-only BI role


@pytest.fixture(scope="module")
def bi_login(warehouses) -> dict[str, str]:
    from journeymart.postgres import BI_ROLE, grant_bi_role
    from journeymart.warehouse import connect

    password = secrets.token_urlsafe(12)
    with pytest.MonkeyPatch.context() as mp:
        _apply_env(mp, _env(warehouses["pg_home"], "postgres", warehouses["server"]))
        with connect() as con:
            grant_bi_role(con, password)
            grant_bi_role(con, password)  # idempotent
    return {"user": BI_ROLE, "password": password}


def test_bi_role_reads_the_marts(warehouses, bi_login) -> None:
    [(n,)] = pg_query(warehouses["server"], "select count(*) from marts.fct_spend_daily", **bi_login)
    assert n > 0
    [(ok,)] = pg_query(warehouses["server"], "select has_schema_privilege('marts', 'usage')", **bi_login)
    assert ok


@pytest.mark.parametrize("sql", [
    "select count(*) from raw.google_ads__campaign_stats",
    "select count(*) from quarantine.google_ads__campaign_stats",
    "select count(*) from audit.load_ledger",
    "select count(*) from staging.stg_google_ads__campaign_stats",
    "select count(*) from intermediate.int_spend__unioned",
    "insert into marts.dim_channels select * from marts.dim_channels",
    "delete from marts.fct_spend_daily",
    "update marts.dim_channels set channel_id = channel_id",
    "create table marts.bi_scratch (x int)",
    "create view marts.bi_view as select 1 as x",
    "drop table marts.dim_channels",
    "create schema bi_own",
])
def test_bi_role_is_refused_everything_else(warehouses, bi_login, sql: str) -> None:
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        pg_query(warehouses["server"], sql, **bi_login)


def test_bi_role_can_read_a_mart_created_later(warehouses, bi_login) -> None:
    pg_query(warehouses["server"], "create table marts.bi_later as select 1 as x", commit=True)
    assert pg_query(warehouses["server"], "select x from marts.bi_later", **bi_login) == [(1,)]


# ---------------------------------------------------------------------------------------
# marts checks and blue/green release, CLI


def test_check_and_release_on_postgres_serve_bi_through_views(warehouses, bi_login) -> None:
    from journeymart.marts import check_marts, mart_suite_names, release, serving_schema

    server = warehouses["server"]
    marts = [t for t in tables(warehouses, "marts") if t != "bi_later"]
    pg_query(server, "create schema marts_blue; " + "".join(
        f'create table marts_blue."{t}" as select * from marts."{t}"; ' for t in marts), commit=True)
    with pytest.MonkeyPatch.context() as mp:
        _apply_env(mp, _env(warehouses["pg_home"], "postgres", server))
        checks = check_marts("marts_blue")
        assert {c.table for c in checks} == set(mart_suite_names())
        assert all(c.success for c in checks), [c for c in checks if not c.success]
        released = release("marts_blue", "pg-test")
        assert serving_schema() == "marts_blue"
    assert set(released) == set(marts)
    kinds = dict(pg_query(server, "select table_name, table_type from information_schema.tables "
                          "where table_schema = 'marts'"))
    assert all(kinds[t] == "VIEW" for t in marts)
    [(n,)] = pg_query(server, "select count(*) from marts.fct_spend_daily", **bi_login)
    assert n == duck_query(warehouses["duck"], "select count(*) from marts.fct_spend_daily")[0][0]
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        pg_query(server, "select count(*) from marts_blue.fct_spend_daily", **bi_login)


def test_cli_ledger_on_postgres_equals_duckdb(warehouses, capsys: pytest.CaptureFixture[str]) -> None:
    from journeymart.cli import main

    out = {}
    for target, home in (("postgres", warehouses["pg_home"]), ("duckdb", warehouses["duck"].parent)):
        with pytest.MonkeyPatch.context() as mp:
            _apply_env(mp, _env(home, "duckdb", warehouses["server"]) | warehouses["server"].env())
            assert main(["ledger", "--json", "--target", target]) == 0
            out[target] = json.loads(capsys.readouterr().out)
    assert out["postgres"] == out["duckdb"] and out["postgres"]


def test_target_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from journeymart.warehouse import target

    monkeypatch.setenv("JOURNEYMART_TARGET", "oracle")
    with pytest.raises(ValueError, match="oracle"):
        target()
    monkeypatch.setenv("JOURNEYMART_TARGET", "postgres")
    assert target() == "postgres"


def test_connection_settings_come_from_the_airflow_connection(tmp_path: Path) -> None:
    """Without JOURNEYMART_PG_* the settings are the Airflow connection `journeymart_warehouse`
    (here from Airflow's AIRFLOW_CONN_* environment secrets backend), exported for dbt."""
    import subprocess
    import sys

    from conftest import env_for

    env = env_for(tmp_path) | {
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW_CONN_JOURNEYMART_WAREHOUSE": "postgres://jm%40loader:s3cr%3Aet@db.example:6543/jmdb"}
    code = ("import json, os; from journeymart.warehouse import use_target; use_target('postgres'); "
            "print(json.dumps({k: v for k, v in os.environ.items() if k.startswith(('JOURNEYMART_PG', 'DBT_T'))}))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {
        "JOURNEYMART_PG_HOST": "db.example", "JOURNEYMART_PG_PORT": "6543", "JOURNEYMART_PG_USER": "jm@loader",
        "JOURNEYMART_PG_PASSWORD": "s3cr:et", "JOURNEYMART_PG_DBNAME": "jmdb", "DBT_TARGET": "postgres"}
