"""The one-day `dbt build` of two versions of the dbt project, on copies of one warehouse
(BENCHMARKS.md, the dbt sections). The machine drifts by ~10% within an hour: alternate the
versions, two runs each at least.

    python -m bench.dbt_day_ab base --landing L --start 2025-01-01 --days 365 --out /tmp/ab
        loads the days through the bench's load path, runs a full `dbt build`, then ingests the
        next day with the daily DAG's window (bench.dbt_day's first two steps): <out>/after_ingest.duckdb;
        the last 30 of them: --start 2026-12-02 --days 30 --fx-day 2026-12-01 (the same next day)
    python -m bench.dbt_day_ab run --label new --project dbt_project --base /tmp/ab/after_ingest.duckdb
        copies the base, runs `dbt build --vars '{late_data_lookback_days: 0}'` with that
        project (an older commit's from a `git worktree`), prints the elapsed and summed node
        time and checksums of the touch tables and marts (equal checksums: same rows), and
        writes the per-node times to <out>/times_<label>_<HHMMSS>.json; --keep leaves the run's
        warehouse and dbt logs (`logs/dbt.log` times every statement)
    python -m bench.dbt_day_ab ratio --project dbt_project --short /tmp/ab30/after_ingest.duckdb \
            --long /tmp/ab/after_ingest.duckdb --pairs 3
        the one-day target's ratio (365 against 30 days of history) from `run`s of one project
        alternating short, long: each pair's ratio, their median, and the ratio of the medians
        (the machine's speed moves within minutes, so one pair can be off by ±0.1)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bench.common import Spec, entity_files, jm_env, run_contender

if TYPE_CHECKING:
    import duckdb

# (table, columns): the stage model's decisions, the fact table, the session tables, the marts most
# likely to move
CHECKSUMS = {
    "intermediate.int_touchpoints__stage_assigned": "touchpoint_id, customer_key, customer_touch_number, stage, "
                                                    "is_first_touch, is_first_purchase, is_after_first_purchase",
    "marts.fct_touchpoints": "touchpoint_id, customer_key, stage, channel_id, campaign_key, revenue_usd",
    "intermediate.int_app_sessions__grouped": "*",
    "intermediate.int_web_sessions__grouped": "*",
    "marts.mart_channel_stage_matrix": "*",
    "marts.mart_attribution": "*",
}
REPO = Path(__file__).resolve().parents[1]
# columns holding the time of the run that wrote the row (macros/rebuild_marker.sql)
WRITE_MARKERS = ("_grouped_at", "_stage_assigned_at")
# bench.dbt_day's first two steps, in a process with the base's JOURNEYMART_HOME
NEXT_DAY = ("import sys; from datetime import date; from bench.dbt_day import full_build_and_next_day; "
            "print(full_build_and_next_day(date.fromisoformat(sys.argv[1])))")


def base(landing: Path, start: date, days: int, out: Path, fx_day: date | None = None) -> Path:
    """`fx_day`: ingest that day's FX rates too (a history that starts after the zone does;
    bench.run.load_zone says why)."""
    end = start + timedelta(days=days - 1)
    home = out / "home"
    shutil.rmtree(home, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    env = jm_env(home, landing)
    spec = Spec(str(landing), start.isoformat(), end.isoformat(), str(out),
                entity_files(landing, start, end, None), options={"workers": 2, "channels": None})
    loaded = run_contender("journeymart", "bench.jm_load", spec, out / "results", env)
    if not loaded.ok:
        raise SystemExit(f"load failed: {loaded.error}")
    print(f"load {loaded.wall_s:.1f} s", flush=True)
    if fx_day is not None:
        subprocess.run([sys.executable, "-m", "journeymart.cli", "ingest", "--start", fx_day.isoformat(),
                        "--end", fx_day.isoformat(), "--channels", "finance"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "-c", NEXT_DAY, end.isoformat()], env=env, cwd=REPO, check=True)
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("checkpoint")  # a copy of the file alone would miss what is still in its WAL
    target = out / "after_ingest.duckdb"
    shutil.copy(home / "warehouse.duckdb", target)
    return target


def _columns(con: duckdb.DuckDBPyConnection, table: str, cols: str) -> str:
    """`cols`, with `*` as every column but the write markers, which hold the run's own time
    (`_grouped_at`: two runs of the same code on the same base differ there, and only there)."""
    if cols != "*":
        return cols
    schema, name = table.split(".")
    names = [c for (c,) in con.execute("select column_name from information_schema.columns where table_schema = ? "
                                       "and table_name = ? order by ordinal_position", [schema, name]).fetchall()]
    return ", ".join(c for c in names if c not in WRITE_MARKERS)


def run(label: str, project: Path, base_db: Path, out: Path, keep: bool = False) -> tuple[float, dict[str, float]]:
    """`keep`: leave the run's warehouse and dbt logs (`logs/dbt.log` times each statement) in
    <out>/run_<label>."""
    import duckdb

    work = out / f"run_{label}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "warehouse.duckdb"
    shutil.copy(base_db, db)
    env = jm_env(work, Path("/nonexistent")) | {"JOURNEYMART_WAREHOUSE": str(db)}
    t0 = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("dbt")), "build", "--project-dir", str(project),
                           "--profiles-dir", str(project), "--target-path", str(work / "target"),
                           "--log-path", str(work / "logs"), "--vars", '{"late_data_lookback_days": 0}'],
                          env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(done.stdout[-3000:])
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    times = {r["unique_id"]: r["execution_time"] for r in results}
    (out / f"times_{label}_{time.strftime('%H%M%S')}.json").write_text(json.dumps(times, indent=0))
    with duckdb.connect(str(db), read_only=True) as con:
        sums = {table: con.execute(f"select count(*), sum(hash(r::varchar)) from (select {_columns(con, table, cols)} "
                                   f"from {table}) r").fetchone() for table, cols in CHECKSUMS.items()}
    print(f"{label}: elapsed {elapsed:.1f} s, nodes {sum(times.values()):.1f} s, checksums {sums}")
    for node, seconds in sorted(times.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {seconds:6.2f} {node}")
    if not keep:
        shutil.rmtree(work)
    return elapsed, times


def ratio(project: Path, short_db: Path, long_db: Path, pairs: int) -> dict[str, object]:
    """`pairs` one-day builds of `project` on each base, alternating short and long."""
    runs = []
    for i in range(pairs):
        short, _ = run(f"short{i + 1}", project, short_db, short_db.parent)
        long, _ = run(f"long{i + 1}", project, long_db, long_db.parent)
        runs.append({"short_s": round(short, 1), "long_s": round(long, 1), "ratio": round(long / short, 2)})
        print(f"pair {i + 1}: {long:.1f} s / {short:.1f} s = {long / short:.2f}x", flush=True)
    summary = {
        "pairs": runs,
        "median_pair_ratio": round(statistics.median(r["ratio"] for r in runs), 2),
        "ratio_of_medians": round(statistics.median(r["long_s"] for r in runs)
                                  / statistics.median(r["short_s"] for r in runs), 2),
    }
    print(json.dumps(summary))
    return summary


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="bench.dbt_day_ab", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="step", required=True)
    b = sub.add_parser("base")
    b.add_argument("--landing", type=Path, required=True)
    b.add_argument("--start", type=date.fromisoformat, required=True)
    b.add_argument("--days", type=int, required=True)
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--fx-day", type=date.fromisoformat,
                   help="also ingest this day's FX rates (the day before --start, when it is not the zone's first)")
    r = sub.add_parser("run")
    r.add_argument("--label", required=True)
    r.add_argument("--project", type=Path, required=True)
    r.add_argument("--base", type=Path, required=True)
    r.add_argument("--out", type=Path)
    r.add_argument("--keep", action="store_true", help="keep the run's warehouse and dbt logs")
    q = sub.add_parser("ratio")
    q.add_argument("--project", type=Path, required=True)
    q.add_argument("--short", type=Path, required=True, help="the 30-day base's after_ingest.duckdb")
    q.add_argument("--long", type=Path, required=True, help="the 365-day base's after_ingest.duckdb")
    q.add_argument("--pairs", type=int, default=3)
    args = ap.parse_args(argv)
    if args.step == "ratio":
        ratio(args.project.resolve(), args.short.resolve(), args.long.resolve(), args.pairs)
    elif args.step == "base":
        print(base(args.landing.resolve(), args.start, args.days, args.out.resolve(), args.fx_day))
    else:
        run(args.label, args.project.resolve(), args.base.resolve(), (args.out or args.base.parent).resolve(), args.keep)


if __name__ == "__main__":
    main()
