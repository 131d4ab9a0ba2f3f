"""Stage one export file: read → parse → hash PII → validate (GE) → Parquet + manifest.

Runs in parallel (one Airflow task per channel); touches no database. The single publisher
(`publish.py`) applies the manifests. A manifest records everything the ledger needs, so the
invariant rows_in = rows_loaded + rows_quarantined is decided here, once.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import json
import re
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from journeymart import registry as reg
from journeymart.config import paths, pii_key
from journeymart.landing import ExportFile, has_unprintable_bytes, root
from journeymart.parsers.base import ROW_NUMBER, Parsed, StructuralError, column_lists, joined_frame
from journeymart.pii import hash_pii
from journeymart.validation import (
    FILE,
    PARSE_ERROR,
    WINDOW_END,
    WINDOW_START,
    batch_of_files,
    validate_batch,
    with_file_columns,
)

MAX_FILE_BYTES = 2 * 1024**3
MAX_BATCH_ROWS = 500_000  # rows validated in one GE run (bounds memory on big backfills)
ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "decimal": pa.decimal128(18, 6),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "local_timestamp": pa.timestamp("us"),
    "bool": pa.bool_(),
    "json": pa.string(),
}
SIX_PLACES = Decimal("0.000001")
# Cells a spreadsheet would run as a formula (CSV injection, e.g. `=cmd|' /C calc'!A0`).
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # first characters
NUMERIC = re.compile(r"^[+-]?[\d.,]+%?$")
LOADER_COLUMNS = {ROW_NUMBER, PARSE_ERROR, FILE, WINDOW_START, WINDOW_END}
_GROUP = "_equal_values"  # `_mark_exact_duplicates`: rows in one group are equal as values
# `_mark_exact_duplicates` checks a file of at most this many readable rows for repeats as a
# set of row tuples first, and writes its Parquet files plain (BENCHMARKS.md, "Small files'
# repeats checked as a set of rows; small Parquet files written plain")
SMALL_FILE_ROWS = 1_000


@dataclass
class Manifest:
    load_id: str
    run_id: str
    channel: str
    entity: str | None
    partition_date: str
    source_path: str
    file_name: str
    sha256: str | None = None
    bytes: int | None = None
    rows_in: int = 0
    rows_good: int = 0
    rows_bad: int = 0
    verdict: str = "ok"  # ok | quarantined (whole file)
    reason: str | None = None
    validation_summary: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""
    good_parquet: str | None = None
    bad_parquet: str | None = None
    ge_results: str | None = None
    # The file's rows in good_parquet when it holds a whole validation batch's ([start, stop)
    # by row number; None: the whole file): small files that all pass share one Parquet file.
    good_rows: list[int] | None = None

    def write(self, folder: Path) -> Path:
        p = folder / f"{self.load_id}.manifest.json"
        p.write_text(json.dumps(asdict(self), indent=1, default=str))
        return p

    @classmethod
    def read(cls, p: Path) -> Manifest:
        return cls(**json.loads(Path(p).read_text()))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _count_lines(data: bytes, fmt: str) -> int:
    """Best-effort row count for a file that could not be parsed: non-empty lines (minus the
    header for CSV), so a whole-file quarantine still accounts for the rows that arrived.
    Rows of a file that cannot be decompressed are unknown: 0, not a count of binary noise."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error):
            return 0
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = data.decode("utf-16", errors="replace").encode()
    lines = sum(1 for ln in data.splitlines() if ln.strip())
    return max(lines - 1, 0) if fmt == "csv" else lines


def _quarantine_file(m: Manifest, data: bytes | None) -> None:
    dest = paths().quarantine / m.channel / m.partition_date
    dest.mkdir(parents=True, exist_ok=True)
    safe = m.file_name.replace("/", "_").replace("\\", "_") or "unnamed"
    target = dest / f"{m.load_id}__{safe}"
    if data is not None:
        target.write_bytes(data)
    (dest / f"{m.load_id}__{safe}.reason.txt").write_text(
        f"file: {m.source_path}\nsha256: {m.sha256}\nreason: {m.reason}\n")


def _cell(v: Any, typ: str) -> Any:
    if v is None:
        return None
    if typ == "decimal":
        return v.quantize(SIX_PLACES, rounding=ROUND_HALF_EVEN)
    return v


def _to_arrow(entity: reg.Entity, frame: pd.DataFrame) -> pa.Table:
    arrays = []
    names = [*entity.columns, ROW_NUMBER]
    for typ, values in zip(entity.columns.values(), column_lists(frame, entity.columns), strict=True):
        if typ == "decimal":  # only decimals need a per-cell step: rounding to the column's scale
            values = [_cell(v, typ) for v in values]
        arrays.append(pa.array(values, type=ARROW_TYPES[typ]))
    arrays.append(pa.array(column_lists(frame, [ROW_NUMBER])[0], type=pa.int64()))
    return pa.Table.from_arrays(arrays, names=names)


def _record_json(row: pd.Series) -> str:
    return json.dumps({k: (None if v is None else str(v)) for k, v in row.items()
                       if k not in LOADER_COLUMNS}, sort_keys=True)


@dataclass
class _Parsed:
    manifest: Manifest
    entity: reg.Entity
    file: ExportFile
    parsed: Parsed  # as the parser gave it: identifiers not hashed yet, repeats not marked
    parse_notes: list[str] = field(default_factory=list)

    @property
    def frame(self) -> pd.DataFrame:
        frame = self.parsed.frame
        index = frame.index
        if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
            frame = frame.reset_index(drop=True)
        return frame


def stage_file(f: ExportFile, run_id: str, out_dir: Path) -> Manifest:
    return stage_files([f], run_id, out_dir)[0]


def stage_files(files: list[ExportFile], run_id: str, out_dir: Path,
                max_batch_rows: int = MAX_BATCH_ROWS) -> list[Manifest]:
    """Parse every file, then validate each entity's files together in as few GE runs as
    the row cap allows (GE's cost is per validation run, far more than per row)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifests: list[Manifest] = []
    pending: dict[str, list[_Parsed]] = {}
    # Read once per batch: in a task it is an Airflow Variable, a request to the API server
    # (outside one, a failed lookup: ~0.4 ms a file)
    key = pii_key()
    landing = _local_landing()
    for f in files:
        with _gc_paused():
            p = _parse_one(f, run_id, out_dir, landing)
        if isinstance(p, Manifest):
            manifests.append(p)
        else:
            pending.setdefault(p.entity.table, []).append(p)
    for items in pending.values():
        chunk: list[_Parsed] = []
        rows = 0
        for p in items:
            if chunk and rows + p.parsed.rows > max_batch_rows:
                manifests += _validate_chunk(chunk, out_dir, key)
                chunk, rows = [], 0
            chunk.append(p)
            rows += p.parsed.rows
        manifests += _validate_chunk(chunk, out_dir, key)
    return manifests


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cycle collector off while a file is parsed. A parse allocates a list per CSV
    row (and per GA4 event's params), and each collection walks every object alive, the
    frames already parsed included: a week staged alone went from 24.5 to 22.0 µs per app
    event row and from 18.0 to 14.0 per e-mail activity row (BENCHMARKS.md). What a parse leaves behind is freed by reference counts; a rare cycle (an
    exception's traceback) is collected once the collector is back on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _parse_one(f: ExportFile, run_id: str, out_dir: Path, landing: Path | None = None) -> _Parsed | Manifest:
    """Read and parse one file. Its identifiers are hashed and its repeats and formulas marked
    with the other files of its validation batch (`_prepare_batch`)."""
    channel = reg.load().channel(f.channel_id)
    entity = channel.entity_for_file(f.name)
    m = Manifest(load_id=uuid.uuid4().hex[:16], run_id=run_id, channel=f.channel_id,
                 entity=entity.id if entity else None, partition_date=f.partition.isoformat(),
                 source_path=f.url, file_name=f.name, started_at=_now())
    data: bytes | None = None
    try:
        data = _read(f, landing)
        m.sha256, m.bytes = hashlib.sha256(data).hexdigest(), len(data)
        if entity is None:
            m.rows_in = _count_lines(data, "csv" if f.name.endswith(".csv") else "ndjson")
            raise StructuralError(
                f"file name {f.name!r} matches no export of channel {f.channel_id!r} "
                f"(expected one of: {', '.join(e.pattern for e in channel.entities)})")
        parsed = entity.parse_function()(data, f.name, entity, channel)
        m.rows_in, m.notes = parsed.rows_in, list(parsed.notes)
        return _Parsed(m, entity, f, parsed, list(parsed.notes))
    except Exception as exc:  # noqa: BLE001 - every file ends in the ledger with a reason
        _fail(m, exc, data, entity, out_dir)
        return m


def _batch_frame(entity: reg.Entity, chunk: list[_Parsed]) -> pd.DataFrame:
    """The validation batch's frame (`batch_of_files`). Files whose parser gave its columns
    unbuilt are built as one frame: built per file and joined, pandas' fixed costs took ~0.2
    ms a small file (BENCHMARKS.md, "Small files' frames built per batch")."""
    files = [(date.fromisoformat(p.manifest.partition_date), p.parsed.unbuilt) for p in chunk]
    parts = [columns for _, columns in files]
    if len(chunk) > 1 and all(c is not None and c.names == parts[0].names for c in parts):
        return with_file_columns(entity, joined_frame(parts), [c.rows for c in parts], [d for d, _ in files])
    return batch_of_files(entity, [(p.frame, d) for p, (d, _) in zip(chunk, files, strict=True)])


def _prepare_batch(entity: reg.Entity, batch: pd.DataFrame, files: int,
                   key: bytes | None) -> tuple[pd.DataFrame, list[list[str]]]:
    """A validation batch's identifiers hashed, its repeats marked (within each file) and its
    formula text flagged, for all of its files at once: done file by file, pandas' fixed costs
    per call were most of a small file's time (BENCHMARKS.md, "Small files prepared as one
    batch"). Returns the batch and each file's notes."""
    batch = hash_pii(entity, batch, key)
    notes = [a + b for a, b in zip(_repeats_by_file(entity, batch, files),
                                   _flag_formulas(entity, batch, files), strict=True)]
    return batch, notes


def _mark_exact_duplicates(entity: reg.Entity, frame: pd.DataFrame) -> list[str]:
    """`_repeats_by_file` for one file's frame: its notes."""
    return _repeats_by_file(entity, frame, 1)[0]


def _repeats_by_file(entity: reg.Entity, frame: pd.DataFrame, files: int) -> list[list[str]]:
    """A record repeated verbatim within its file (an export that paged twice over the same
    rows) keeps its first copy; the repeats are quarantined as duplicates. Records sharing a
    key with different values stay for the suite's uniqueness check, which quarantines all of
    them (no way to tell which one is right). Rows the parser could not read (ragged, invalid
    JSON) take no part: they are quarantined for that, and a readable copy of one is not a
    repeat of it. `frame` holds `files` files' rows, told apart by FILE (one file without it);
    returns each file's notes."""
    notes: list[list[str]] = [[] for _ in range(files)]
    cols = [c for c in frame.columns if c in entity.columns]
    readable = frame.index[pd.isna(frame[PARSE_ERROR].to_numpy())]  # Series.isna: ~2x the fixed cost
    if readable.empty or not cols:
        return notes
    by_file = FILE in frame.columns
    if len(readable) <= SMALL_FILE_ROWS * files and _all_distinct(frame, readable, [FILE, *cols] if by_file else cols):
        return notes
    # Rows equal as text in every column are equal in each one: narrow the candidates column
    # by column, key columns first, to the rows that share their file and their values so far
    # with another row (groups of equal values, as codes), so a file without repeats is done
    # after a few columns. The narrowing compares the values themselves (hashing a datetime is
    # far cheaper than printing it); the text decides within each group. So a repeat is equal
    # as values and as text. Cells alike as text but not as values are a cast's typed value
    # beside an uncast text that reads the same ("12.340000" in a micros column): not a
    # repeat, the text fails its type check, and the typed row is not quarantined for
    # resembling it. (Narrowing each column alone left 15.5k of a 42.7k-row e-mail day to
    # print: 55 ms -> 21 ms.)
    candidates = readable
    group = (pd.factorize(frame.loc[candidates, FILE].to_numpy())[0] if by_file
             else np.zeros(len(candidates), dtype=np.int64))
    for col in sorted(cols, key=lambda c: c not in entity.key):
        values, distinct = pd.factorize(frame.loc[candidates, col].to_numpy(), use_na_sentinel=False)
        group = pd.factorize(group * len(distinct) + values)[0]
        shared = np.bincount(group)[group] > 1
        candidates, group = candidates[shared], group[shared]
        if candidates.empty:
            return notes
        group = pd.factorize(group)[0]
    as_text = frame.loc[candidates, cols].astype(str)
    as_text[_GROUP] = group
    repeats = as_text.duplicated(keep="first")
    if not repeats.any():
        return notes
    first = as_text.drop_duplicates(keep="first")
    first_row = {tuple(r): n for r, n in zip(first.itertuples(index=False), frame.loc[first.index, ROW_NUMBER],
                                              strict=True)}
    for i in as_text.index[repeats]:
        frame.at[i, PARSE_ERROR] = f"exact duplicate of row {first_row[tuple(as_text.loc[i])]}"
    repeated = as_text.index[repeats]
    counts = (np.bincount(frame.loc[repeated, FILE].to_numpy(dtype=np.int64), minlength=files) if by_file
              else np.array([len(repeated)]))
    for i, n in enumerate(counts):
        if n:
            notes[i].append(f"{int(n)} row(s) repeat an earlier row exactly; quarantined as duplicates")
    return notes


def _all_distinct(frame: pd.DataFrame, rows: pd.Index, cols: list[str]) -> bool:
    """No two of `rows` are equal as values in every one of `cols`, by a set of row tuples: a
    small file's usual answer in one pass, where the narrowing column by column pays pandas'
    fixed costs per column (a day of Meta ads, 3 rows × 19 columns: ~0.6 ms). Equal as values
    in a set is equal as values in `pd.factorize` (Python's ==), except for NaN-like cells,
    which a set tells apart and factorize does not: False (unsure) when a cell is one, or is
    not hashable; the caller's narrowing then decides."""
    subset = frame if len(rows) == len(frame) else frame.loc[rows]
    columns = column_lists(subset, cols)
    try:
        if any(v != v for column in columns for v in column if v is not None):
            return False
        return len(set(zip(*columns, strict=True))) == len(rows)
    except (TypeError, ArithmeticError):  # pd.NA's truth value, an unhashable cell, a signalling NaN
        return False


def _flag_formulas(entity: reg.Entity, frame: pd.DataFrame, files: int = 1) -> list[list[str]]:
    """Text a spreadsheet would execute is kept verbatim (it is what the platform holds, and
    names join across tables) but flagged in the ledger, so whoever exports it to CSV/Excel
    escapes it (docs/export_formats.md, "Bad input"). `frame` holds `files` files' rows, told
    apart by FILE (one file without it); returns each file's notes."""
    hits: list[list[str]] = [[] for _ in range(files)]
    texts = [c for c, typ in entity.columns.items() if typ == "string" and c in frame.columns]
    for col, values in zip(texts, column_lists(frame, texts), strict=True):
        # Distinct values first: a column rarely holds a formula, and a set is C-speed.
        if not any(isinstance(v, str) and v.startswith(FORMULA) for v in set(values)):
            continue
        text = frame[col]
        risky = text.str.startswith(FORMULA, na=False)
        if risky.any():  # the numeric test only where it can matter (it strips every cell)
            risky[risky] = ~text[risky].str.strip().str.match(NUMERIC, na=False)
        file_of = frame.loc[risky, FILE] if FILE in frame.columns else [0] * int(risky.sum())
        for i, n, v in zip(file_of, frame.loc[risky, ROW_NUMBER], text[risky], strict=True):
            hits[i].append(f"row {n} {col}={v[:40]!r}")
    notes: list[list[str]] = []
    for found in hits:
        more = f" (+{len(found) - 3} more)" if len(found) > 3 else ""
        notes.append([f"spreadsheet formula text in {len(found)} cell(s), kept verbatim, not defused: "
                      f"{'; '.join(found[:3])}{more}"] if found else [])
    return notes


def _fail(m: Manifest, exc: Exception, data: bytes | None, entity: reg.Entity | None,
          out_dir: Path) -> None:
    m.verdict = "quarantined"
    m.reason = str(exc) if isinstance(exc, StructuralError) else (
        f"loader error while parsing/validating ({type(exc).__name__}: {exc})")
    if not m.rows_in and data is not None:
        m.rows_in = _count_lines(data, entity.format if entity else "csv")
    m.rows_good, m.rows_bad = 0, m.rows_in
    _quarantine_file(m, data)
    m.finished_at = _now()
    m.write(out_dir)


def _local_landing() -> Path | None:
    """The landing zone's directory, resolved, when it is on this machine (None otherwise, or
    when it cannot be told here: each file's read then finds it or fails on its own)."""
    try:
        top = root()
        return Path(top.path).resolve() if top.protocol in ("file", "local") else None
    except Exception:  # noqa: BLE001 - the per-file read reports it, file by file
        return None


def _read(f: ExportFile, landing: Path | None = None) -> bytes:
    """`landing`: `_local_landing()`, when the caller has it (a batch's files share it: ~0.07
    ms a file to find again)."""
    p = f.open_path()
    if p.protocol in ("file", "local"):
        local = Path(p.path)
        if any(ord(c) < 32 for c in f.name):  # the path layer drops them: it opens another file
            raise StructuralError("file name contains control characters (a line break?); rename the file")
        if has_unprintable_bytes(f.name) and not local.exists():
            raise StructuralError("file name is not valid UTF-8 (bytes shown as \\xNN); "
                                  "rename the file in UTF-8 to load it")
        if local.is_symlink():
            raise StructuralError("file is a symbolic link; refusing to follow it out of the landing zone")
        landing = landing or Path(root().path).resolve()
        if not local.resolve().is_relative_to(landing):
            raise StructuralError(f"file resolves outside the landing zone ({landing}); refusing it")
        try:
            if local.stat().st_size > MAX_FILE_BYTES:
                raise StructuralError(f"file is larger than {MAX_FILE_BYTES} bytes")
            # The file the path names, read without fsspec's layers: 46 -> 9 us a file
            # (BENCHMARKS.md, "Small files' frames built per batch")
            return local.read_bytes()
        except OSError as exc:
            raise StructuralError(f"cannot read file: {exc}") from exc
    try:
        return p.read_bytes()
    except OSError as exc:
        raise StructuralError(f"cannot read file: {exc}") from exc


def _validate_chunk(chunk: list[_Parsed], out_dir: Path, key: bytes | None = None) -> list[Manifest]:
    entity = chunk[0].entity
    for p in chunk:  # a file tried in a batch before (then alone) starts from its parse again
        p.manifest.notes = list(p.parse_notes)
    try:
        with _gc_paused():
            batch = _batch_frame(entity, chunk)
            batch, notes = _prepare_batch(entity, batch, len(chunk), key)
        for p, file_notes in zip(chunk, notes, strict=True):
            p.manifest.notes = [*p.parse_notes, *file_notes]
        outcome = validate_batch(entity, batch)
    except Exception as exc:  # noqa: BLE001
        outcome = None
        error: Exception = exc
    if outcome is None or outcome.structural_failure:
        if len(chunk) > 1:  # find out which file it is: validate them one by one
            return [m for p in chunk for m in _validate_chunk([p], out_dir, key)]
        p = chunk[0]
        exc = error if outcome is None else StructuralError(outcome.structural_failure)
        _fail(p.manifest, exc, _read(p.file), entity, out_dir)
        return [p.manifest]

    results = out_dir / f"{chunk[0].manifest.load_id}.ge.json"
    results.write_text(json.dumps(outcome.results, default=str))
    out: list[Manifest] = []
    each_file = _rows_of_each_file(batch, len(chunk))
    for p, rows, written in zip(chunk, each_file,
                                _small_files_written_at_once(entity, chunk, batch, each_file, outcome, out_dir),
                                strict=True):
        # (a lookup per row of every file, even when no row failed: ~0.1 us an e-mail activity row)
        reasons = ({ix: outcome.row_reasons[ix] for ix in rows.index if ix in outcome.row_reasons}
                   if outcome.row_reasons else {})
        try:
            _write_file_outputs(p, rows, reasons, out_dir, written)
        except Exception as exc:  # noqa: BLE001 - one odd file must not fail its whole channel
            _fail(p.manifest, exc, _read(p.file), entity, out_dir)
            out.append(p.manifest)
            continue
        if p.manifest.rows_bad and not p.manifest.rows_good:
            _reject_all_rows(p, reasons, out_dir)
            out.append(p.manifest)
            continue
        p.manifest.ge_results = str(results)
        p.manifest.validation_summary = {
            "success": not reasons, "rows_checked": len(rows), "rows_failed": len(reasons),
            "files_in_validation_batch": len(chunk),
            "failed_expectations": _count(reasons),
        }
        p.manifest.finished_at = _now()
        p.manifest.write(out_dir)
        out.append(p.manifest)
    return out


def _small_files_written_at_once(entity: reg.Entity, chunk: list[_Parsed], batch: pd.DataFrame,
                                 each_file: list[pd.DataFrame], outcome: Any,
                                 out_dir: Path) -> list[tuple[Path, int, int] | None]:
    """One Parquet file of a validation batch's rows, when every row passed and every file is
    small; each file's rows are a slice of it (the file's manifest says which: `good_rows`).
    A Parquet file per small file cost ~0.25 ms to write (~12 us a column) and ~0.3 ms to
    publish, more than its rows (BENCHMARKS.md, "Small files written and published as one
    Parquet file per batch"). None for a file to write on its own: a batch with a failing row
    (the good rows are each file's own), a large file (one table of a large batch would double
    its memory), or a batch Arrow refuses (that file's own conversion then says which)."""
    starts = np.cumsum([0, *(len(rows) for rows in each_file)])
    if (len(chunk) < 2 or outcome.row_reasons or any(p.parsed.rows > SMALL_FILE_ROWS for p in chunk)
            or any(len(rows) and (rows.index[0], rows.index[-1]) != (a, b - 1)  # each file's rows in order
                   for rows, a, b in zip(each_file, starts[:-1], starts[1:], strict=True))):
        return [None] * len(chunk)
    try:
        table = _to_arrow(entity, batch)
    except Exception:  # noqa: BLE001 - each file's own conversion then says which and why
        return [None] * len(chunk)
    path = out_dir / f"{chunk[0].manifest.load_id}.batch.good.parquet"
    try:
        _write_parquet(table, path)
    except Exception:  # noqa: BLE001 - each file's own write then fails alone, with its reason
        path.unlink(missing_ok=True)
        return [None] * len(chunk)
    return [(path, int(a), int(b)) for a, b in zip(starts[:-1], starts[1:], strict=True)]


def _rows_of_each_file(batch: pd.DataFrame, files: int) -> list[pd.DataFrame]:
    """Each file's rows of a validation batch. `batch_of_files` joins the files in order over a
    fresh 0..n-1 index, so a file's rows are a slice of the batch (no copy), found from its
    FILE column; filtering the batch by FILE once per file copied every column of every row
    (0.4 us per GA4 event). A batch in any other order is filtered as before."""
    position = batch[FILE].to_numpy()
    ends = np.searchsorted(position, np.arange(1, files + 1), side="left") if len(position) else []
    in_order = (isinstance(batch.index, pd.RangeIndex) and batch.index.start == 0 and batch.index.step == 1
                and bool((np.diff(position) >= 0).all()) and len(ends) == files)
    if not in_order:
        return [batch[batch[FILE] == i] for i in range(files)]
    starts = [0, *ends[:-1]]
    return [batch.iloc[a:b] for a, b in zip(starts, ends, strict=True)]


def _reject_all_rows(p: _Parsed, reasons: dict[int, list[str]], out_dir: Path) -> None:
    """No row of the file passed: quarantine it whole. As a row-level result it would count as
    a re-delivery and replace the good load of the same date with nothing."""
    counts = _count(reasons)
    top = "; ".join(f"{k} ×{v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:4])
    first = min(reasons)  # batch index: file order
    p.manifest.validation_summary = {"success": False, "rows_failed": p.manifest.rows_bad,
                                     "failed_expectations": counts}
    p.manifest.good_parquet = p.manifest.bad_parquet = None
    _fail(p.manifest, StructuralError(
        f"every row failed validation ({p.manifest.rows_bad} row(s)): {top}; "
        f"first: {reasons[first][0]}"), _read(p.file), p.entity, out_dir)


def _count(reasons: dict[int, list[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for rs in reasons.values():
        for r in rs:
            key = r.split(" got ")[0]
            counts[key] = counts.get(key, 0) + 1
    return counts


def _write_parquet(table: pa.Table, path: Path) -> None:
    """A small file's rows (at most SMALL_FILE_ROWS) without compression, statistics or
    dictionaries: on a few rows they cost more to write than they save the publisher, which
    reads the file once (a year of the JSON exports, 1,460 files: ~0.15 ms a file, BENCHMARKS.md
    "Small files' repeats checked as a set of rows; small Parquet files written plain")."""
    if table.num_rows <= SMALL_FILE_ROWS:
        pq.write_table(table, path, compression="none", write_statistics=False, use_dictionary=False)
    else:
        pq.write_table(table, path)


def _write_file_outputs(p: _Parsed, frame: pd.DataFrame, reasons: dict[int, list[str]],
                        out_dir: Path, written: tuple[Path, int, int] | None = None) -> None:
    """`written`: the batch's Parquet file already holding the file's rows (start, stop), when
    every row passed (`_small_files_written_at_once`)."""
    m, entity = p.manifest, p.entity
    # Accounting is per source row: a row that became several records (a plan row per month)
    # is quarantined whole if any of its records fails, so rows_in always reconciles.
    if reasons:
        failed_rows = set(frame.loc[list(reasons), ROW_NUMBER])
        bad_mask = frame[ROW_NUMBER].isin(failed_rows)
        for i in frame.index[bad_mask]:
            reasons.setdefault(i, ["another record from the same source row failed"])
        good, bad = frame[~bad_mask], frame[bad_mask]
        m.rows_bad = len(failed_rows)
    else:  # most files: no split (a boolean filter copies every column, ~1 ms for a small file)
        good, bad = frame, frame.iloc[:0]
        m.rows_bad = 0
    m.rows_good = m.rows_in - m.rows_bad
    if len(good) and written is not None and not reasons:
        m.good_parquet, m.good_rows = str(written[0]), [written[1], written[2]]
    elif len(good):
        gp = out_dir / f"{m.load_id}.good.parquet"
        _write_parquet(_to_arrow(entity, good), gp)
        m.good_parquet = str(gp)
    if len(bad):
        bp = out_dir / f"{m.load_id}.bad.parquet"
        _write_parquet(pa.table({
            ROW_NUMBER: pa.array([int(x) for x in bad[ROW_NUMBER]], pa.int64()),
            "reason": pa.array(["; ".join(reasons[i]) for i in bad.index], pa.string()),
            "record": pa.array([_record_json(r) for _, r in bad.iterrows()], pa.string()),
        }), bp)
        m.bad_parquet = str(bp)
