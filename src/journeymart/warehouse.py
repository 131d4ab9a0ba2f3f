"""The warehouse: DuckDB (default) or PostgreSQL, one writer at a time.

The target comes from JOURNEYMART_TARGET (`duckdb` | `postgres`; the CLI's `--target` sets it).
Both targets get the same DDL (every type below is spelled alike in both) and a connection
with DuckDB's calling conventions (journeymart.postgres.PgConnection on PostgreSQL), so the
loader and the marts release run the same SQL on either.

DuckDB lets one process open a database file for writing. Airflow runs the publish task in a
one-slot pool (`duckdb_writer`); this inter-process file lock is the second belt, so the CLI,
dbt runs and tests that touch the same file queue instead of failing with a lock error. On
PostgreSQL the same role is played by a session advisory lock (valid across machines).
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from journeymart.config import paths
from journeymart.registry import DUCKDB_TYPES, Entity

LINEAGE_COLUMNS = {
    "_source_file": "VARCHAR",
    "_file_sha256": "VARCHAR",
    "_row_number": "BIGINT",
    "_loaded_at": "TIMESTAMPTZ",
    "_load_id": "VARCHAR",
}
TARGETS = ("duckdb", "postgres")
LEDGER_STATUSES = ("loaded", "partial", "quarantined", "skipped_duplicate", "superseded", "missing")

LEDGER_DDL = f"""
create schema if not exists audit;
create schema if not exists raw;
create schema if not exists quarantine;
create table if not exists audit.load_ledger (
    load_id            varchar primary key,
    run_id             varchar,
    channel            varchar not null,
    entity             varchar,
    partition_date     date,
    source_path        varchar not null,
    file_name          varchar,
    sha256             varchar,
    bytes              bigint,
    rows_in            bigint not null,
    rows_loaded        bigint not null,
    rows_quarantined   bigint not null,
    status             varchar not null,
    reason             varchar,
    validation_summary json,
    started_at         timestamptz,
    finished_at        timestamptz,
    superseded_by      varchar,
    check (rows_in = rows_loaded + rows_quarantined),
    check (status in ({", ".join(repr(s) for s in LEDGER_STATUSES)}))
);
"""


def target() -> str:
    """The warehouse target: env JOURNEYMART_TARGET, default duckdb."""
    name = os.environ.get("JOURNEYMART_TARGET", "duckdb").strip().lower() or "duckdb"
    if name not in TARGETS:
        raise ValueError(f"JOURNEYMART_TARGET={name!r}: expected one of {', '.join(TARGETS)}")
    return name


def use_target(name: str) -> str:
    """Select the target for this process and what it starts (dbt's profile reads DBT_TARGET;
    the transform DAG's cosmos profile JOURNEYMART_DBT_TARGET). On PostgreSQL the connection
    settings are resolved now (env or Airflow connection) and exported for dbt."""
    if name not in TARGETS:
        raise ValueError(f"unknown warehouse target {name!r}: expected one of {', '.join(TARGETS)}")
    for var in ("JOURNEYMART_TARGET", "DBT_TARGET", "JOURNEYMART_DBT_TARGET"):
        os.environ[var] = name
    if name == "postgres":
        from journeymart.postgres import export_env

        export_env()
    return name


@contextmanager
def writer_lock(timeout_s: float = 600.0) -> Iterator[None]:
    lock_dir = paths().locks
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / "warehouse.lock", "w") as fh:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"warehouse writer lock busy for {timeout_s:.0f}s") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def connect(path: Path | None = None, *, read_only: bool = False) -> Iterator[Any]:
    """A connection to the target warehouse, with the ledger's schemas and table in place.

    DuckDB: held under the writer lock (readers too: DuckDB refuses to open a file another
    process is writing). PostgreSQL: writers hold the advisory lock, readers take none.

    `read_only` states intent; the file is opened read-write either way, because inside one
    process (Airflow's dag.test, where dbt-duckdb already holds the file open) DuckDB refuses a
    second connection with a different configuration. The lock is what keeps processes apart.
    """
    if target() == "postgres" and path is None:
        from journeymart import postgres

        with postgres.connect(writer=not read_only) as pg:
            if not pg.execute("select to_regclass('audit.load_ledger')").fetchone()[0]:
                # Concurrent `create ... if not exists` can still collide on PostgreSQL.
                pg.begin()
                pg.execute("select pg_advisory_xact_lock(?)", [postgres.WRITER_LOCK_KEY])
                pg.execute(LEDGER_DDL)
                pg.commit()
            yield pg
        return
    db = Path(path or paths().warehouse)
    db.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock():
        con = duckdb.connect(str(db))
        try:
            con.execute(LEDGER_DDL)
            yield con
        finally:
            con.close()


def is_postgres(con: Any) -> bool:
    return not isinstance(con, duckdb.DuckDBPyConnection)


def now(con: Any) -> datetime:
    """The transaction's timestamp (what `now()` stores in SQL)."""
    return con.execute("select now()").fetchone()[0]


@contextmanager
def deferred_checkpoints(con: Any, threshold: str = "1GB") -> Iterator[None]:
    """Many small transactions (the publisher's) without a checkpoint at each commit, and
    one checkpoint at the end; the publisher adds its own every ~5M rows (publish.py).

    DuckDB checkpoints at a commit once the WAL passes `checkpoint_threshold` (16 MB); a day
    of GA4 events is more than that, so a backfill paid a checkpoint per file: 0.6 s each,
    three quarters of a 20-day publish (BENCHMARKS.md). Commits stay durable (the WAL is
    written and synced at each); a crash replays the WAL on the next open. The setting is the
    database instance's, so it is restored for whatever else (dbt in dag.test) shares it.
    PostgreSQL: nothing to do.
    """
    if is_postgres(con):
        yield
        return
    before = con.execute("select current_setting('checkpoint_threshold')").fetchone()[0]
    con.execute(f"set checkpoint_threshold = '{threshold}'")
    try:
        yield
        checkpoint(con)
    finally:
        con.execute(f"set checkpoint_threshold = '{before}'")


def checkpoint(con: Any) -> bool:
    """Write DuckDB's committed changes into the database file now; False on PostgreSQL,
    which has nothing to do."""
    if is_postgres(con):
        return False
    con.execute("checkpoint")
    return True


@contextmanager
def capped_memory(con: Any, limit: str) -> Iterator[None]:
    """DuckDB's memory_limit at `limit` while the caller runs, then back as it was.

    DuckDB keeps the blocks it writes in its buffer pool, up to memory_limit (80% of RAM by
    default). The publisher reads each staged file once and needs no cache: 60 days peaked
    at 2.9 GB uncapped, and published as fast at 1.2 GB capped at 1 GB (BENCHMARKS.md). A
    checkpoint can go past the cap: that is bounded by checkpointing often (publish.py).
    PostgreSQL: nothing to do.
    """
    if is_postgres(con):
        yield
        return

    def current() -> str:
        return con.execute("select current_setting('memory_limit')").fetchone()[0]

    before = current()
    con.execute(f"set memory_limit = '{limit}'")
    try:
        yield
    finally:
        con.execute("reset memory_limit")
        if current() != before:  # a limit someone set (the string rounds: only then use it)
            con.execute(f"set memory_limit = '{before}'")


def insert_parquets(con: Any, table: str, select: Sequence[str],
                    files: Sequence[tuple[str, dict[str, Any], Sequence[int] | None]]) -> None:
    """Append the `select` columns of staged Parquet files to `table`, each file's rows with
    its own constant columns (lineage). Every file gives the same constant names. A file's
    rows can be a [start, stop) slice of a Parquet file that holds several files' rows (a
    validation batch of small files), by the rows' position in it; None: the whole file.

    DuckDB reads them all in one statement (`filename` tells the files' rows apart, and
    `file_row_number` a shared file's): for 60 days of GA4 files in transactions of ~500k
    rows, 6.3 s instead of 9.8 s with a statement per file (BENCHMARKS.md). PostgreSQL gets
    each file through COPY.
    """
    if not files:
        return
    if is_postgres(con):
        for parquet, constants, rows in files:
            con.copy_parquet(table, parquet, select, constants, rows)
        return
    names = list(files[0][1])
    sliced = any(rows is not None for _, _, rows in files)
    cols = ", ".join(f'"{c}"' for c in [*select, *names])
    picks = ", ".join([*(f'p."{c}"' for c in select), *(f'l."{c}"' for c in names)])
    keys = ["_parquet", *(["_from", "_to"] if sliced else [])]
    row = "(" + ", ".join(["?"] * (len(names) + len(keys))) + ")"
    lineage = ", ".join(f'"{c}"' for c in [*keys, *names])
    params: list[Any] = [list(dict.fromkeys(parquet for parquet, _, _ in files))]  # each file read once
    for parquet, constants, rows in files:
        bounds = ([0, 2**62] if rows is None else list(rows)) if sliced else []
        params += [parquet, *bounds, *(constants[c] for c in names)]
    on = "l._parquet = p.filename" + (" and p.file_row_number >= l._from and p.file_row_number < l._to"
                                      if sliced else "")
    con.execute(f"insert into {table} ({cols}) select {picks} "
                f"from read_parquet(?, filename = true{', file_row_number = true' if sliced else ''}) as p "
                f"join (values {', '.join([row] * len(files))}) as l({lineage}) on {on}",
                params)


# DuckDB stores JSON text (GA4's event_params, an app event's value: long, one per row) with
# zstd instead of the compression it picks by trying each kind: 120 days of GA4 were written
# in 8.5-8.8 s instead of 11.3-13.0 s into a quarter of the space, and queries on the column
# ran as fast or faster (BENCHMARKS.md). PostgreSQL
# compresses long text itself (TOAST).
ZSTD = " using compression zstd"


def raw_table_ddl(entity: Entity, *, postgres: bool = False) -> str:
    json_storage = "" if postgres else ZSTD
    cols = [f'"{c}" {DUCKDB_TYPES[t]}{json_storage if t == "json" else ""}'
            for c, t in entity.columns.items()]
    cols += [f"{c} {t}" for c, t in LINEAGE_COLUMNS.items()]
    return f"create table if not exists raw.{entity.table} (\n  " + ",\n  ".join(cols) + "\n)"


def quarantine_table_ddl(entity_table: str, *, postgres: bool = False) -> str:
    return f"""create table if not exists quarantine.{entity_table} (
  _load_id varchar, _source_file varchar, _file_sha256 varchar, _row_number bigint,
  reason varchar, record json{"" if postgres else ZSTD}, _quarantined_at timestamptz)"""
