"""`journeymart` command line: generate, ingest, ledger, suites, bootstrap, run."""

from __future__ import annotations

import argparse
import fcntl
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from journeymart.config import REPORTING_CURRENCY, paths

DEMO_START = date(2026, 1, 1)
DEMO_DAYS = 90
DEMO_CUSTOMERS = 2000
DEMO_SEED = 42


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {s!r}") from None


def cmd_generate(args: argparse.Namespace) -> int:
    from journeymart.generate import generate_landing

    landing = Path(args.landing or paths().landing)
    summary = generate_landing(landing, args.start, args.days, args.customers, args.seed,
                               progress=not args.quiet)
    print(json.dumps({k: v for k, v in summary.items() if not isinstance(v, dict)}, default=str))
    return 0


@contextmanager
def one_airflow_run_per_home() -> Iterator[None]:
    """Embedded Airflow (dag.test) runs one at a time per JOURNEYMART_HOME; a second trigger
    waits, then runs (finding every file in the ledger, it loads nothing). Side by side they
    race on creating the SQLite metadata DB and dbt's manifest, and dag.test replaces any run
    of the same DAG and logical date: the second would delete the first one's dag run under
    it. A SIGKILLed holder releases the lock (flock), so a crash never blocks the rerun."""
    with open(paths().ensure().locks / "airflow.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another journeymart run is using {paths().home}; waiting for it ...",
                  file=sys.stderr, flush=True)
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def cmd_ingest(args: argparse.Namespace) -> int:
    from journeymart.airflow_env import test_dag

    if args.date and (args.start or args.end):
        raise SystemExit("use --date or --start/--end, not both")
    if bool(args.start) != bool(args.end):
        raise SystemExit("--start and --end go together")
    start, end = (args.date, args.date) if args.date else (args.start, args.end)
    if not start:
        raise SystemExit("give --date D or --start D1 --end D2")
    if end < start:
        raise SystemExit(f"--end {end} is before --start {start}")
    conf = {"start": start.isoformat(), "end": end.isoformat()}
    if args.channels:
        conf["channels"] = args.channels.split(",")
    with one_airflow_run_per_home():
        state = test_dag("ingest__exports", end, conf)
    print(f"ingest__exports {start}..{end}: {state}")
    print_ledger()
    return 0 if "success" in state else 1


def cmd_transform(args: argparse.Namespace) -> int:
    from journeymart.airflow_env import test_dag

    with one_airflow_run_per_home():
        state = test_dag("transform__marts", args.date or date.today())
    print(f"transform__marts: {state}")
    return 0 if "success" in state else 1


def ledger_summary() -> list[tuple]:
    from journeymart.warehouse import connect

    with connect(read_only=True) as con:
        return con.execute(
            """select channel, status, count(*) as files, cast(sum(rows_in) as bigint) as rows_in,
                      cast(sum(rows_loaded) as bigint) as rows_loaded,
                      cast(sum(rows_quarantined) as bigint) as rows_quarantined
               from audit.load_ledger group by channel, status order by channel, status""").fetchall()


def print_table(header: list[str], rows: list[tuple]) -> None:
    cells = [header] + [[("" if v is None else str(v)) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for n, r in enumerate(cells):
        print("  ".join(v.ljust(w) if i == 0 or i == 1 else v.rjust(w)
                        for i, (v, w) in enumerate(zip(r, widths, strict=True))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def print_ledger() -> None:
    print_table(["channel", "status", "files", "rows_in", "rows_loaded", "rows_quarantined"],
                ledger_summary())


def cmd_ledger(args: argparse.Namespace) -> int:
    if args.json:
        cols = ["channel", "status", "files", "rows_in", "rows_loaded", "rows_quarantined"]
        print(json.dumps([dict(zip(cols, r, strict=True)) for r in ledger_summary()], default=str))
    else:
        print_ledger()
    return 0


def cmd_suites(args: argparse.Namespace) -> int:
    from journeymart import registry
    from journeymart.marts import EXPECTATIONS_DIR as MART_SUITES
    from journeymart.marts import mart_suite_dicts, write_mart_suites
    from journeymart.validation import suite_dict, suite_path, write_suites

    entities = registry.load().entities
    if args.write:
        for p in [*write_suites(entities), *write_mart_suites()]:
            print(p)
        return 0
    stale = [e.table for e in entities
             if not suite_path(e).exists()
             or json.loads(suite_path(e).read_text()) != json.loads(json.dumps(suite_dict(e), default=str))]
    stale += [f"marts/{n}" for n, doc in mart_suite_dicts().items()
              if not (MART_SUITES / f"{n}.json").exists()
              or json.loads((MART_SUITES / f"{n}.json").read_text()) != doc]
    if stale:
        print("suites out of date with channels.yml: " + ", ".join(stale)
              + "\nrun: journeymart suites --write", file=sys.stderr)
        return 1
    print(f"{len(entities)} load suites and {len(mart_suite_dicts())} mart suites in sync")
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from journeymart.airflow_env import bootstrap

    with one_airflow_run_per_home():
        bootstrap()
    print(f"JOURNEYMART_HOME={paths().home}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: demo landing zone if missing, then ingest it through Airflow."""
    from journeymart.airflow_env import configure

    p = paths().ensure()
    configure()
    landing = Path(p.landing)
    if not (landing / "_truth.json").exists():
        print(f"generating {args.days}-day demo landing zone in {landing} ...")
        from journeymart.generate import generate_landing

        generate_landing(landing, args.start, args.days, args.customers, args.seed, progress=True)
    end = args.start + timedelta(days=args.days - 1)
    ns = argparse.Namespace(date=None, start=args.start, end=end, channels=None)
    rc = cmd_ingest(ns)
    if rc == 0:
        rc = cmd_transform(argparse.Namespace(date=end))
    if rc == 0:
        print(f"\n{args.start} .. {end}, {REPORTING_CURRENCY}")
        print("\n".join(report_headline()))
        print(f"\nreport: {latest_report()}")
    print(f"\nwarehouse: {p.warehouse} (BI reads schema `marts`; Parquet in {p.exports})\n"
          f"quarantine: {p.quarantine}\n"
          f"GE data docs: {p.gx / 'gx/uncommitted/data_docs/local_site/index.html'}\n"
          f"dbt docs: {p.docs / 'index.html'}")
    return rc


def report_headline() -> list[str]:
    """The headline of the released marts (the same lines the transform's report carries)."""
    from journeymart.report import headline, load
    from journeymart.warehouse import connect

    with connect(read_only=True) as con:
        return headline(load(con))


def latest_report() -> Path | None:
    reports = sorted(paths().reports.glob("journeymart_report_*.html"), key=lambda f: f.stat().st_mtime)
    return reports[-1] if reports else None


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="journeymart", description=__doc__)
    sub = ap.add_subparsers(dest="verb", required=True)

    g = sub.add_parser("generate", help="write demo channel exports into a landing zone")
    g.add_argument("--landing", help="landing folder (default: $JOURNEYMART_HOME/landing)")
    g.add_argument("--start", type=_date, default=DEMO_START)
    g.add_argument("--days", type=int, default=DEMO_DAYS)
    g.add_argument("--customers", type=int, default=DEMO_CUSTOMERS)
    g.add_argument("--seed", type=int, default=DEMO_SEED)
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.set_defaults(func=cmd_generate)

    i = sub.add_parser("ingest", help="run the ingest DAG through Airflow for a date or range")
    i.add_argument("--date", type=_date)
    i.add_argument("--start", type=_date)
    i.add_argument("--end", type=_date)
    i.add_argument("--channels", help="comma-separated channel ids (default: all)")
    _target_arg(i)
    i.set_defaults(func=cmd_ingest)

    lg = sub.add_parser("ledger", help="files and rows by status and channel")
    lg.add_argument("--json", action="store_true")
    _target_arg(lg)
    lg.set_defaults(func=cmd_ledger)

    s = sub.add_parser("suites", help="check (default) or --write the GE suites from the registry")
    s.add_argument("--write", action="store_true")
    s.set_defaults(func=cmd_suites)

    t = sub.add_parser("transform", help="run the transform DAG (dbt → checks → release) through Airflow")
    t.add_argument("--date", type=_date, help="logical date (default: today)")
    _target_arg(t)
    t.set_defaults(func=cmd_transform)

    b = sub.add_parser("bootstrap", help="create Airflow's metadata DB and pools")
    b.set_defaults(func=cmd_bootstrap)

    r = sub.add_parser("run", help="the main job (what `make run` does)")
    r.add_argument("--start", type=_date, default=DEMO_START)
    r.add_argument("--days", type=int, default=DEMO_DAYS)
    r.add_argument("--customers", type=int, default=DEMO_CUSTOMERS)
    r.add_argument("--seed", type=int, default=DEMO_SEED)
    _target_arg(r)
    r.set_defaults(func=cmd_run)
    return ap


def _target_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", choices=["duckdb", "postgres"],
                   help="warehouse (default: $JOURNEYMART_TARGET, else duckdb); postgres reads "
                        "JOURNEYMART_PG_* or the Airflow connection journeymart_warehouse")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "target"):  # one source of truth for loader, dbt and the DAGs
        from journeymart.warehouse import target, use_target

        use_target(args.target or target())
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
