"""The ingest steps the Airflow DAG wires together (and tests call directly).

plan_exports  → which files in the window are new (not yet in the ledger), which daily
                deliveries are missing past due
stage_channel → parse + validate one channel's new files into staging (parallel-safe)
publish_run   → single writer: apply manifests, record missing deliveries, keep GE results
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from journeymart import registry as reg
from journeymart.config import paths
from journeymart.landing import ExportFile, exports_by_day, root
from journeymart.publish import MissingDelivery, PublishSummary, publish
from journeymart.stage import Manifest, stage_files
from journeymart.warehouse import connect, target

LATE_LOOKBACK_DAYS = int(os.environ.get("JOURNEYMART_LATE_LOOKBACK_DAYS", "2"))
# Partition days per stage task (a mapped task each); the default daily window fits one.
BATCH_DAYS = 7
# A backfill's week batches of an export are merged, up to MAX_MERGED_BATCHES of them (a
# year), while their files stay under BATCH_BYTES: each stage task runs a GE validation per
# entity, which costs 0.06-0.3 s however few rows it checks (by suite and machine; a stage
# task's first one also imports GE, ~2.4 s), so a year of a small ad report in 52 tasks spent
# most of its time in GE's fixed cost (BENCHMARKS.md). A GA4 week (~17 MB) stays alone. Each
# export of a channel is merged on its own: e-mail campaigns and app installs rode in every
# weekly batch of e-mail activity and app events (53 GE runs each a year). Merged up to a
# quarter, the small exports of a year took 64 GE runs and 38-42 s of stage CPU; up to a year,
# 18 runs and 33 s (2026-12-02 section).
BATCH_BYTES = int(os.environ.get("JOURNEYMART_STAGE_BATCH_BYTES", str(8 * 1024**2)))
MAX_MERGED_BATCHES = 53
# A run killed before its publish step (SIGKILL, lost worker) leaves its staging folder, and
# every run has its own run id, so no later run reuses it. Far longer than a run may last
# (execution_timeout 2 h), so a live run's folder is never taken.
STAGING_MAX_AGE_HOURS = float(os.environ.get("JOURNEYMART_STAGING_MAX_AGE_HOURS", "24"))


def window(logical: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """Partition dates a run covers: an explicit range, or the logical date plus a lookback
    so a file that arrives late is picked up by a later run without manual steps."""
    if start and end:
        return start, end
    return logical - timedelta(days=LATE_LOOKBACK_DAYS), logical


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _safe(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)[:120]


def staging_dir(run_id: str) -> Path:
    return paths().staging / _safe(run_id)


def _applied(urls: list[str]) -> dict[str, set[str | None]]:
    if not urls or (target() == "duckdb" and not paths().warehouse.exists()):
        return {}
    with connect(read_only=True) as con:
        rows = con.execute(
            "select source_path, sha256 from audit.load_ledger where status <> 'missing' "
            "and source_path in (select unnest(?))", [urls]).fetchall()
    out: dict[str, set[str | None]] = {}
    for path, sha in rows:
        out.setdefault(path, set()).add(sha)
    return out


def _channels(channel_ids: list[str] | None) -> list[reg.Channel]:
    registry = reg.load()
    return [registry.channel(c) for c in channel_ids] if channel_ids else list(registry.channels)


def plan_exports(start: date, end: date, channel_ids: list[str] | None = None,
                 batch_days: int = BATCH_DAYS) -> list[dict[str, Any]]:
    """Batches of the files in [start, end] not yet in the ledger: one per channel and run of
    `batch_days` partition days. A daily run (the day plus its late lookback) gets one batch
    per channel; a backfill gets many, so its stage tasks spread over the workers instead of
    one task holding a whole year of the biggest channel. Consecutive blocks of an export
    whose files are small are merged (`BATCH_BYTES`, `MAX_MERGED_BATCHES`), each export on its
    own: a channel's small export (e-mail campaigns beside e-mail activity) then rides in the
    batch of its channel where its merged run of blocks starts, and is validated once per
    merged run instead of once a week."""
    found = {ch.id: [f for fs in exports_by_day(ch.id, days(start, end)).values() for f in fs]
             for ch in _channels(channel_ids)}
    applied = _applied([f.url for fs in found.values() for f in fs])
    batches = []
    for ch_id, files in found.items():
        channel = reg.load().channel(ch_id)
        by_export: dict[str | None, dict[int, list[ExportFile]]] = {}
        for f in files:
            if not _already(f, applied):
                entity = channel.entity_for_file(f.name)  # None: quarantined by its stage task
                block = (f.partition - start).days // batch_days
                by_export.setdefault(entity.id if entity else None, {}).setdefault(block, []).append(f)
        tasks: dict[int, list[ExportFile]] = {}  # by the first block each merged run starts at
        for blocks in by_export.values():
            for first, merged in _merge_small(sorted(blocks.items())):
                tasks.setdefault(first, []).extend(merged)
        for first in sorted(tasks):
            block = sorted(tasks[first], key=lambda f: (f.partition, f.name))
            first_day, last_day = block[0].partition.isoformat(), block[-1].partition.isoformat()
            label = ch_id if first_day == last_day else f"{ch_id} {first_day}..{last_day}"
            batches.append({"channel": ch_id, "label": label, "files": [_to_dict(f) for f in block]})
    return batches


def _merge_small(blocks: list[tuple[int, list[ExportFile]]]) -> list[tuple[int, list[ExportFile]]]:
    """Consecutive blocks (by block number) merged while they stay under `BATCH_BYTES`, up to
    `MAX_MERGED_BATCHES` blocks; each merged run with the number of its first block."""
    merged: list[tuple[int, list[ExportFile]]] = []
    size = count = 0
    for number, block in blocks:
        block_size = sum(_size(f) for f in block)
        if merged and count < MAX_MERGED_BATCHES and size + block_size <= BATCH_BYTES:
            merged[-1] = (merged[-1][0], merged[-1][1] + block)
            size, count = size + block_size, count + 1
        else:
            merged.append((number, block))
            size, count = block_size, 1
    return merged


def _size(f: ExportFile) -> int:
    """The file's size; an unknown size counts as too big to merge (a batch stays a week)."""
    if f.size is not None:
        return f.size
    try:
        return int(f.open_path().stat().st_size)
    except (OSError, AttributeError, TypeError, ValueError):
        return BATCH_BYTES + 1


def missing_deliveries(start: date, end: date, channel_ids: list[str] | None = None,
                       now: datetime | None = None) -> list[dict[str, str]]:
    """Daily exports with no file in the landing zone after they were due."""
    now = now or datetime.now(UTC)
    missing = []
    for ch in _channels(channel_ids):
        listed = exports_by_day(ch.id, days(start, end))
        for day in days(start, end):
            names = [f.name for f in listed.get(day, ())]
            for e in ch.entities:
                due = datetime.combine(day + timedelta(days=1), time.min, UTC) + timedelta(hours=e.due_hours)
                if e.cadence == "daily" and now >= due and not any(e.matches(n) for n in names):
                    missing.append(_missing_dict(MissingDelivery(
                        ch.id, e.id, day, due, str(root() / ch.id / day.isoformat()))))
    return missing


def _already(f: ExportFile, applied: dict[str, set[str | None]]) -> bool:
    shas = applied.get(f.url)
    if not shas:
        return False
    try:
        return hashlib.sha256(f.open_path().read_bytes()).hexdigest() in shas
    except OSError:
        return False


def _to_dict(f: ExportFile) -> dict[str, str]:
    return {"channel": f.channel_id, "partition": f.partition.isoformat(), "name": f.name, "url": f.url}


def _missing_dict(m: MissingDelivery) -> dict[str, str]:
    return {"channel": m.channel, "entity": m.entity, "partition_date": m.partition_date.isoformat(),
            "due_at": m.due_at.isoformat(), "expected_path": m.expected_path}


def _missing_from(d: dict[str, str]) -> MissingDelivery:
    return MissingDelivery(d["channel"], d["entity"], date.fromisoformat(d["partition_date"]),
                           datetime.fromisoformat(d["due_at"]), d["expected_path"])


def stage_channel(batch: dict[str, Any], run_id: str) -> list[str]:
    """Stage one channel's new files (parsed per file, validated per entity in one GE run)."""
    out = staging_dir(run_id)
    files = [ExportFile(f["channel"], date.fromisoformat(f["partition"]), f["name"], f["url"])
             for f in batch["files"]]
    return [str(out / f"{m.load_id}.manifest.json") for m in stage_files(files, run_id, out)]


def publish_run(manifest_paths: list[str], missing: list[dict[str, str]], run_id: str) -> PublishSummary:
    """Publish the run's manifests, then keep its GE results; the staging folder is removed
    only when both succeeded (a failed run keeps it for the retry). The results are not kept
    in a thread beside the publisher: the two contend for the two cores, and the 1.4 s that
    gained at 30 and 120 days did not show at a year (BENCHMARKS.md, 2026-12-01 21:04 section)."""
    manifests = [Path(p) for p in manifest_paths]
    summary = publish(manifests, [_missing_from(d) for d in missing], run_id)
    store_validation_results(manifests, run_id)
    shutil.rmtree(staging_dir(run_id), ignore_errors=True)
    remove_abandoned_staging()
    return summary


def remove_abandoned_staging(max_age: timedelta | None = None) -> list[Path]:
    """Delete staging folders nothing has written to for `max_age`: left by dead runs."""
    max_age = timedelta(hours=STAGING_MAX_AGE_HOURS) if max_age is None else max_age
    cutoff = datetime.now(UTC).timestamp() - max_age.total_seconds()
    removed = []
    for folder in paths().staging.glob("*/"):
        try:
            newest = max([folder.stat().st_mtime, *(f.stat().st_mtime for f in folder.rglob("*"))])
        except OSError:  # its run is deleting it right now
            continue
        if newest <= cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def store_validation_results(manifest_paths: list[Path], run_id: str) -> None:
    from journeymart.gx_docs import store_results

    store_results([Manifest.read(p) for p in manifest_paths if p.exists()], run_id)


def run_window(start: date, end: date, run_id: str, channel_ids: list[str] | None = None,
               now: datetime | None = None) -> PublishSummary:
    """Plan → stage → publish in this process: what the DAG does, without Airflow (tests)."""
    manifests = [p for b in plan_exports(start, end, channel_ids) for p in stage_channel(b, run_id)]
    return publish_run(manifests, missing_deliveries(start, end, channel_ids, now), run_id)
