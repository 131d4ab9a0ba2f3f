"""The transform DAG end to end (cosmos → dbt → GE mart checks → release), and the swap."""

from __future__ import annotations

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
        for t in ("fct_spend_daily", "dim_customers", "mart_journey_funnel",
                  "mart_channel_stage_matrix", "mart_budget_allocation"):
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
