"""The DuckDB warehouse: one writer at a time, across processes.

DuckDB lets one process open a database file for writing. Airflow runs the publish task in a
one-slot pool (`duckdb_writer`); this inter-process file lock is the second belt, so the CLI,
dbt runs and tests that touch the same file queue instead of failing with a lock error.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
def connect(path: Path | None = None, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection held under the writer lock (readers too: DuckDB refuses to open a file
    another process is writing).

    `read_only` states intent; the file is opened read-write either way, because inside one
    process (Airflow's dag.test, where dbt-duckdb already holds the file open) DuckDB refuses a
    second connection with a different configuration. The lock is what keeps processes apart.
    """
    db = Path(path or paths().warehouse)
    db.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock():
        con = duckdb.connect(str(db))
        try:
            con.execute(LEDGER_DDL)
            yield con
        finally:
            con.close()


def raw_table_ddl(entity: Entity) -> str:
    cols = [f'"{c}" {DUCKDB_TYPES[t]}' for c, t in entity.columns.items()]
    cols += [f"{c} {t}" for c, t in LINEAGE_COLUMNS.items()]
    return f"create table if not exists raw.{entity.table} (\n  " + ",\n  ".join(cols) + "\n)"


def quarantine_table_ddl(entity_table: str) -> str:
    return f"""create table if not exists quarantine.{entity_table} (
  _load_id varchar, _source_file varchar, _file_sha256 varchar, _row_number bigint,
  reason varchar, record json, _quarantined_at timestamptz)"""
