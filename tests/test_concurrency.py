"""Two triggers of the same DAG and the same date at once load every file exactly once.

Real processes on one JOURNEYMART_HOME (one DuckDB file, one Airflow metadata DB), started
together; the reference is a single run of the same date in a home of its own.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from conftest import env_for
from warehouse_checks import FINAL, assert_exactly_once, cli, cli_cmd, ledger, q, tiny_landing

DAY = date(2026, 1, 2)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("concurrency")]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_landing(tmp_path_factory.mktemp("tiny") / "landing")


@pytest.fixture(scope="module")
def single_run(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Path:
    """The reference: one `journeymart ingest --date DAY`, alone."""
    home = tmp_path_factory.mktemp("single")
    shutil.copytree(landing, home / "landing")
    cli(home, "ingest", "--date", DAY.isoformat())
    return home / "warehouse.duckdb"


def start_together(home: Path, commands: list[list[str]]) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen(c, env=env_for(home), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for c in commands]
    outs = [p.communicate(timeout=1200)[0] for p in procs]
    return [subprocess.CompletedProcess(p.args, p.returncode, o) for p, o in zip(procs, outs, strict=True)]


def raw_counts(db: Path) -> dict[str, int]:
    tables = [t for (t,) in q(db, "select table_name from information_schema.tables "
                                  "where table_schema = 'raw'")]
    return {t: q(db, f"select count(*) from raw.{t}")[0][0] for t in tables}


def assert_same_as_single_run(db: Path, single: Path) -> None:
    assert_exactly_once(db)
    assert ledger(db) == ledger(single)
    counts = raw_counts(db)
    assert counts == raw_counts(single) and sum(counts.values()) > 0


def test_two_cli_ingests_of_the_same_date_at_once_load_each_file_once(
        tmp_path: Path, landing: Path, single_run: Path) -> None:
    home = tmp_path / "jm"
    shutil.copytree(landing, home / "landing")
    cmd = cli_cmd("ingest", "--date", DAY.isoformat())
    runs = start_together(home, [cmd, cmd])
    for r in runs:  # neither trigger may fail because the other one runs
        assert r.returncode == 0, r.stdout[-4000:]
    assert sum("waiting for it" in r.stdout for r in runs) == 1, "the second trigger queues"
    assert_same_as_single_run(home / "warehouse.duckdb", single_run)
    applied = q(home / "warehouse.duckdb", f"select count(*) from audit.load_ledger where status in {FINAL}")
    assert applied == [(len(list(landing.glob(f"*/{DAY.isoformat()}/*"))),)]


def test_two_dag_runs_of_the_same_date_at_once_load_each_file_once(
        tmp_path: Path, landing: Path, single_run: Path) -> None:
    """What the scheduler does when a manual trigger meets the scheduled run of the same date:
    two dag runs (distinct run ids) executing the DAG's steps for one window at the same time."""
    home = tmp_path / "jm"
    shutil.copytree(landing, home / "landing")
    code = ("import sys; from datetime import date; from journeymart.ingest import run_window;"
            f"d = date.fromisoformat('{DAY.isoformat()}'); run_window(d, d, sys.argv[1])")
    runs = start_together(home, [[sys.executable, "-c", code, f"manual__{n}"] for n in ("a", "b")])
    for r in runs:
        assert r.returncode == 0, r.stdout[-4000:]
    assert_same_as_single_run(home / "warehouse.duckdb", single_run)
    run_ids = q(home / "warehouse.duckdb", "select distinct run_id from audit.load_ledger "
                                           "where status = 'loaded'")
    assert run_ids, "nothing loaded"
