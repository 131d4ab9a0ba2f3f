"""Embedded Airflow: SQLite metadata under $JOURNEYMART_HOME/airflow, the repo's dags/ folder.

`configure()` must run before the first `import airflow`: Airflow reads its configuration
at import time.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

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


