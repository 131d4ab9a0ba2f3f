"""Shared by the crash and concurrency tests: a tiny landing zone, CLI runs in subprocesses,
and the checks that a warehouse loaded every file exactly once and equals a clean run's."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb

from conftest import env_for

TINY = {"start": date(2026, 1, 1), "days": 3, "customers": 40, "seed": 7}
TINY_END = date(2026, 1, 3)
FINAL = ("loaded", "partial", "quarantined", "skipped_duplicate")
# Differ between two correct runs: ids, load and build times, and paths that name the home
# directory.
VOLATILE = {"_load_id", "_loaded_at", "_source_file", "_quarantined_at", "last_loaded_at", "_stage_assigned_at",
            "_grouped_at"}


def tiny_landing(out: Path) -> Path:
    from journeymart.generate import generate_landing

    generate_landing(out, TINY["start"], TINY["days"], TINY["customers"], TINY["seed"], progress=False)
    return out


def cli_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "journeymart.cli", *args]


def cli(home: Path, *args: str, env: dict[str, str] | None = None,
        timeout: float = 1800) -> subprocess.CompletedProcess:
    out = subprocess.run(cli_cmd(*args), env=env_for(home) | (env or {}), capture_output=True,
                         text=True, timeout=timeout)
    assert out.returncode == 0, (args, out.stdout[-3000:], out.stderr[-3000:])
    return out


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db), read_only=True)


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with connect(db) as con:
        return con.execute(sql, params or []).fetchall()


def _rows(con: duckdb.DuckDBPyConnection, relation: str, schema: str, name: str) -> list[tuple]:
    cols = [c for (c,) in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and "
        "table_name = ? order by ordinal_position", [schema, name]).fetchall() if c not in VOLATILE]
    rows = con.execute(f"select {', '.join(f'{chr(34)}{c}{chr(34)}' for c in cols)} from {relation}").fetchall()
    return sorted(rows, key=repr)  # full rows, exact DECIMALs: equality is row-for-row


def schema_contents(db: Path, schema: str) -> dict[str, list[tuple]]:
    """Every table and view of `schema`, its rows sorted, volatile lineage columns left out."""
    with connect(db) as con:
        names = [n for (n,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1",
            [schema]).fetchall()]
        return {n: _rows(con, f'{schema}."{n}"', schema, n) for n in names}


def ledger(db: Path) -> list[tuple]:
    """The ledger as two correct runs should agree on it: per file, status and row counts."""
    return sorted(q(db, """select channel, entity, partition_date, file_name, sha256, status,
                                  rows_in, rows_loaded, rows_quarantined
                           from audit.load_ledger where status <> 'missing'"""), key=repr)


def assert_exactly_once(db: Path) -> None:
    """One final ledger row per file content; raw holds the live loads and nothing else."""
    dup = q(db, f"""select source_path, sha256, count(*) from audit.load_ledger
                    where status in {FINAL} group by all having count(*) > 1""")
    assert not dup, f"files applied more than once: {dup}"
    assert q(db, "select count(*) from audit.load_ledger "
                 "where rows_in <> rows_loaded + rows_quarantined") == [(0,)]
    tables = [t for (t,) in q(db, "select table_name from information_schema.tables "
                                  "where table_schema = 'raw'")]
    assert tables
    for t in tables:  # every raw row from a live load, every live load in raw (no orphans)
        # (load ids, not row counts: a wide export such as the budget plan unpivots one
        # ledgered line into several raw rows; row counts are compared with a clean run)
        in_raw = {i for (i,) in q(db, f"select distinct _load_id from raw.{t}")}
        live = {i for (i,) in q(db, """select load_id from audit.load_ledger
                                       where status in ('loaded', 'partial') and rows_loaded > 0
                                       and channel || '__' || entity = ?""", [t])}
        assert in_raw == live, f"raw.{t} does not reconcile with the ledger"
