"""Airflow DAG `transform__marts`: dbt staging → intermediate → marts, checked, then released.

Scheduled on the Asset `journeymart://warehouse/raw`, which `ingest__exports` emits whenever
its publish step has loaded files (beside one Asset per raw table, for lineage).

How dbt runs here, and why:
- **Rendering**: astronomer-cosmos turns the dbt project (dbt_project/) into one Airflow task
  per seed/model, from the manifest `journeymart bootstrap` writes (`dbt parse`), so parsing
  this file never shells out to `dbt ls` (the DAG processor parses it in well under 2 s).
- **Execution mode LOCAL, dbtRunner in-process**: each node is one `dbt build --select <node>`
  in the worker. Cosmos' faster WATCHER mode runs one `dbt build` for the whole project, which
  would suit DuckDB, but it is still experimental and its retry semantics changed between
  releases (cosmos docs, "Watcher retry behavior history"); we prefer per-node retries.
- **Test behaviour BUILD**: a node's tests run in the same `dbt build` as the node, in the same
  process, so DuckDB (one writing process per file) never sees a second process between a model
  and its tests, and a failing test stops everything downstream of that node.
- **Single writer**: every dbt task runs in the one-slot `duckdb_writer` pool, shared with the
  ingest publisher, so no two processes ever write the warehouse at once.
- **Build aside, then swap**: marts are built into `marts_blue` or `marts_green` (whichever is
  not serving), checked with Great Expectations, and only then `marts.*` views are repointed in
  one transaction. A failed build or mart check leaves BI reading the last good marts.
- After the swap: the budget report (offline HTML) goes to $JOURNEYMART_HOME/reports, the
  marts to $JOURNEYMART_HOME/exports as Parquet for read-only BI, and dbt docs to
  $JOURNEYMART_HOME/docs.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import Asset, dag, get_current_context, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from journeymart.config import REPO_ROOT

DBT_PROJECT = REPO_ROOT / "dbt_project"
HOME = Path(os.environ.get("JOURNEYMART_HOME", REPO_ROOT / ".journeymart"))
MANIFEST = HOME / "dbt" / "target" / "manifest.json"
# One Asset for "raw was published": scheduling on the 22 per-table Assets (AssetAny) would
# trigger a run per table event and costs ~1.5 s of DAG hashing at every parse.
RAW_PUBLISHED = Asset("journeymart://warehouse/raw", group="raw")
DEFAULT_ARGS = {
    "owner": "data-platform",
    "retries": 1,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(hours=1),
}
BUILD_SCHEMA = "{{ ti.xcom_pull(task_ids='choose_build_schema') }}"


@dag(
    dag_id="transform__marts",
    schedule=[RAW_PUBLISHED],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["journeymart", "transform", "marts"],
    doc_md=__doc__,
)
def transform__marts():
    @task
    def choose_build_schema() -> str:
        """The marts schema not in service (blue/green)."""
        from journeymart.marts import build_schema

        return build_schema()

    dbt_build = DbtTaskGroup(
        group_id="dbt_build",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT,
            manifest_path=MANIFEST if MANIFEST.exists() else None,
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="journeymart",
            target_name=os.environ.get("JOURNEYMART_DBT_TARGET", "duckdb"),
            profiles_yml_filepath=DBT_PROJECT / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
            dbt_executable_path=str(Path(sys.executable).parent / "dbt"),
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if MANIFEST.exists() else LoadMode.DBT_LS,
            test_behavior=TestBehavior.BUILD,
            # A test on two models (relationships) runs as its own task after both exist,
            # not inside the first parent's `dbt build`.
            should_detach_multiple_parents_tests=True,
            enable_mock_profile=False,
        ),
        operator_args={
            "pool": "duckdb_writer",
            "install_deps": False,
            "vars": {"marts_schema": BUILD_SCHEMA},
        },
    )

    @task(pool="duckdb_writer")
    def check_marts(schema: str) -> dict:
        """Great Expectations on the freshly built marts; a failure stops the release."""
        from airflow.sdk.exceptions import AirflowFailException

        from journeymart.marts import check_marts

        results = check_marts(schema)
        failed = {r.table: r.failed for r in results if not r.success}
        if failed:
            raise AirflowFailException(f"mart checks failed in {schema}: {failed}; "
                                       "marts.* still serve the previous release")
        return {r.table: "passed" for r in results}

    @task(pool="duckdb_writer")
    def release_marts(schema: str) -> list[str]:
        from journeymart.marts import release

        return release(schema, get_current_context()["run_id"])

    @task(pool="duckdb_writer")
    def export_marts() -> list[str]:
        """BI's read-only copy on DuckDB: every released mart as Parquet under
        $JOURNEYMART_HOME/exports (PostgreSQL serves BI through the journeymart_bi role)."""
        from journeymart.exports import export_marts
        from journeymart.warehouse import connect, target

        if target() != "duckdb":
            return []
        with connect() as con:
            return [str(p) for p in export_marts(con)]

    @task(pool="duckdb_writer")
    def write_report() -> dict:
        """The offline HTML budget report for this release, and its headline."""
        from journeymart.report import write_report
        from journeymart.warehouse import connect

        with connect() as con:
            path, headline = write_report(con, run_id=get_current_context()["run_id"])
        print("\n".join(headline))
        return {"report": str(path), "headline": headline}

    @task(pool="duckdb_writer")
    def generate_docs(schema: str) -> str:
        from journeymart.dbt_runner import docs_generate

        return str(docs_generate(schema))

    schema = choose_build_schema()
    checked = check_marts(schema)
    released = release_marts(schema)
    schema >> dbt_build >> checked >> released >> [export_marts(), write_report(), generate_docs(schema)]


transform__marts()
