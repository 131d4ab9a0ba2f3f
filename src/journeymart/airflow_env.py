"""Embedded Airflow: SQLite metadata under $JOURNEYMART_HOME/airflow, the repo's dags/ folder.

`configure()` must run before the first `import airflow`: Airflow reads its configuration
at import time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any, NoReturn

from journeymart.config import REPO_ROOT, paths

DAGS_FOLDER = REPO_ROOT / "dags"
WRITER_POOL = "duckdb_writer"


def configure() -> dict[str, str]:
    p = paths().ensure()
    env = {
        "AIRFLOW_HOME": str(p.airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{p.airflow_home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("JOURNEYMART_AIRFLOW_LOG_LEVEL", "WARNING"),
        # Cosmos renders from the manifest `bootstrap` writes; should it ever fall back to
        # `dbt ls`, it must not need the metadata DB (its ls cache lives in Variables).
        "AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS": "False",
        # Cosmos keeps the partial-parse file its dbt tasks start from in one cache per DAG
        # and task group, by default under the system temp dir: shared by every home on the
        # machine. dbt re-parses the whole project (6-11 s here, against ~1 s from the cache) when
        # the cached file came from another profile, i.e. another home's warehouse path, so
        # two homes' transform runs (tests, a dev beside a demo) kept invalidating each
        # other's cache. One cache per home.
        "AIRFLOW__COSMOS__CACHE_DIR": str(p.airflow_home / "cosmos"),
    }
    for k, v in env.items():
        os.environ.setdefault(k, v)
    os.environ.setdefault("JOURNEYMART_HOME", str(p.home))
    return env


def bootstrap() -> None:
    """Create/upgrade the metadata DB and the single-writer pool (idempotent)."""
    configure()
    from airflow.models.pool import Pool
    from airflow.utils.db import upgradedb

    upgradedb()
    Pool.create_or_update_pool(WRITER_POOL, slots=1, include_deferred=False,
                               description="DuckDB allows one writing process per database file")
    from journeymart.dbt_runner import DBT_PROJECT, parse_manifest

    if (DBT_PROJECT / "dbt_project.yml").exists():
        parse_manifest()  # cosmos renders transform__marts from it (no `dbt ls` at parse time)


def get_dag(dag_id: str) -> Any:
    configure()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    if dag_id not in bag.dags:
        raise KeyError(f"DAG {dag_id!r} not found; import errors: {bag.import_errors}")
    return bag.dags[dag_id]


def test_dag(dag_id: str, logical: date, conf: dict[str, Any] | None = None) -> str:
    """Run one DAG run in-process (`dag.test()`); returns its final state."""
    import pendulum

    bootstrap()
    dag = get_dag(dag_id)
    when = pendulum.datetime(logical.year, logical.month, logical.day, tz="UTC")
    run = dag.test(logical_date=when, run_conf=conf or {})
    return str(getattr(run, "state", run))


def local_server_env() -> str:
    """configure() plus the API server settings for a UI on this machine; returns its URL.

    JOURNEYMART_AIRFLOW_PORT picks the port (default 8080). Task processes reach the API
    server's execution API, whose default URL assumes port 8080, so it follows the port.
    """
    configure()
    port = os.environ.setdefault("AIRFLOW__API__PORT", os.environ.get("JOURNEYMART_AIRFLOW_PORT", "8080"))
    os.environ.setdefault("AIRFLOW__API__HOST", "127.0.0.1")  # a local UI, not on every interface
    os.environ.setdefault("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", f"http://127.0.0.1:{port}/execution/")
    return f"http://localhost:{port}"


def exec_airflow(args: Sequence[str]) -> NoReturn:
    """Replace this process with `airflow <args>` on the project's Airflow home and DAGs."""
    url = local_server_env()
    if list(args[:1]) == ["standalone"]:
        from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

        print(f"journeymart: Airflow UI and REST API (/api/v2) on {url}\n"
              f"journeymart: user admin, password in {SimpleAuthManager.get_generated_password_file()}"
              " (generated on the first start)", flush=True)
    # `standalone` starts its components as `airflow ...` from PATH: this venv's first.
    bin_dir = os.path.dirname(sys.executable)
    os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    os.execvp(sys.executable, [sys.executable, "-m", "airflow", *args])


if __name__ == "__main__":  # `python -m journeymart.airflow_env standalone` (make airflow)
    exec_airflow(sys.argv[1:])
