"""Airflow DAG `ingest__exports`: pull every channel's exports from the landing zone,
validate them with Great Expectations, and publish them to raw.* (or quarantine them).

The DAG is generated from the channel registry (src/journeymart/channels.yml): one mapped
`stage_channel` task per channel with new files (per channel and 7 partition days on a
backfill; a small export's weeks merged, up to a year), so channels (and a backfill's weeks)
parse and validate in parallel,
then one `publish_raw` task in the one-slot `duckdb_writer` pool, because DuckDB allows a
single writing process. The logical date is the export (partition) date; each run also
re-scans the previous JOURNEYMART_LATE_LOOKBACK_DAYS days, so a late file is loaded by the
next run without manual steps. Params `start`/`end` load a range in one run.
"""

from __future__ import annotations

from datetime import date, timedelta

import pendulum
from airflow.sdk import Asset, CronDataIntervalTimetable, Param, dag, get_current_context, task

from journeymart import registry

OWNER = "data-platform"
RAW_PUBLISHED = Asset("journeymart://warehouse/raw", group="raw")  # transform__marts runs on it
RAW_ASSETS = [Asset(f"journeymart://warehouse/raw/{e.table}", group="raw") for e in registry.load().entities]
DEFAULT_ARGS = {
    "owner": OWNER,
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(hours=2),
}


def _window() -> tuple[date, date]:
    from journeymart.ingest import window

    ctx = get_current_context()
    params = ctx["params"]
    start = date.fromisoformat(params["start"]) if params.get("start") else None
    end = date.fromisoformat(params["end"]) if params.get("end") else None
    return window(ctx["logical_date"].date(), start, end)


def _xcom_at(seq, i: int):
    try:
        return seq[i]
    except (IndexError, KeyError, LookupError):
        return None  # that mapped stage task failed and pushed nothing


@dag(
    dag_id="ingest__exports",
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    default_args=DEFAULT_ARGS,
    tags=["journeymart", "ingest"],
    doc_md=__doc__,
    params={
        "start": Param(None, type=["null", "string"], format="date", description="range start (optional)"),
        "end": Param(None, type=["null", "string"], format="date", description="range end (optional)"),
        "channels": Param(None, type=["null", "array"], description="only these channel ids"),
    },
)
def ingest__exports():
    @task
    def plan_exports() -> list[dict]:
        """Batches (channel x 7 partition days; a small export's weeks merged up to a year) of the
        window's files not yet in the ledger."""
        from journeymart.ingest import plan_exports

        start, end = _window()
        return plan_exports(start, end, get_current_context()["params"].get("channels"))

    @task(map_index_template="{{ batch['label'] }}")
    def stage_channel(batch: dict) -> list[str]:
        from journeymart.ingest import stage_channel

        return stage_channel(batch, get_current_context()["run_id"])

    @task(pool="duckdb_writer", outlets=[RAW_PUBLISHED, *RAW_ASSETS], trigger_rule="all_done")
    def publish_raw(manifests: list[list[str]], batches: list[dict]) -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from journeymart.ingest import missing_deliveries, publish_run

        ctx = get_current_context()
        start, end = _window()
        missing = missing_deliveries(start, end, ctx["params"].get("channels"))
        # Index by len(): iterating the lazy mapped-XCom sequence probes one past its end and
        # logs a spurious "XCom not found" error.
        groups = [_xcom_at(manifests, i) for i in range(len(manifests))] if manifests else []
        flat = [p for group in groups for p in (group or [])]
        summary = publish_run(flat, missing, ctx["run_id"])
        for table in summary.tables:
            ctx["outlet_events"][Asset(f"journeymart://warehouse/raw/{table}", group="raw")].extra = {
                "run_id": ctx["run_id"]}
        ctx["outlet_events"][RAW_PUBLISHED].extra = {
            "run_id": ctx["run_id"], "tables": sorted(summary.tables), "by_status": summary.by_status}
        # A stage task that crashed left no manifests: what staged is published, the rest stays
        # unledgered (so the next run retries it), and the run fails loudly.
        crashed = len(batches or []) - sum(1 for g in groups if g is not None)
        if crashed > 0:
            raise AirflowFailException(f"{crashed} stage_channel task(s) failed; published the rest")
        return {"by_status": summary.by_status, "rows_loaded": summary.rows_loaded,
                "rows_quarantined": summary.rows_quarantined, "missing": summary.missing}

    @task
    def check_freshness(summary: dict) -> None:
        """Fail loudly, naming channel and date, for each daily export missing past due."""
        from airflow.sdk.exceptions import AirflowFailException

        if summary["missing"]:
            raise AirflowFailException("missing deliveries:\n" + "\n".join(summary["missing"]))

    batches = plan_exports()
    staged = stage_channel.expand(batch=batches)
    check_freshness(publish_raw(staged, batches))


ingest__exports()
