"""journeymart's real load path on the landing zone: plan_exports → stage_channel (one task
per channel, in parallel as Airflow's mapped tasks run) → publish_run (the single writer).

The stages inside are timed by wrapping journeymart's own functions (nothing is replaced):
parse (read + parse + PII hash), GE validation, Parquet write, publish per table (each
file's bookkeeping and the table's inserts), and GE's result store. Run with
JOURNEYMART_HOME / JOURNEYMART_LANDING_URL set by the caller.
"""

from __future__ import annotations

import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.common import Spec, Stopwatch, write_result

RUN_ID = "bench"
SW = Stopwatch()
CPU = Stopwatch()  # the same stages' process CPU (a publish's DuckDB threads included)
_INSTRUMENTED: list[bool] = []


def _timed(stage: str, fn: Any, key_of: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args, **kwargs)
        key = key_of(args, out)
        SW.add(stage, key, time.perf_counter() - t0)
        CPU.add(stage, key, time.process_time() - c0)
        return out
    return wrapper


def instrument() -> None:
    """Time journeymart's stages per entity table by wrapping the module-level functions
    stage_files / publish / publish_run look up at call time."""
    import journeymart.ingest as ingest
    import journeymart.publish as pub
    import journeymart.stage as st

    if _INSTRUMENTED:
        return  # a pool worker stages several batches: wrap once
    _INSTRUMENTED.append(True)

    def parsed_key(args: tuple, out: Any) -> str:
        return out.entity.table if isinstance(out, st._Parsed) else f"{out.channel}__{out.entity}"

    st._parse_one = _timed("parse", st._parse_one, parsed_key)
    # a validation batch's frame (built from its files' columns), hashing, repeats and
    # formulas are the parse's, its one Arrow conversion the Parquet write's
    st._batch_frame = _timed("parse", st._batch_frame, lambda a, o: a[0].table)
    st._prepare_batch = _timed("parse", st._prepare_batch, lambda a, o: a[0].table)
    st._small_files_written_at_once = _timed("write_parquet", st._small_files_written_at_once,
                                             lambda a, o: a[0].table)
    st.validate_batch = _timed("ge_validate", st.validate_batch, lambda a, o: a[0].table)
    st._write_file_outputs = _timed("write_parquet", st._write_file_outputs,
                                    lambda a, o: a[0].entity.table)
    pub.apply_manifest = _timed("publish", pub.apply_manifest,
                                lambda a, o: f"{a[1].channel}__{a[1].entity}")
    # A transaction's rows go in per table when it is flushed, after its files' bookkeeping
    # (apply_manifest): both count as the table's publish time. (A file superseding another
    # flushes inside apply_manifest; that insert is counted twice. The bench has none.)
    pub.insert_parquets = _timed("publish", pub.insert_parquets,
                                 lambda a, o: a[1].split(".", 1)[-1])
    ingest.store_validation_results = _timed("ge_store_results", ingest.store_validation_results,
                                             lambda a, o: "all")


def stage_batch(batch: dict[str, Any]) -> tuple[list[str], dict[str, dict[str, float]],
                                                 dict[str, dict[str, float]]]:
    """One mapped stage_channel task (runs in a worker process)."""
    from journeymart.ingest import stage_channel

    SW.seconds.clear()
    CPU.seconds.clear()
    instrument()
    t0 = time.perf_counter()
    paths = stage_channel(batch, RUN_ID)
    SW.add("stage_channel", batch["channel"], time.perf_counter() - t0)
    return paths, SW.seconds, CPU.seconds


def _batch_bytes(batch: dict[str, Any]) -> int:
    return sum(Path(f["url"].removeprefix("file://")).stat().st_size for f in batch["files"])


def of_formats(batches: list[dict[str, Any]], missing: list[dict[str, str]],
               formats: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The plan cut down to the entities of `formats` (`bench.run --formats`): each batch's
    files of those entities (a batch left without files is dropped), and their missing
    deliveries."""
    from journeymart import registry as reg

    registry = reg.load()
    out = []
    for b in batches:
        ch = registry.channel(b["channel"])
        files = [f for f in b["files"] if (e := ch.entity_for_file(f["name"])) and e.format in formats]
        if files:
            out.append({**b, "files": files})
    kept = [m for m in missing
            if any(e.id == m["entity"] and e.format in formats for e in registry.channel(m["channel"]).entities)]
    return out, kept


def load(start: date, end: date, workers: int, channels: list[str] | None = None,
         formats: list[str] | None = None) -> dict[str, Any]:
    from journeymart.ingest import missing_deliveries, plan_exports, publish_run

    instrument()
    t0 = time.perf_counter()
    batches = sorted(plan_exports(start, end, channels), key=_batch_bytes, reverse=True)
    missing = missing_deliveries(start, end, channels)
    if formats:
        batches, missing = of_formats(batches, missing, formats)
    t_plan = time.perf_counter() - t0

    t0 = time.perf_counter()
    manifests: list[str] = []
    if workers > 1:
        # spawn: a fresh interpreter per worker, like an Airflow task process
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for paths, seconds, cpu in pool.map(stage_batch, batches):
                manifests += paths
                SW.merge(seconds)
                CPU.merge(cpu)
    else:
        for b in batches:
            t1 = time.perf_counter()
            manifests += stage_batch_inline(b)
            SW.add("stage_channel", b["channel"], time.perf_counter() - t1)
    t_stage = time.perf_counter() - t0
    # ru_maxrss of the whole contender is the largest of its processes; these say which
    rss = {"stage_workers": _max_rss_mb(resource.RUSAGE_CHILDREN),
           "before_publish": _max_rss_mb(resource.RUSAGE_SELF)}

    t0 = time.perf_counter()
    summary = publish_run(manifests, missing, RUN_ID)
    t_publish = time.perf_counter() - t0
    rss["after_publish"] = _max_rss_mb(resource.RUSAGE_SELF)
    return {"walls": {"plan": t_plan, "stage": t_stage, "publish": t_publish},
            "peak_rss_mb": rss,
            "load_s": t_plan + t_stage + t_publish, "stages": SW.seconds, "stages_cpu": CPU.seconds,
            "files": len(manifests), "by_status": summary.by_status,
            "rows_loaded": summary.rows_loaded, "rows_quarantined": summary.rows_quarantined}


def _max_rss_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # Linux: KiB


def stage_batch_inline(batch: dict[str, Any]) -> list[str]:
    from journeymart.ingest import stage_channel

    return stage_channel(batch, RUN_ID)


def ledger_rows() -> dict[str, dict[str, int]]:
    from journeymart.warehouse import connect

    with connect(read_only=True) as con:
        rows = con.execute(
            "select channel || '__' || entity, sum(rows_in), sum(rows_loaded), "
            "sum(rows_quarantined), count(*) from audit.load_ledger "
            "where status <> 'missing' group by 1 order by 1").fetchall()
    return {t: {"rows_in": int(i), "rows_loaded": int(ld), "rows_quarantined": int(q), "files": int(n)}
            for t, i, ld, q, n in rows}


def main(spec_path: str, result_path: str) -> None:
    spec = Spec.read(Path(spec_path))
    out = load(date.fromisoformat(spec.start), date.fromisoformat(spec.end),
               int(spec.options.get("workers", 2)), spec.options.get("channels"),
               spec.options.get("formats"))
    ledger = ledger_rows()
    out["ledger"] = ledger
    out["rows"] = {t: v["rows_in"] for t, v in ledger.items()}
    write_result(result_path, out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
