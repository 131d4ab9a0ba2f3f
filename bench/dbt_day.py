"""dbt on the warehouse journeymart loaded, then one more day the way the daily run does it.

1. `dbt build` (first build: every model and test, incremental marts built whole);
2. the next partition day ingested through `run_window` over the daily DAG's window
   (the day plus its late-file lookback; files already in the ledger are skipped);
3. `dbt build` again (incremental marts process only what that day touched).
Run with JOURNEYMART_HOME / JOURNEYMART_LANDING_URL set by the caller.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench.common import Spec, write_result

# The history was loaded minutes before, and the incremental marts re-process whatever was
# loaded within var('late_data_lookback_days') (load time, default 3 days) of their newest
# load: the whole history here. 0 models the daily case, a history loaded days earlier.
INCREMENTAL_VARS = {"late_data_lookback_days": 0}


def full_build_and_next_day(end: date, channels: list[str] | None = None) -> dict[str, Any]:
    """Steps 1 and 2: the first full build, then the next partition day ingested."""
    from journeymart.dbt_runner import invoke
    from journeymart.ingest import run_window, window

    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    invoke("build")
    out["dbt_full_s"] = time.perf_counter() - t0

    day = end + timedelta(days=1)
    start, stop = window(day)
    t0 = time.perf_counter()
    summary = run_window(start, stop, f"bench_day_{day.isoformat()}", channels)
    out["day_ingest_s"] = time.perf_counter() - t0
    out["day_rows"] = summary.rows_loaded + summary.rows_quarantined
    return out


def one_day(end: date, channels: list[str] | None = None) -> dict[str, Any]:
    from journeymart.dbt_runner import invoke

    out = full_build_and_next_day(end, channels)
    t0 = time.perf_counter()
    invoke("build", dbt_vars=INCREMENTAL_VARS)
    out["dbt_incremental_s"] = time.perf_counter() - t0
    out["day_run_s"] = out["day_ingest_s"] + out["dbt_incremental_s"]
    out["load_s"] = out["dbt_full_s"] + out["day_run_s"]
    return out


def main(spec_path: str, result_path: str) -> None:
    spec = Spec.read(Path(spec_path))
    write_result(result_path, one_day(date.fromisoformat(spec.end), (spec.options or {}).get("channels")))


if __name__ == "__main__":
    main(*sys.argv[1:3])
