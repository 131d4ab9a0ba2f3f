"""Crash consistency: SIGKILL the load and the transform at several points, rerun the same
command, and the warehouse equals a clean run's on the same landing data.

Kill points (tests/fault_driver.py pauses the CLI at a named point; the kill is a real SIGKILL
of the whole process group):
  ingest     while staging (the first staged Parquet file exists), then while publishing
             (five files applied: a first transaction of files committed, the next one open
             with two or more files in it)
  transform  mid dbt build (inside the transaction building int_spend__unioned), then with
             the build and the mart checks done but nothing released
After a kill, DuckDB may hold a .wal and Airflow's SQLite metadata a dag run still marked
'running'; the rerun must recover from both.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from conftest import env_for
from journeymart.publish import publish_order, transactions
from journeymart.stage import Manifest
from warehouse_checks import (
    TINY,
    TINY_END,
    assert_exactly_once,
    cli,
    cli_cmd,
    ledger,
    q,
    schema_contents,
    tiny_landing,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crash")]
DRIVER = Path(__file__).with_name("fault_driver.py")
RANGE = ("--start", TINY["start"].isoformat(), "--end", TINY_END.isoformat())
MARTS = ("fct_spend_daily", "fct_touchpoints", "dim_customers", "dim_channels", "dim_campaigns",
         "mart_journey_funnel", "mart_channel_stage_matrix", "mart_budget_allocation")


def driver(point: str, *args: str) -> list[str]:
    return [sys.executable, str(DRIVER), point, *args]


def kill_when(home: Path, cmd: list[str], ready: Callable[[], bool], timeout: float = 1500,
              env: dict[str, str] | None = None) -> None:
    """Start `cmd`, SIGKILL its process group as soon as `ready()`; it must not finish first."""
    log = home / f"killed-{time.monotonic_ns()}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, env=env_for(home) | {"PYTHONUNBUFFERED": "1"} | (env or {}),
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            pytest.fail(f"{cmd[2:]} ended (rc={proc.returncode}) before its kill point:\n"
                        + log.read_text()[-4000:])
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL


def paused(home: Path) -> Callable[[], bool]:
    return (home / "paused.txt").exists


def after_kill(home: Path, tmp: Path, point: str | None = None) -> Path:
    """A copy of the warehouse as the kill left it (file and WAL), opened once so DuckDB
    replays the WAL; the original stays untouched for the rerun to recover."""
    marker = home / "paused.txt"
    if point:  # the driver paused where it was asked to (first line: point, then detail)
        assert marker.read_text().startswith(point + "\n"), marker.read_text()[:500]
    marker.unlink(missing_ok=True)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for f in home.glob("warehouse.duckdb*"):
        shutil.copy2(f, tmp / f.name)
    duckdb.connect(str(tmp / "warehouse.duckdb")).close()
    return tmp / "warehouse.duckdb"


def dag_run_states(home: Path, dag_id: str) -> list[str]:
    with sqlite3.connect(home / "airflow" / "airflow.db") as con:
        return [s for (s,) in con.execute("select state from dag_run where dag_id = ?", [dag_id])]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_landing(tmp_path_factory.mktemp("tiny") / "landing")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Path:
    """The clean run: the same `journeymart ingest`, never interrupted."""
    home = tmp_path_factory.mktemp("clean")
    shutil.copytree(landing, home / "landing")
    cli(home, "ingest", *RANGE)
    return home


@pytest.fixture(scope="module")
def clean_marts(clean: Path) -> dict[str, list[tuple]]:
    """The marts of one uninterrupted `dbt build` of the same project on the clean warehouse
    (the transform DAG runs the same models node by node; one build is the cheap reference)."""
    code = ("from journeymart.dbt_runner import invoke; "
            "invoke('build', dbt_vars={'marts_schema': 'marts_clean'})")
    out = subprocess.run([sys.executable, "-c", code], env=env_for(clean), capture_output=True,
                         text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    return schema_contents(clean / "warehouse.duckdb", "marts_clean")


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Path:
    home = tmp_path_factory.mktemp("crashed")
    shutil.copytree(landing, home / "landing")
    return home


def test_ingest_killed_while_staging_and_publishing_reruns_to_the_clean_load(
        crashed: Path, clean: Path, tmp_path: Path) -> None:
    db = crashed / "warehouse.duckdb"
    kill_when(crashed, cli_cmd("ingest", *RANGE), lambda: any((crashed / "staging").rglob("*.parquet")))
    if db.exists():  # the publisher had not started: nothing was applied
        assert q(after_kill(crashed, tmp_path / "k1"), "select count(*) from audit.load_ledger") == [(0,)]

    # Transactions of whole files: sized here so the first holds the first three files and
    # the fifth file is applied inside the second, open one.
    first_three = sum(r for (r,) in q(clean / "warehouse.duckdb", (
        "select rows_in from audit.load_ledger where status <> 'missing' "
        "order by partition_date, channel, file_name limit 3")))
    kill_when(crashed, driver("publish:5", "ingest", *RANGE), paused(crashed),
              env={"JOURNEYMART_PUBLISH_COMMIT_ROWS": str(first_three)})
    assert db.with_name("warehouse.duckdb.wal").exists(), "expected DuckDB to leave its WAL"
    assert "running" in dag_run_states(crashed, "ingest__exports")
    at_kill = after_kill(crashed, tmp_path / "k2", "publish:5")
    publishing = max((crashed / "staging").iterdir(), key=lambda d: d.stat().st_mtime)  # the newer run's
    staged = publish_order(Manifest.read(p) for p in publishing.glob("*.manifest.json"))
    committed = []
    for group in transactions(staged, first_three):
        if len(committed) + len(group) >= 5:
            break
        committed += group
    assert 1 <= len(committed) <= 3, "the kill must fall inside a transaction of two or more files"
    # the committed transactions are there; the open one (with the fifth file) is rolled back
    # whole: rows and ledger rows of each of its files
    assert q(at_kill, "select load_id from audit.load_ledger order by 1") == sorted((m.load_id,) for m in committed)
    assert_exactly_once(at_kill)

    # the same command, to completion; it also clears the killed runs' staging folders
    cli(crashed, "ingest", *RANGE, env={"JOURNEYMART_STAGING_MAX_AGE_HOURS": "0"})
    assert dag_run_states(crashed, "ingest__exports") == ["success"]
    assert_exactly_once(db)
    assert ledger(db) == ledger(clean / "warehouse.duckdb")
    for schema in ("raw", "quarantine"):
        got, want = schema_contents(db, schema), schema_contents(clean / "warehouse.duckdb", schema)
        assert got.keys() == want.keys()
        for table in want:
            assert got[table] == want[table], f"{schema}.{table} differs from the clean run"
    assert not [p for p in (crashed / "staging").iterdir()], "staged files left behind"


@pytest.fixture
def loaded(crashed: Path) -> Path:
    """The crashed home with its load completed. The ingest test leaves it so; when that test
    ran elsewhere or not at all (xdist, -k), the same command completes it here, so the
    transform test never depends on test order."""
    db = crashed / "warehouse.duckdb"
    if not db.exists() or not q(db, "select count(*) from audit.load_ledger "
                                    "where status = 'loaded'")[0][0]:
        cli(crashed, "ingest", *RANGE)
    return crashed


def test_transform_killed_mid_build_and_before_release_reruns_to_the_clean_marts(
        loaded: Path, clean_marts: dict[str, list[tuple]], tmp_path: Path) -> None:
    crashed, db = loaded, loaded / "warehouse.duckdb"
    assert q(db, "select count(*) from audit.load_ledger where status = 'loaded'")[0][0] > 0
    transform = ("transform", "--date", TINY_END.isoformat())

    kill_when(crashed, driver("dbt-sql:int_spend__unioned", *transform), paused(crashed))
    at_kill = after_kill(crashed, tmp_path / "k1", "dbt-sql:int_spend__unioned")
    assert not q(at_kill, "select table_name from information_schema.tables "
                          "where table_name like 'int_spend__unioned%'"), "half-built model survived"
    assert not q(at_kill, "select * from information_schema.tables where table_schema = 'marts'")

    kill_when(crashed, driver("release", *transform), paused(crashed))
    at_kill = after_kill(crashed, tmp_path / "k2", "release")
    built = {t for (t,) in q(at_kill, "select table_name from information_schema.tables "
                                      "where table_schema = 'marts_blue'")}
    assert set(MARTS) <= built
    assert not q(at_kill, "select * from information_schema.tables where table_schema = 'marts'"), \
        "nothing may serve before release"

    cli(crashed, *transform)
    assert q(db, "select schema_name from audit.marts_release") == [("marts_blue",)]
    marts = schema_contents(db, "marts")
    assert set(MARTS) <= marts.keys() <= clean_marts.keys()
    for name, rows in marts.items():
        assert rows == clean_marts[name], f"marts.{name} differs from the clean build"
    assert all(marts[m] for m in MARTS), "an empty mart proves nothing"
    assert_exactly_once(db)


def test_only_abandoned_staging_folders_are_removed(jm_home: Path) -> None:
    from journeymart.config import paths
    from journeymart.ingest import remove_abandoned_staging

    dead, live = paths().staging / "manual__dead", paths().staging / "manual__live"
    for folder in (dead, live):
        folder.mkdir(parents=True)
        (folder / "x.good.parquet").write_bytes(b"PAR1")
    two_days_ago = time.time() - 2 * 86400
    for p in (dead / "x.good.parquet", dead):
        os.utime(p, (two_days_ago, two_days_ago))
    assert remove_abandoned_staging() == [dead]
    assert live.exists() and not dead.exists()
