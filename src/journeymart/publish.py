"""The single writer: apply staged manifests to raw.*, quarantine.* and audit.load_ledger.

A file's good rows, quarantined rows and ledger row land together or not at all: files are
applied in transactions of whole files (several small files per transaction, see
`COMMIT_ROWS`). Idempotent: a manifest whose (source_path, sha256) is already in the
ledger is ignored, so a retried or doubly-triggered publish cannot double-load.
The same code serves DuckDB and PostgreSQL (journeymart.warehouse): only the bulk insert of a
staged Parquet file differs (read_parquet in SQL vs COPY).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from journeymart import registry as reg
from journeymart.stage import Manifest
from journeymart.warehouse import (
    capped_memory,
    checkpoint,
    connect,
    deferred_checkpoints,
    insert_parquets,
    is_postgres,
    now,
    quarantine_table_ddl,
    raw_table_ddl,
)

FINAL = ("loaded", "partial", "quarantined", "skipped_duplicate")
# Files are applied in one transaction until it holds this many rows. DuckDB writes a small
# committed append twice (WAL, then checkpoint) but an append of whole row groups (122,880
# rows) once, straight into the database file; a year's backfill publishes ~5,600 files, most
# far smaller than a row group. Each transaction also leaves every table it appends to with a
# partly filled last row group, which the next one fills and a checkpoint then compresses
# again (GA4's zstd JSON column most): a year's publish took 111-113 s in transactions of
# 500k rows, half of it checkpoints, and 37-38 s in transactions of 5M, in less memory (1.5 GB
# against 2.3; BENCHMARKS.md "One transaction per 5M rows"). Set 1 for a transaction per file.
COMMIT_ROWS = int(os.environ.get("JOURNEYMART_PUBLISH_COMMIT_ROWS", "5000000"))
# DuckDB's memory limit while publishing (warehouse.capped_memory).
MEMORY_LIMIT = os.environ.get("JOURNEYMART_PUBLISH_MEMORY_LIMIT", "2GB")
# A checkpoint once this many rows were committed since the last one. Checkpoints are
# deferred (warehouse.deferred_checkpoints). With 500k-row transactions one closing
# checkpoint of a year's backfill took 22-36 s and ~10 GB of RSS, and one every ~5M rows kept
# the publish under 3 GB (BENCHMARKS.md). With 5M-row transactions it follows each one; the
# year then peaked at 1.6 GB (one transaction and only the closing checkpoint: 1.5 GB).
CHECKPOINT_ROWS = int(os.environ.get("JOURNEYMART_PUBLISH_CHECKPOINT_ROWS", "5000000"))


@dataclass(frozen=True)
class MissingDelivery:
    channel: str
    entity: str
    partition_date: date
    due_at: datetime
    expected_path: str

    @property
    def load_id(self) -> str:
        return f"missing:{self.channel}:{self.entity}:{self.partition_date.isoformat()}"

    def describe(self) -> str:
        return (f"{self.channel}/{self.entity} export for {self.partition_date} is missing "
                f"(due {self.due_at:%Y-%m-%d %H:%M} UTC, expected under {self.expected_path})")


@dataclass
class Appends:
    """One transaction's state: the staged Parquet files it appends, per target table, and
    its ledger rows, written together (`flush`) before anything deletes from the tables or
    updates the ledger, and before the commit; the tables it has made sure exist; its start
    time."""
    files: dict[tuple[str, tuple[str, ...]], list[tuple[str, dict[str, Any], list[int] | None]]] = field(
        default_factory=dict)
    ledger_rows: list[list[Any]] = field(default_factory=list)
    tables: set[str] = field(default_factory=set)  # entity tables created (if missing) in it
    started_at: datetime | None = None  # the transaction's now(): every file's load time

    def add(self, table: str, parquet: str, select: list[str], constants: dict[str, Any],
            rows: list[int] | None = None) -> None:
        """`rows`: the file's [start, stop) rows of `parquet` (a validation batch's shared file)."""
        self.files.setdefault((table, tuple(select)), []).append((parquet, constants, rows))

    def flush(self, con: Any) -> None:
        for (table, select), files in self.files.items():
            insert_parquets(con, table, select, files)
        self.files.clear()
        for start in range(0, len(self.ledger_rows), LEDGER_ROWS_PER_INSERT):
            rows = self.ledger_rows[start:start + LEDGER_ROWS_PER_INSERT]
            marks = ", ".join(["(" + ", ".join(["?"] * len(LEDGER_COLUMNS)) + ")"] * len(rows))
            con.execute(f"insert into audit.load_ledger ({', '.join(LEDGER_COLUMNS)}) values {marks}",
                        [v for row in rows for v in row])
        self.ledger_rows.clear()


APPLIED = ("loaded", "partial", "quarantined", "skipped_duplicate", "superseded")
LOADED = ("loaded", "partial")


@dataclass
class LedgerIndex:
    """The three questions the publisher asks audit.load_ledger of each file, answered from
    one read of it per publish: was this exact file applied; did another file with the same
    content load; which loads of the same channel, entity and day does it supersede.

    The publisher is the ledger's only writer while it runs (it holds the writer lock), so
    the rows it writes itself are the only change, and `record` keeps the index in step with
    them. A failed transaction ends the publish, and its index with it. Three lookups and an
    insert per file took ~7 s of a 120-day publish (1,856 files): 31.7-36.4 s, against
    23.6-27.5 s with this index and the ledger rows inserted together (BENCHMARKS.md).
    """
    applied: set[tuple[str, str | None]] = field(default_factory=set)  # (source_path, sha256)
    loaded_content: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    # (channel, entity, ISO partition day): a manifest holds the day as text, the ledger as a date
    loaded_partitions: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    _source: dict[str, tuple[str, str, str | None, str | None, str | None]] = field(default_factory=dict)

    @classmethod
    def read(cls, con: Any) -> LedgerIndex:
        index = cls()
        marks = ", ".join(["?"] * len(APPLIED))
        rows = con.execute(
            "select load_id, source_path, sha256, channel, entity, partition_date, status "
            f"from audit.load_ledger where status in ({marks}) order by finished_at, load_id",
            list(APPLIED)).fetchall()
        for load_id, source_path, sha256, channel, entity, partition_date, status in rows:
            index.record(load_id, source_path, sha256, channel, entity, partition_date, status)
        return index

    def record(self, load_id: str, source_path: str, sha256: str | None, channel: str,
               entity: str | None, partition_date: date | str | None, status: str) -> None:
        self.applied.add((source_path, sha256))
        day = None if partition_date is None else str(partition_date)
        if status in LOADED:
            self._source[load_id] = (source_path, channel, sha256, entity, day)
            if sha256:
                self.loaded_content.setdefault((channel, sha256), (load_id, source_path))
            if entity is not None and day is not None:  # NULL matches nothing in SQL
                self.loaded_partitions.setdefault((channel, entity, day), []).append(load_id)

    def supersede(self, load_ids: list[str]) -> None:
        for load_id in load_ids:
            _, channel, sha256, entity, day = self._source.pop(load_id)
            self.loaded_partitions.get((channel, entity, day), [load_id]).remove(load_id)
            if sha256 and self.loaded_content.get((channel, sha256), ("",))[0] == load_id:
                del self.loaded_content[(channel, sha256)]
                for other, (path, ch, sha, _, _) in self._source.items():
                    if (ch, sha) == (channel, sha256):  # another load of that content remains
                        self.loaded_content[(channel, sha256)] = (other, path)
                        break

    def already_applied(self, m: Manifest) -> bool:
        return (m.source_path, m.sha256) in self.applied

    def loaded_same_content(self, m: Manifest) -> tuple[str, str] | None:
        return self.loaded_content.get((m.channel, m.sha256)) if m.sha256 else None

    def loads_of_partition(self, m: Manifest) -> list[str]:
        if m.entity is None or not m.partition_date:
            return []
        return list(self.loaded_partitions.get((m.channel, m.entity, str(m.partition_date)), ()))


@dataclass
class PublishSummary:
    by_status: dict[str, int] = field(default_factory=dict)
    rows_loaded: int = 0
    rows_quarantined: int = 0
    tables: set[str] = field(default_factory=set)
    missing: list[str] = field(default_factory=list)
    checkpoints: int = 0  # taken while publishing (CHECKPOINT_ROWS), besides the closing one

    def count(self, status: str) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + 1


LEDGER_COLUMNS = ("load_id", "run_id", "channel", "entity", "partition_date", "source_path",
                  "file_name", "sha256", "bytes", "rows_in", "rows_loaded", "rows_quarantined",
                  "status", "reason", "validation_summary", "started_at", "finished_at")
LEDGER_ROWS_PER_INSERT = 500  # a multi-row insert's rows: 8,500 parameters, far below PostgreSQL's 65,535


def _ledger_insert(pending: Appends, ledger: LedgerIndex, m: Manifest, status: str,
                   rows_loaded: int, rows_quarantined: int, reason: str | None) -> None:
    """The file's ledger row, written with the transaction's appends (`Appends.flush`)."""
    pending.ledger_rows.append(
        [m.load_id, m.run_id, m.channel, m.entity, m.partition_date, m.source_path, m.file_name,
         m.sha256, m.bytes, rows_loaded + rows_quarantined, rows_loaded, rows_quarantined, status,
         reason, json.dumps(m.validation_summary | {"notes": m.notes}, default=str),
         m.started_at, datetime.now(UTC)])
    ledger.record(m.load_id, m.source_path, m.sha256, m.channel, m.entity, m.partition_date, status)


def apply_manifest(con: Any, m: Manifest, summary: PublishSummary, appends: Appends | None = None,
                   ledger: LedgerIndex | None = None) -> None:
    """Apply one manifest; its Parquet rows and ledger row go to `appends` (flushed by the
    caller in the same transaction), or straight in when no `appends` is given. `ledger` is
    the publish's view of audit.load_ledger (read here when not given)."""
    pending = Appends() if appends is None else appends
    ledger = LedgerIndex.read(con) if ledger is None else ledger
    _apply(con, m, summary, pending, ledger)
    if appends is None:
        pending.flush(con)


def _apply(con: Any, m: Manifest, summary: PublishSummary, pending: Appends,
           ledger: LedgerIndex) -> None:
    if ledger.already_applied(m):
        return  # this exact file was already applied (retry or concurrent trigger)

    if m.sha256 and m.verdict == "ok":
        dup = ledger.loaded_same_content(m)
        if dup:
            _ledger_insert(pending, ledger, m, "skipped_duplicate", 0, 0,
                           f"identical content ({m.rows_in} rows) already loaded by load "
                           f"{dup[0]} from {dup[1]}")
            summary.count("skipped_duplicate")
            return

    if m.verdict == "quarantined":
        _ledger_insert(pending, ledger, m, "quarantined", 0, m.rows_in, m.reason)
        summary.count("quarantined")
        summary.rows_quarantined += m.rows_in
        return

    entity = reg.load().channel(m.channel).entity(m.entity)
    table = entity.table
    if table not in pending.tables:
        con.execute(raw_table_ddl(entity, postgres=is_postgres(con)))
        con.execute(quarantine_table_ddl(table, postgres=is_postgres(con)))
        pending.tables.add(table)

    # A corrected re-delivery for the same channel, entity and date replaces its predecessor.
    preds = ledger.loads_of_partition(m)
    if preds:
        pending.flush(con)  # a predecessor may be among the pending appends and ledger rows
        marks = ",".join("?" * len(preds))
        con.execute(f"delete from raw.{table} where _load_id in ({marks})", preds)
        con.execute(f"delete from quarantine.{table} where _load_id in ({marks})", preds)
        con.execute(f"update audit.load_ledger set status = 'superseded', superseded_by = ? "
                    f"where load_id in ({marks})", [m.load_id, *preds])
        ledger.supersede(preds)
        summary.count("superseded")

    pending.started_at = loaded_at = pending.started_at or now(con)
    lineage = {"_source_file": m.source_path, "_file_sha256": m.sha256, "_load_id": m.load_id}
    if m.good_parquet:
        pending.add(f"raw.{table}", m.good_parquet, [*entity.columns, "_row_number"],
                    {**lineage, "_loaded_at": loaded_at}, m.good_rows)
    if m.bad_parquet:
        pending.add(f"quarantine.{table}", m.bad_parquet, ["_row_number", "reason", "record"],
                    {**lineage, "_quarantined_at": loaded_at})
    status = "loaded" if not m.rows_bad else ("partial" if m.rows_good else "quarantined")
    reason = None
    if m.rows_bad:
        failed = m.validation_summary.get("failed_expectations", {})
        reason = f"{m.rows_bad} row(s) quarantined: " + "; ".join(
            f"{k} ×{v}" for k, v in failed.items())
    _ledger_insert(pending, ledger, m, status, m.rows_good, m.rows_bad, reason)
    summary.count(status)
    summary.rows_loaded += m.rows_good
    summary.rows_quarantined += m.rows_bad
    summary.tables.add(table)


def record_missing(con: Any, missing: Iterable[MissingDelivery],
                   run_id: str) -> list[MissingDelivery]:
    """Ledger rows for deliveries past due; returns those still missing (no file arrived)."""
    still = []
    for md in missing:
        arrived = con.execute(
            "select 1 from audit.load_ledger where channel = ? and entity = ? and "
            "partition_date = ? and status in ('loaded','partial','quarantined','skipped_duplicate')",
            [md.channel, md.entity, md.partition_date]).fetchone()
        if arrived:
            continue
        still.append(md)
        con.execute(
            """insert into audit.load_ledger (load_id, run_id, channel, entity, partition_date,
                   source_path, rows_in, rows_loaded, rows_quarantined, status, reason,
                   started_at, finished_at)
               values (?, ?, ?, ?, ?, ?, 0, 0, 0, 'missing', ?, now(), now())
               on conflict (load_id) do nothing""",
            [md.load_id, run_id, md.channel, md.entity, md.partition_date, md.expected_path,
             md.describe()])
    return still


def publish_order(manifests: Iterable[Manifest]) -> list[Manifest]:
    """Oldest partition first, so a corrected re-delivery supersedes what came before it."""
    return sorted(manifests, key=lambda m: (m.partition_date, m.channel, m.file_name, m.started_at))


def transactions(manifests: list[Manifest], rows: int) -> Iterator[list[Manifest]]:
    """Consecutive manifests, cut once a group holds at least `rows` rows."""
    group: list[Manifest] = []
    held = 0
    for m in manifests:
        group.append(m)
        held += m.rows_in
        if held >= rows:
            yield group
            group, held = [], 0
    if group:
        yield group


def publish(manifest_paths: Iterable[Path], missing: Iterable[MissingDelivery] = (),
            run_id: str = "manual", db: Path | None = None) -> PublishSummary:
    summary = PublishSummary()
    manifests = publish_order(Manifest.read(p) for p in manifest_paths)
    with connect(db) as con, deferred_checkpoints(con), capped_memory(con, MEMORY_LIMIT):
        unchecked = 0  # rows committed since the last checkpoint
        ledger = LedgerIndex.read(con)
        for group in transactions(manifests, COMMIT_ROWS):
            con.begin()
            try:
                appends = Appends()
                for m in group:
                    apply_manifest(con, m, summary, appends, ledger)
                appends.flush(con)
                con.commit()
            except Exception:
                con.rollback()  # the whole group: its files are applied again by a retry
                raise
            unchecked += sum(m.rows_in for m in group)
            if unchecked >= CHECKPOINT_ROWS and checkpoint(con):
                summary.checkpoints += 1
                unchecked = 0
        con.begin()
        still = record_missing(con, missing, run_id)
        con.commit()
    summary.missing = [md.describe() for md in still]
    return summary
