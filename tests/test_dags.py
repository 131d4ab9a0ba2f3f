"""DAG integrity (after the astro template's test_dag_example.py) and one real DAG run."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from conftest import DEMO, env_for
from journeymart.airflow_env import DAGS_FOLDER

APPROVED_TAGS = {"journeymart", "ingest", "transform", "marts", "reports"}
DAG_FILES = sorted(p for p in DAGS_FOLDER.glob("*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bootstrapped home: metadata DB migrated, pool created, dbt manifest written."""
    home = tmp_path_factory.mktemp("airflow_home")
    out = subprocess.run([sys.executable, "-m", "journeymart.cli", "bootstrap"], env=env_for(home),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert (home / "dbt" / "target" / "manifest.json").exists()
    return home


@pytest.fixture(scope="module")
def dagbag(airflow_home: Path):
    import os

    os.environ["JOURNEYMART_HOME"] = str(airflow_home)
    from journeymart.airflow_env import configure

    configure()
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


def test_every_dag_file_imports_without_errors(dagbag) -> None:
    assert DAG_FILES
    assert not dagbag.import_errors, dagbag.import_errors
    assert "ingest__exports" in dagbag.dags


def test_dag_files_survive_airflow_safe_mode_discovery() -> None:
    # Safe mode skips files lacking both words; a DAG file that only says DbtDag vanishes.
    for f in DAG_FILES:
        text = f.read_text().lower()
        assert "airflow" in text and "dag" in text, f


def test_dags_have_owner_retries_tags_docs_and_no_cycles(dagbag) -> None:
    from airflow.utils.dag_cycle_tester import check_cycle

    for dag_id, dag in dagbag.dags.items():
        assert dag.tags and set(dag.tags) <= APPROVED_TAGS, dag_id
        assert dag.doc_md, dag_id
        for t in dag.tasks:
            assert t.owner and t.owner != "airflow", (dag_id, t.task_id)
            assert t.retries >= 1, (dag_id, t.task_id)
            assert t.execution_timeout is not None, (dag_id, t.task_id)
        check_cycle(dag)  # raises AirflowDagCycleException on a cycle


def test_publish_runs_in_the_single_writer_pool(dagbag) -> None:
    dag = dagbag.dags["ingest__exports"]
    assert dag.get_task("publish_raw").pool == "duckdb_writer"
    assert dag.get_task("publish_raw").outlets, "publish must emit the raw Assets"


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_each_dag_file_parses_without_heavy_top_level_work(dag_file: Path, airflow_home: Path) -> None:
    """Parsing a DAG file starts no process (no `dbt ls`: cosmos renders from the manifest
    `bootstrap` wrote), opens no warehouse and lists no landing zone. How long a parse takes
    is measured by `make bench` (BENCHMARKS.md), not asserted here."""
    code = (
        "import subprocess, duckdb, importlib.util\n"
        "from journeymart.airflow_env import configure; configure()\n"
        # libraries are imported (and their lazy names resolved) before the guard: their import
        # cost is theirs; what the DAG file itself does at top level is the question
        "import airflow.sdk, journeymart.registry, journeymart.config\n"
        "from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, get_current_context, task\n"
        "from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig\n"
        "from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior\n"
        "def refuse(what):\n"
        "    def f(*a, **k): raise AssertionError(f'top-level {what} while parsing: {a[:1]}')\n"
        "    return f\n"
        "subprocess.Popen.__init__ = refuse('process')\n"
        "duckdb.connect = refuse('warehouse connection')\n"
        "import dbt.cli.main; dbt.cli.main.dbtRunner.invoke = refuse('dbt invocation (dbt ls)')\n"
        "import journeymart.landing as landing\n"
        "landing.list_exports = landing.exports_by_day = refuse('landing listing')\n"
        "import sys\n"
        "from airflow.sdk.definitions._internal.contextmanager import DagContext\n"
        f"spec = importlib.util.spec_from_file_location('d', {str(dag_file)!r})\n"
        "m = importlib.util.module_from_spec(spec); sys.modules['d'] = m\n"
        "DagContext.current_autoregister_module_name = 'd'  # as the DAG processor does\n"
        "spec.loader.exec_module(m)\n"
        "print(sorted(d.dag_id for d, _ in DagContext.autoregistered_dags))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env_for(airflow_home), capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] in ("['ingest__exports']", "['transform__marts']")


@pytest.mark.slow
def test_ingest_dag_runs_end_to_end_through_airflow(demo_home: Path) -> None:
    """`journeymart ingest` drives the DAG with dag.test() on the demo landing zone."""
    end = date.fromordinal(DEMO["start"].toordinal() + DEMO["days"] - 1)
    out = subprocess.run(
        [sys.executable, "-m", "journeymart.cli", "ingest", "--start", DEMO["start"].isoformat(),
         "--end", end.isoformat()], env=env_for(demo_home), capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:])
    assert "success" in out.stdout, out.stdout[-2000:]
    with duckdb.connect(str(demo_home / "warehouse.duckdb"), read_only=True) as con:
        statuses = dict(con.execute("select status, count(*) from audit.load_ledger group by 1").fetchall())
        assert statuses.get("loaded", 0) > 0 and set(statuses) == {"loaded"}, statuses
    assert (demo_home / "airflow" / "airflow.db").exists()  # SQLite metadata under the home
    ledger = subprocess.run([sys.executable, "-m", "journeymart.cli", "ledger"], env=env_for(demo_home),
                            capture_output=True, text=True, timeout=120)
    assert ledger.returncode == 0 and "google_ads" in ledger.stdout and "loaded" in ledger.stdout


@pytest.mark.slow
def test_run_puts_everything_under_journeymart_home(tmp_path: Path) -> None:
    """`make run`'s job with JOURNEYMART_HOME=/tmp/x: every artefact lands under /tmp/x."""
    home = tmp_path / "x"
    repo_state = DAGS_FOLDER.parent / ".journeymart"
    before = repo_state.exists() and sorted(p.name for p in repo_state.iterdir())
    out = subprocess.run([sys.executable, "-m", "journeymart.cli", "run", "--days", "3", "--customers", "60"],
                         env=env_for(home), capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, (out.stdout[-3000:], out.stderr[-3000:])
    for rel in ("landing/_truth.json", "warehouse.duckdb", "airflow/airflow.db", "quarantine", "reports",
                "docs", "gx/gx/uncommitted/data_docs/local_site/index.html"):
        assert (home / rel).exists(), rel
    assert (repo_state.exists() and sorted(p.name for p in repo_state.iterdir())) == before
