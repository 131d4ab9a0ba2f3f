"""The transform DAG end to end (cosmos → dbt → GE mart checks → release), and the swap."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import DEMO, env_for

END = date.fromordinal(DEMO["start"].toordinal() + DEMO["days"] - 1)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("transform")]


def cli(home: Path, *args: str) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "journeymart.cli", *args], env=env_for(home),
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, (args, out.stdout[-4000:], out.stderr[-4000:])
    return out


@pytest.fixture(scope="module")
def transformed(tmp_path_factory: pytest.TempPathFactory, demo_landing: Path) -> Path:
    """Ingest the demo through Airflow, then run transform__marts through Airflow."""
    home = tmp_path_factory.mktemp("transformed")
    shutil.copytree(demo_landing, home / "landing")
    cli(home, "ingest", "--start", DEMO["start"].isoformat(), "--end", END.isoformat())
    out = cli(home, "transform", "--date", END.isoformat())
    assert "transform__marts: " in out.stdout and "success" in out.stdout, out.stdout[-2000:]
    (home / "transform.log").write_text(out.stdout + out.stderr)
    return home


def q(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_transform_dag_builds_checks_and_releases_the_marts(transformed: Path) -> None:
    [(schema, tables)] = q(transformed, "select schema_name, tables from audit.marts_release")
    assert schema == "marts_blue"
    for mart in ("fct_spend_daily", "fct_touchpoints", "dim_customers", "dim_channels", "dim_campaigns",
                 "mart_journey_funnel", "mart_channel_stage_matrix", "mart_budget_allocation"):
        assert mart in tables
        assert q(transformed, f"select count(*) from marts.{mart}")[0][0] > 0, mart
    # BI's schema holds views onto the released build schema
    views = dict(q(transformed, "select view_name, sql from duckdb_views() where schema_name = 'marts'"))
    assert "marts_blue" in views["fct_spend_daily"]
    assert (transformed / "docs" / "index.html").exists()  # dbt docs on every run


def test_dbt_tasks_start_from_this_homes_partial_parse(transformed: Path) -> None:
    """Cosmos' partial-parse cache lives in the home, not in the machine's temp dir, where
    another home's runs (the other test worker's) replaced it with a file of another profile
    and each task that found it parsed the whole project again."""
    cache = transformed / "airflow" / "cosmos" / "transform__marts__dbt_build" / "target"
    assert (cache / "partial_parse.msgpack").exists()
    log = (transformed / "transform.log").read_text()
    tasks = log.count("Running with dbt=")
    assert tasks > 50, tasks
    # whole parses: the run's first dbt task (no cache yet in a new home) and `dbt docs
    # generate` (its own target folder); every other task starts from the cache
    assert log.count("Unable to do partial parsing") <= 2, [
        line for line in log.splitlines() if "Unable to do partial parsing" in line]


def test_spend_in_marts_reconciles_with_raw_google_ads(transformed: Path) -> None:
    """USD account: mart spend per day equals the raw export's cost, to the cent (each source
    line is converted and rounded to the cent, then summed: docs/warehouse.md)."""
    mart = dict(q(transformed, """select spend_date, sum(spend_usd) from marts.fct_spend_daily
                                  where channel_id = 'google_ads' group by 1"""))
    raw = dict(q(transformed, """select date, sum(round(cost, 2)) from raw.google_ads__campaign_stats
                                 group by 1"""))
    assert mart and mart == raw


def test_a_failing_mart_check_leaves_the_previous_marts_serving(transformed: Path, monkeypatch) -> None:
    monkeypatch.setenv("JOURNEYMART_HOME", str(transformed))
    from journeymart import marts

    before = q(transformed, "select sum(spend_usd), count(*) from marts.fct_spend_daily")
    target = marts.build_schema()
    assert target == "marts_green"
    # A build into the standby schema that produced a bad mart (negative spend)
    with duckdb.connect(str(transformed / "warehouse.duckdb")) as con:
        con.execute(f"create schema if not exists {target}")
        for t in marts.mart_suite_names():
            con.execute(f"create or replace table {target}.{t} as select * from marts_blue.{t}")
        con.execute(f"update {target}.fct_spend_daily set spend_usd = -spend_usd")
    results = {r.table: r for r in marts.check_marts(target)}
    assert not results["fct_spend_daily"].success
    assert any("spend_usd" in f for f in results["fct_spend_daily"].failed)
    assert all(r.success for name, r in results.items() if name != "fct_spend_daily")
    # The DAG releases only after the checks pass: nothing changed for BI.
    assert q(transformed, "select sum(spend_usd), count(*) from marts.fct_spend_daily") == before
    assert q(transformed, "select count(*) from audit.marts_release") == [(1,)]


def test_release_is_gated_on_the_mart_checks(transformed: Path, monkeypatch) -> None:
    monkeypatch.setenv("JOURNEYMART_HOME", str(transformed))  # its dbt manifest renders the DAG
    from journeymart.airflow_env import configure

    configure()
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(Path(__file__).parents[1] / "dags")).dags["transform__marts"]
    release = dag.get_task("release_marts")
    assert "check_marts" in release.upstream_task_ids
    assert any(t.startswith("dbt_build.") for t in dag.get_task("check_marts").get_flat_relative_ids(upstream=True))


def test_every_transform_run_writes_an_offline_report_that_renders(transformed: Path, tmp_path: Path) -> None:
    """The report opens in headless Chromium with no JavaScript error, no network request, and
    draws its charts (a non-blank screenshot)."""
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM_ARGS, chromium

    reports = sorted((transformed / "reports").glob("journeymart_report_*.html"))
    assert reports, list((transformed / "reports").iterdir())
    html = reports[-1].read_text(encoding="utf-8")
    for section in ("Does the budget follow the customer?", "The journey funnel",
                    "Attribution by model", "Response curves", "Pacing"):
        assert section in html, section
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: requests.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.goto(reports[-1].as_uri())
        page.wait_for_load_state("load")
        charts = int(page.evaluate("document.body.dataset.rendered"))
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert errors == [] and requests == []
    assert charts >= 4  # stage shares, funnel, attribution, pacing (+ one per fitted curve)
    # non-blank: a white page's pixel data is nearly one byte value; charts and text are not
    assert len(set(png_pixel_bytes(shot.read_bytes()))) > 50


def png_pixel_bytes(png: bytes) -> bytes:
    """A PNG's decompressed scanlines (filter bytes included: enough to tell blank from drawn)."""
    import struct
    import zlib

    pos, idat = 8, b""
    while pos < len(png):
        (length,), kind = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    return zlib.decompress(idat)


def analyst_examples() -> list[str]:
    text = (Path(__file__).resolve().parents[1] / "docs" / "analysts.md").read_text(encoding="utf-8")
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


def test_every_analyst_example_runs_on_the_marts_and_on_the_bi_exports(transformed: Path) -> None:
    from journeymart.exports import open_bi

    examples = analyst_examples()
    assert len(examples) >= 5
    with duckdb.connect(str(transformed / "warehouse.duckdb"), read_only=True) as con, \
            open_bi(transformed / "exports" / "journeymart_bi.duckdb") as bi:
        for sql in examples:
            on_warehouse = con.execute(sql).fetchall()
            assert on_warehouse, sql
            assert bi.execute(sql).fetchall() == on_warehouse, sql


def test_bi_access_reads_the_marts_and_nothing_else(transformed: Path) -> None:
    from journeymart.exports import open_bi

    exported = {p.stem for p in (transformed / "exports").glob("*.parquet")}
    released = {r[0] for r in q(transformed, "select table_name from information_schema.tables "
                                             "where table_schema = 'marts'")}
    assert exported == released and "mart_budget_allocation" in exported
    with open_bi(transformed / "exports" / "journeymart_bi.duckdb") as bi:
        spend = bi.execute("select sum(spend_usd) from marts.fct_spend_daily").fetchone()[0]
        assert spend == q(transformed, "select sum(spend_usd) from marts.fct_spend_daily")[0][0]
        for forbidden in ("select * from raw.google_ads__campaign_stats",
                          "select * from audit.load_ledger",
                          "select * from quarantine.google_ads__campaign_stats"):
            with pytest.raises(duckdb.CatalogException):
                bi.execute(forbidden)
        for write in ("create table marts.x (i int)", "drop view marts.fct_spend_daily",
                      "create or replace view marts.fct_spend_daily as select 1 as spend_usd"):
            with pytest.raises(duckdb.Error, match="read-only"):
                bi.execute(write)
