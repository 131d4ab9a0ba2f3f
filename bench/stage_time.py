"""The stage step alone on a landing zone's files, in one process (BENCHMARKS.md, "Small files'
repeats checked as a set of rows"): the batches `ingest.plan_exports` gives for the channels,
each through `stage.stage_files`, as one worker runs them, with GE imported first (a worker
imports it once). No database is touched. Compare two versions of the code by running this
alternately with each tree first on PYTHONPATH:

    JOURNEYMART_HOME=/tmp/st JOURNEYMART_LANDING_URL=/tmp/year PYTHONPATH=<tree>/src:<tree> \\
        python -m bench.stage_time --start 2026-01-01 --end 2026-12-31 \\
        --channels meta_ads,tiktok_ads,commerce --exclude orders,referrals --repeat 2
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench.stage_time", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--start", type=date.fromisoformat, required=True)
    ap.add_argument("--end", type=date.fromisoformat, required=True)
    ap.add_argument("--channels", required=True, help="comma-separated channel ids")
    ap.add_argument("--exclude", default="", help="comma-separated file-name prefixes left out")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)

    import great_expectations  # noqa: F401 - a worker's one import, outside the timing

    from journeymart import ingest, stage
    from journeymart.landing import ExportFile

    excluded = tuple(p for p in args.exclude.split(",") if p)
    batches = [[ExportFile(f["channel"], date.fromisoformat(f["partition"]), f["name"], f["url"])
                for f in b["files"] if not (excluded and f["name"].startswith(excluded))]
               for b in ingest.plan_exports(args.start, args.end, args.channels.split(","))]
    out = Path(tempfile.mkdtemp(prefix="stage_time_"))
    try:
        for _ in range(args.repeat):
            shutil.rmtree(out, ignore_errors=True)
            started = time.perf_counter()
            files = sum(len(stage.stage_files(fs, "bench", out)) for fs in batches if fs)
            seconds = time.perf_counter() - started
            print(f"{files} files staged in {seconds:.2f} s ({seconds / files * 1e3:.2f} ms a file)", flush=True)
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
