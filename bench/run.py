"""`make bench`: generate a landing zone, run every contender in its own process, write
results.json and results.md under --out.

    python -m bench.run --days 365 --customers 80000 --out bench-results
    python -m bench.run --days 2 --customers 50 --out /tmp/b --skip dbt,history,dags   # smoke
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Measured, Spec, entity_files, jm_env, run_contender, sample
from bench.report import metrics, write_markdown

STEPS = ("peers", "dbt", "history", "dags")
# contender: (module, options, sampled, python modules it needs)
PEERS = {
    "pandas_to_sql": ("bench.pandas_load", {"mode": "to_sql"}, ("sqlalchemy", "duckdb_engine")),
    "pandas_frame_scan": ("bench.pandas_load", {"mode": "frame_scan"}, ()),
    "dlt": ("bench.dlt_load", {}, ("dlt",)),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="bench.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=365, help="days of history loaded (default 365)")
    ap.add_argument("--customers", type=int, default=80_000,
                    help="simulated population (default 80000: ~10.5M GA4 events over 365 days)")
    ap.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=Path("bench-results"))
    ap.add_argument("--landing", type=Path,
                    help="reuse a landing zone generated with --days + 1 days (skips generation)")
    ap.add_argument("--sample-files", type=int, default=3,
                    help="files per entity the slow peers load (then extrapolated per row)")
    ap.add_argument("--workers", type=int, default=2, help="parallel stage tasks (Airflow's mapped tasks)")
    ap.add_argument("--history-days", type=int, default=30,
                    help="the short history the one-day run is compared against")
    ap.add_argument("--channels", type=lambda v: [c for c in v.split(",") if c],
                    help="only these channel ids (default: all; the smoke test loads one per format)")
    ap.add_argument("--formats", type=lambda v: [f for f in v.split(",") if f],
                    help="only the entities of these formats (csv, json, ndjson): the floor and "
                         "journeymart on one format's files alone give its wall-clock ratio; "
                         "needs --skip dbt,history (the marts need every channel)")
    ap.add_argument("--skip", default="", help=f"comma-separated steps to skip: {', '.join(STEPS)}")
    args = ap.parse_args(argv)
    args.skip = {s for s in args.skip.split(",") if s}
    if unknown := args.skip - set(STEPS):
        ap.error(f"unknown --skip step(s): {', '.join(sorted(unknown))}")
    if args.formats and not {"dbt", "history"} <= args.skip:
        ap.error("--formats loads part of the zone and dbt needs all of it: add --skip dbt,history")
    return args


def generate(landing: Path, start: date, days: int, customers: int, seed: int) -> float:
    """One extra day beyond the loaded history: the day the incremental run ingests."""
    shutil.rmtree(landing, ignore_errors=True)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "journeymart.cli", "generate", "--landing", str(landing),
                    "--start", start.isoformat(), "--days", str(days + 1), "--customers",
                    str(customers), "--seed", str(seed), "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def load_zone(name: str, landing: Path, start: date, end: date, work: Path, workers: int,
              with_dbt: bool, channels: list[str] | None,
              fx_day: date | None = None, formats: list[str] | None = None) -> tuple[Measured, Measured | None]:
    """journeymart loads [start, end] into a fresh home; optionally dbt + one more day.
    `fx_day`: also ingest that day's FX rates before dbt runs. A history that starts after
    the zone does needs them: its first day's events late in the UTC day fall on the previous
    New York day and convert at that day's rate (a missing rate fails the build's tests)."""
    home = work / f"{name}_home"
    shutil.rmtree(home, ignore_errors=True)
    env = jm_env(home, landing)
    spec = Spec(str(landing), start.isoformat(), end.isoformat(), str(work),
                entity_files(landing, start, end, channels, formats),
                options={"workers": workers, "channels": channels, "formats": formats})
    jm = run_contender(name, "bench.jm_load", spec, work / "results", env)
    if fx_day is not None and jm.ok:
        subprocess.run([sys.executable, "-m", "journeymart.cli", "ingest", "--start", fx_day.isoformat(),
                        "--end", fx_day.isoformat(), "--channels", "finance"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    day = run_contender(f"{name}_dbt_day", "bench.dbt_day", spec, work / "results", env) \
        if with_dbt and jm.ok else None
    return jm, day


def available(modules: tuple[str, ...]) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def machine() -> dict[str, Any]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
               if ln.startswith("MemTotal"))
    import duckdb
    import great_expectations
    import pandas

    return {"cpu": cpu, "cores": len(__import__("os").sched_getaffinity(0)),
            "mem_gb": round(mem / 1024**2, 1), "python": platform.python_version(),
            "kernel": platform.release(), "load_avg_at_start": list(__import__("os").getloadavg()),
            "duckdb": duckdb.__version__, "pandas": pandas.__version__,
            "great_expectations": great_expectations.__version__}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out.resolve()
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    end = args.start + timedelta(days=args.days - 1)
    run: dict[str, Any] = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
        "params": {"days": args.days, "customers": args.customers, "start": args.start.isoformat(),
                   "end": end.isoformat(), "seed": args.seed, "sample_files": args.sample_files,
                   "workers": args.workers, "history_days": args.history_days,
                   "channels": args.channels or "all", "formats": args.formats or "all",
                   "skipped": sorted(args.skip)},
    }
    landing = args.landing.resolve() if args.landing else work / "landing"
    if not args.landing:
        print(f"generating {args.days + 1} days x {args.customers} customers into {landing} ...", flush=True)
        run["generate_s"] = generate(landing, args.start, args.days, args.customers, args.seed)
    entities = entity_files(landing, args.start, end, args.channels, args.formats)
    results: dict[str, Measured] = {}

    skipped: dict[str, str] = {}

    def save() -> None:
        """After every step, so a long run that is stopped still leaves what it measured."""
        run["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        run["contenders"] = {k: asdict(v) for k, v in results.items()}
        run["skipped"] = skipped
        run["metrics"] = metrics(run)
        (out / "results.json").write_text(json.dumps(run, indent=1, default=str))
        write_markdown(run, out / "results.md")

    def record(m: Measured) -> None:
        results[m.name] = m
        status = "ok" if m.ok else f"FAILED: {m.error}"
        print(f"  {m.name}: {m.wall_s:.1f} s wall, {m.peak_rss_mb:.0f} MB peak RSS, {status}", flush=True)
        save()

    print("floor (DuckDB read_csv/read_json) ...", flush=True)
    record(run_contender("duckdb_floor", "bench.floor",
                         Spec(str(landing), args.start.isoformat(), end.isoformat(), str(work), entities),
                         work / "results"))
    print("journeymart (plan → stage + GE → publish) ...", flush=True)
    jm, day = load_zone("journeymart", landing, args.start, end, work, args.workers,
                        "dbt" not in args.skip, args.channels, formats=args.formats)
    record(jm)
    if day:
        record(day)

    if "peers" not in args.skip:
        sampled = sample(entities, args.sample_files)
        for name, (module, options, needs) in PEERS.items():
            if not available(needs):
                skipped[name] = f"not installed ({', '.join(needs)}): run `make bench`"
                continue
            print(f"{name} (first {args.sample_files} files per entity) ...", flush=True)
            record(run_contender(name, module, Spec(str(landing), args.start.isoformat(), end.isoformat(),
                                                    str(work), sampled, True, options), work / "results"))

    if "dags" not in args.skip:
        print("DAG parse ...", flush=True)
        record(run_contender("dag_parse", "bench.dag_parse",
                             Spec(str(landing), args.start.isoformat(), end.isoformat(), str(work), {}),
                             work / "results", jm_env(work / "journeymart_home", landing)))

    if "history" not in args.skip and "dbt" not in args.skip and args.history_days < args.days:
        # The short history is the zone's last days, so both one-day runs take the same next
        # day: the days differ in volume (the year's next day had 3.8x the rows of day 31 in
        # the default zone), which is no effect of history.
        s_start = end - timedelta(days=args.history_days - 1)
        print(f"history comparison: the last {args.history_days} days ({s_start} to {end}) ...", flush=True)
        s_jm, s_day = load_zone("journeymart_short", landing, s_start, end, work, args.workers, True,
                                 args.channels, fx_day=s_start - timedelta(days=1))
        record(s_jm)
        if s_day:
            record(s_day)

    save()
    print((out / "results.md").read_text())
    failed = [m.name for m in results.values() if not m.ok]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
