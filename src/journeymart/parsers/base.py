"""What every channel parser promises, and the small readers they share.

A parser takes the bytes of one native export file and returns a `Parsed`: a pandas frame
whose columns are exactly the entity's registry columns (plus `_row_number`, the row's
position in the original file, 1-based, counted the way a person opening the file would:
data line for CSV after the header, line for NDJSON, element index + 1 for JSON arrays).
Most parsers give the frame's columns (`FrameColumns`); the loader builds one frame of a
validation batch's files from them, and `Parsed.frame` builds a file's own when asked.

Typing rule (this is what lets Great Expectations check "castable types" row by row):
each typed cell holds a Python value of its type (Decimal, int, date, datetime, bool, str,
JSON text) or None when empty. A value that cannot be cast is kept as its *original string*
so that the suite's type expectation fails that row with the value visible in the reason,
instead of turning into a silent NULL.

A file that cannot be read as its format at all (bad encoding, broken JSON/gzip, a missing
required column, no header) raises `StructuralError` with a reason a person can act on; the
loader quarantines such a file whole.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from functools import partial
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from isal import igzip, isal_zlib

from journeymart.parsers import csv_arrow
from journeymart.registry import Entity

ROW_NUMBER = "_row_number"
# Why a row could only partly be read (ragged CSV row, invalid JSON line); the GE suite
# expects it to be null, so such rows are quarantined with this text as the reason.
PARSE_ERROR = "_parse_error"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class StructuralError(ValueError):
    """The file as a whole cannot be loaded; the message is the quarantine reason."""


@dataclass(frozen=True)
class FrameColumns:
    """A parser's frame before pandas builds it: object columns (`names`) of `rows` cells
    each. The loader builds one frame of a validation batch's files from their columns
    (`joined_frame`): a frame per small file cost ~0.2 ms in pandas alone (BENCHMARKS.md,
    "Small files' frames built per batch"). `missing_as_none`: NaN-like cells become None."""

    names: list[str]
    columns: list[Any]  # lists (or 1-D object arrays) of cells, one per name
    rows: int
    missing_as_none: bool = False

    def __post_init__(self) -> None:
        if len(self.names) != len(self.columns):
            raise ValueError(f"{len(self.names)} column names for {len(self.columns)} columns")
        for name, cells in zip(self.names, self.columns, strict=True):
            if len(cells) != self.rows:
                raise ValueError(f"column {name!r} has {len(cells)} cells, not {self.rows}")

    def frame(self) -> pd.DataFrame:
        return joined_frame([self])


class Parsed:
    """A parser's output: the frame (built on first use when the parser gave its columns), the
    data rows the file holds (header, preamble and footer excluded) and notes (e.g. "skipped 3
    title rows", "skipped totals footer")."""

    __slots__ = ("_built", "_columns", "notes", "rows_in")

    def __init__(self, frame: pd.DataFrame | FrameColumns, rows_in: int, notes: tuple[str, ...] = ()) -> None:
        self._built, self._columns = (None, frame) if isinstance(frame, FrameColumns) else (frame, None)
        self.rows_in, self.notes = rows_in, notes

    @property
    def frame(self) -> pd.DataFrame:
        if self._built is None:
            assert self._columns is not None
            self._built, self._columns = self._columns.frame(), None  # the cells once, not twice
        return self._built

    @property
    def unbuilt(self) -> FrameColumns | None:
        """The parser's columns, while the frame is not built from them yet."""
        return self._columns

    @property
    def rows(self) -> int:
        """The frame's rows (a file's record can be several rows, or none)."""
        return self._columns.rows if self._columns is not None else len(self.frame)

    def __repr__(self) -> str:
        return f"Parsed(rows={self.rows}, rows_in={self.rows_in}, notes={self.notes!r})"


# ---------------------------------------------------------------------------------------
# bytes -> text


def decompress(data: bytes, name: str) -> bytes:
    if name.endswith(".gz") or data[:2] == b"\x1f\x8b":
        if not data:
            raise StructuralError("file has no data rows: it is empty (0 bytes)")
        try:
            return _gunzip(data)
        except EOFError as exc:
            raise StructuralError(f"corrupt gzip: the file is truncated ({exc})") from exc
        except (OSError, zlib.error) as exc:
            raise StructuralError(f"corrupt gzip: {exc}") from exc
    return data


def _gunzip(data: bytes) -> bytes:
    """ISA-L's gunzip, faster than zlib's (the GA4 fast path: 28.2 -> 27.2 us of CPU per event,
    BENCHMARKS.md "Gunzip by ISA-L"). The usual file, one member and nothing after it, is
    inflated in one call into one buffer (a GA4 day, 48 MB: 71 -> 41 ms; `igzip.decompress`
    reads in blocks and joins them); the member's CRC and length are checked by the inflate.
    Anything else (several members, bytes after the end, a fault) goes to `igzip.decompress`,
    and on a failure there the standard library decompresses again: ISA-L names some faults
    differently (trailing bytes read as "truncated"), and the standard library's error is the
    one reported."""
    try:
        one = isal_zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
        out = one.decompress(data)
        if one.eof and not one.unused_data:
            return out
    except Exception:  # noqa: BLE001 - the readers below report it
        pass
    try:
        return igzip.decompress(data)
    except Exception:  # noqa: BLE001 - gzip below raises the error to report, or agrees
        return gzip.decompress(data)


def decode(data: bytes) -> str:
    """UTF-8 (BOM tolerated) only: exports that arrive in another encoding are refused with a
    clear reason rather than guessed, because a wrong guess corrupts names silently."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise StructuralError("wrong encoding: file is UTF-16 (byte-order mark); expected UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StructuralError(
            f"wrong encoding: file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}; Latin-1 or Windows-1252?); re-export as UTF-8"
        ) from exc
    if "\x00" in text:
        raise StructuralError("wrong encoding: file contains NUL bytes "
                              "(UTF-16 without a byte-order mark, or binary data); expected UTF-8")
    return text


def read_text(data: bytes, name: str) -> str:
    text = decode(decompress(data, name))
    if not text or text.isspace():  # not text.strip(), without copying the text
        raise StructuralError("file has no data rows: it is empty (0 bytes)" if not data
                              else "file has no data rows: it is blank")
    return text


# ---------------------------------------------------------------------------------------
# CSV


def csv_rows(text: str, *, header_startswith: str | None = None,
             strict: bool = False) -> tuple[list[str], Iterator[tuple[int, list[str]]], int]:
    """Header, an iterator of (row_number, cells), and how many preamble lines were skipped.

    `header_startswith`: skip title rows until a line whose first cell equals this value
    (LinkedIn-style preambles). CRLF and a BOM are tolerated. `strict`: csv.Error on what
    the lenient reader would patch up (text after a closing quote, a quote left open).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=strict)
    skipped = 0
    header: list[str] | None = None
    for cells in reader:
        if header_startswith is None or (cells and cells[0].strip() == header_startswith):
            header = [c.strip() for c in cells]
            break
        skipped += 1
    if not header or header == [""]:
        raise StructuralError("file has no header row")

    def rows() -> Iterator[tuple[int, list[str]]]:
        n = 0
        for cells in reader:
            if not any(map(str.strip, cells)):  # no cells, or only blank ones
                continue
            n += 1
            yield n, cells

    return header, rows(), skipped


_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def wrong_delimiter(line: str) -> str | None:
    """The delimiter a header line is split by when it is not a comma (None if it is)."""
    if "," in line:
        return None
    counts = {d: line.count(d) for d in _OTHER_DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def delimiter_error(line: str) -> StructuralError | None:
    d = wrong_delimiter(line)
    if d is None:
        return None
    return StructuralError(f"wrong delimiter: the header is separated by {_OTHER_DELIMITERS[d]}s "
                           f"({d!r}), expected commas")


def truncation(text: str) -> str | None:
    """Why the text looks cut off (None if it does not): it ends inside a quoted field, or its
    last line has no line ending (the caller checks that line is also incomplete)."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), strict=True):
            pass
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            return "it ends inside a quoted field (an unterminated quote)"
    return None


def require_columns(present: Iterable[str], needed: Iterable[str], what: str = "header") -> None:
    missing = [c for c in needed if c not in set(present)]
    if missing:
        raise StructuralError(f"missing required columns in {what}: {', '.join(missing)}")


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StructuralError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc


# ---------------------------------------------------------------------------------------
# cell casts: return the typed value, None for empty, or the original string if uncastable

NULLS = {"", "-", "--", "null", "NULL", "None", "N/A", "n/a"}


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() in NULLS)


# raw.* holds DECIMAL(18,6) and BIGINT: a value beyond them must fail its row's type check,
# not crash the Parquet/DuckDB write of the whole batch.
DECIMAL_LIMIT = Decimal(10) ** 12
INT64 = range(-(2**63), 2**63)


def to_decimal(v: Any) -> Decimal | str | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        d = Decimal(v)
    elif isinstance(v, float):
        d = Decimal(repr(v))  # JSON numbers: keep the printed digits, not binary noise
    else:
        try:
            d = Decimal(str(v).strip())
        except InvalidOperation:
            return str(v)
    return d if d.is_finite() and abs(d) < DECIMAL_LIMIT else str(v)


def micros_to_decimal(v: Any) -> Decimal | str | None:
    i = to_int(ungroup(v))  # grouped like its sibling cost_micros column ("744,889")
    return Decimal(i).scaleb(-6) if isinstance(i, int) else i


_INT = re.compile(r"^[+-]?\d+$")


def to_int(v: Any) -> int | str | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        i = v
    elif isinstance(v, float):
        if not v.is_integer():
            return repr(v)
        i = int(v)
    else:
        s = str(v).strip()
        if _INT.match(s):
            i = int(s)
        elif re.match(r"^[+-]?\d+\.0+$", s):  # "12.0" from spreadsheets
            i = int(s.split(".")[0])
        else:
            return str(v)
    return i if i in INT64 else str(v)


def to_str(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return None if s in NULLS else s


def to_bool(v: Any) -> bool | str | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in {"true", "yes", "y", "1"}:
        return True
    if s in {"false", "no", "n", "0"}:
        return False
    return str(v)


def to_date(v: Any, formats: tuple[str, ...] = ("%Y-%m-%d", "%Y%m%d")) -> date | str | None:
    if _blank(v):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    s = str(v).strip()
    for fmt in formats:
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return str(v)


def to_timestamp(v: Any, tz: str = "UTC",
                 formats: tuple[str, ...] = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")) -> datetime | str | None:
    """An aware datetime. Strings with an offset keep it; naive strings are read in `tz`
    (the account's zone), never assumed UTC."""
    if _blank(v):
        return None
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=zone(tz))
    s = str(v).strip()
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        dt = None
        for fmt in formats:
            try:
                dt = datetime.strptime(s, fmt)
                break
            except ValueError:
                continue
        if dt is None:
            return str(v)
    return dt if dt.tzinfo else dt.replace(tzinfo=zone(tz))


def zone(tz: str) -> tzinfo:
    """The zone named `tz`; UTC as datetime's own UTC, the one `fromisoformat` gives an
    offset of +00:00 or a "Z" (`_iso_timestamp_column` relies on it)."""
    return UTC if tz == "UTC" else ZoneInfo(tz)


def to_local_timestamp(v: Any) -> datetime | str | None:
    """Wall-clock time in the account's zone, kept naive (the zone travels in its own column)."""
    ts = to_timestamp(v, "UTC")
    return ts.replace(tzinfo=None) if isinstance(ts, datetime) else ts


def micros_to_timestamp(v: Any) -> datetime | str | None:
    i = to_int(v)
    if not isinstance(i, int):
        return i
    return EPOCH + timedelta(microseconds=i)  # integer arithmetic: no float rounding


def to_json(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v if v and not v.isspace() else None  # v.strip() without copying the text
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


CASTS: dict[str, Callable[[Any], Any]] = {
    "string": to_str,
    "int": to_int,
    "decimal": to_decimal,
    "date": to_date,
    "timestamp": to_timestamp,
    "local_timestamp": to_local_timestamp,
    "bool": to_bool,
    "json": to_json,
}


def object_frame(names: list[str], columns: list[Any], rows: int, *,
                 missing_as_none: bool = False) -> pd.DataFrame:
    """A frame of object columns (`names`) from lists of `rows` cells each: `joined_frame` of
    one part."""
    return joined_frame([FrameColumns(names, columns, rows, missing_as_none)])


def joined_frame(parts: list[FrameColumns]) -> pd.DataFrame:
    """One frame of the parts' rows in order (every part has the same names), built as one
    2-D object array in pandas' own layout (a row per column), which the frame takes without
    a copy. From a dict of lists, pandas checks and converts each column on its own: 3 rows ×
    19 columns took 0.22 ms against 0.06 this way (BENCHMARKS.md, "Small files prepared as
    one batch"). `np.fromiter` fills a column without reading a cell that is a list as a row
    of cells. NaN, NaT and pd.NA cells become None, as `where(notna, None)` makes them, when a
    part asks for it (`missing_as_none`; on the other parts it changes nothing)."""
    names = parts[0].names
    if any(p.names != names for p in parts):
        raise ValueError("the parts' columns differ")
    rows = sum(p.rows for p in parts)
    block = np.empty((len(names), rows), dtype=object)
    for i in range(len(names)):
        cells = parts[0].columns[i] if len(parts) == 1 else chain.from_iterable(p.columns[i] for p in parts)
        block[i] = np.fromiter(cells, dtype=object, count=rows)
    if any(p.missing_as_none for p in parts):
        missing = pd.isna(block)
        if missing.any():
            block[missing] = None
    return pd.DataFrame(block.T, columns=names, dtype=object, copy=False)


def build_frame(entity: Entity, records: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Frame with the entity's columns (+ PII source columns) from dicts already holding
    typed values (or original strings where a cast failed). Missing keys become None, and so
    do NaN-like cells."""
    return record_columns(entity, records).frame()


def record_columns(entity: Entity, records: Iterable[dict[str, Any]]) -> FrameColumns:
    """`build_frame`'s columns, for the frame to be built later (`Parsed`)."""
    cols = frame_names(entity)
    # object columns: inferring dtypes would turn an int column holding a None into floats
    # (446 -> 446.0) and datetimes into pandas Timestamps.
    records = list(records)
    return FrameColumns(cols, [[r.get(c) for r in records] for c in cols], len(records), missing_as_none=True)


def build_frame_from_columns(entity: Entity, columns: dict[str, list[Any]], rows: int) -> pd.DataFrame:
    return cast_columns(entity, columns, rows).frame()


def cast_columns(entity: Entity, columns: dict[str, list[Any]], rows: int) -> FrameColumns:
    """`build_frame`'s columns from columns of cast outputs (a column not given is all None).
    A cast never returns NaN or NaT, and an uncast cell is the file's text or None, so
    `build_frame`'s NaN-to-None step would change nothing here (it cost 0.3-0.6 us per CSV
    row)."""
    cols = frame_names(entity)
    return FrameColumns(cols, [columns.get(c, [None] * rows) for c in cols], rows)


def frame_names(entity: Entity) -> list[str]:
    """A parser's frame's columns: the entity's (PII source columns for the ones hashed from
    them), the row number and the parse error."""
    return [c for c in entity.columns if c not in entity.pii.values()] + list(entity.pii) + [ROW_NUMBER, PARSE_ERROR]


WHOLE_FRAME_ROWS = 1_000  # `column_lists` reads a frame of up to this many rows as one array


def column_lists(frame: pd.DataFrame, columns: Iterable[str]) -> list[list[Any]]:
    """Each of `columns`' cells, as `frame[column].tolist()` gives them. A small frame is read
    as one object array: `frame[column]` costs ~9 us a column in pandas' bookkeeping, more
    than all of a small file's cells (BENCHMARKS.md, "Small files prepared as one batch").
    A large frame column by column: its array could be a copy of every column."""
    columns = list(columns)
    if len(frame) > WHOLE_FRAME_ROWS:
        return [frame[c].tolist() for c in columns]
    # a dict, not `columns.get_indexer`: ~6 against ~45 us for twenty names
    position = {c: i for i, c in enumerate(frame.columns.tolist())}
    if missing := [c for c in columns if c not in position]:
        raise KeyError(missing)
    cells = frame.to_numpy(dtype=object)
    return [cells[:, position[c]].tolist() for c in columns]


def cast_record(entity: Entity, values: dict[str, Any], *, tz: str = "UTC") -> dict[str, Any]:
    """Cast native cell values by the entity's column types (timestamps read in `tz`)."""
    out: dict[str, Any] = {}
    for col, typ in entity.columns.items():
        if col not in values:
            continue
        v = values[col]
        out[col] = to_timestamp(v, tz) if typ == "timestamp" else CASTS[typ](v)
    for src in entity.pii:
        if src in values:
            out[src] = to_str(values[src])
    return out


# ---------------------------------------------------------------------------------------
# shared building blocks for the channel parsers

# A thousands-grouped number: "12,345.00", "1,234,567", "-1,000.5". Anything else that holds
# a comma ("12,5" = a decimal comma, "1,23") is left alone so its cast fails visibly.
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def ungroup(v: Any) -> Any:
    """Strip thousands separators from a string that is exactly a grouped number."""
    if isinstance(v, str) and _GROUPED.match(v.strip()):
        return v.strip().replace(",", "")
    return v


def to_money(v: Any) -> Decimal | str | None:
    return to_decimal(ungroup(v))


def to_count(v: Any) -> int | str | None:
    return to_int(ungroup(v))


def date_cast(*formats: str) -> Callable[[Any], date | str | None]:
    """A date cast for a format the default (ISO, YYYYMMDD) does not cover, e.g. '%m/%d/%Y'."""
    return lambda v: to_date(v, formats)


def dig(obj: Any, *keys: str) -> Any:
    """obj[k1][k2]... or None as soon as a level is missing or not an object."""
    for k in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(k)
    return obj


def row_casts(tz: str) -> dict[str, Callable[[Any], Any]]:
    """`cast_row`'s cast per column type: thousands separators accepted in decimals and ints,
    naive timestamps read in `tz`."""
    return {**CASTS, "decimal": to_money, "int": to_count, "timestamp": partial(to_timestamp, tz=tz)}


def cast_row(entity: Entity, values: dict[str, Any], *, tz: str,
             casts: dict[str, Callable[[Any], Any]] | None = None) -> dict[str, Any]:
    """Cast warehouse-named values by column type, with per-column overrides.

    Unlike `cast_record`, decimals and ints accept thousands separators (agency and finance
    sheets write "12,345.00"), and PII source columns (entity.pii keys) pass through as text.
    """
    return cast_with(row_plan(entity, tz=tz, casts=casts), values)


def row_plan(entity: Entity, *, tz: str,
             casts: dict[str, Callable[[Any], Any]] | None = None) -> dict[str, Callable[[Any], Any]]:
    """`cast_row`'s cast for each column it casts, for `cast_with`: worked out once per file
    rather than per row (~1.5 us a JSON record, BENCHMARKS.md "Small files' frames built per
    batch")."""
    default = row_casts(tz)
    types = {**entity.columns, **{src: "string" for src in entity.pii}}
    return {col: default[typ] for col, typ in types.items()} | (casts or {})


def cast_with(plan: dict[str, Callable[[Any], Any]], values: dict[str, Any]) -> dict[str, Any]:
    """`cast_row` by a `row_plan`: a column the plan has no cast for (e.g. _row_number) is
    kept as it is."""
    out: dict[str, Any] = {}
    for col, v in values.items():
        cast = plan.get(col)
        out[col] = v if cast is None else cast(v)
    return out


def finish(entity: Entity, records: list[dict[str, Any]], rows_in: int,
           notes: Iterable[str] = ()) -> Parsed:
    if rows_in == 0:
        raise StructuralError("file has no data rows (header only)")
    return Parsed(record_columns(entity, records), rows_in, tuple(notes))


def norm_header(header: str) -> str:
    """Header names compare ignoring case and extra spaces ("Created At" == "Created at")."""
    return " ".join(header.strip().lower().split())


@dataclass
class CsvTable:
    """A CSV file's header and data rows, with title rows and a totals footer removed."""

    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number after the header, cells)
    notes: list[str]

    def __post_init__(self) -> None:
        self.names = [norm_header(h) for h in self.header]
        # A row with more or fewer cells than the header (an unquoted comma, a lost one) has
        # cells that may sit under the wrong column: such rows are not cast (see `uncast`).
        self.ragged = {n: len(cells) for n, cells in self.rows if len(cells) != len(self.header)}

    def ragged_reason(self, n: int) -> str:
        return f"row {n} has {self.ragged[n]} cells but the header has {len(self.header)}"

    def has(self, column: str) -> bool:
        return norm_header(column) in self.names

    @staticmethod
    def value(row: dict[str, str], column: str) -> str | None:
        """The cell of `column` in a row from `dicts()` (None when absent or short row)."""
        return row.get(norm_header(column))

    def dicts(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(row number, {normalised header: cell}); a short row misses its last keys."""
        for n, cells in self.rows:
            row: dict[str, str] = {}
            for name, cell in zip(self.names, cells, strict=False):
                row.setdefault(name, cell)  # first occurrence of a duplicated header wins
            yield n, row


def _is_total(cells: list[str]) -> bool:
    return bool(cells) and cells[0].strip().lower().startswith("total")


def read_csv(data: bytes, name: str, *, header_startswith: str | None = None) -> CsvTable:
    """Decode, find the header (after title rows when `header_startswith` is given), read the
    data rows and drop a trailing totals footer (first cell starting with "Total")."""
    text = read_text(data, name)
    try:
        # Strictly first: on CSV the strict reader accepts, the lenient one reads the same
        # cells, and the text cannot end inside a quote (`truncation` would find nothing), so
        # a clean file is read once instead of twice. Otherwise the lenient reader decides.
        try:
            header, rows, skipped = csv_rows(text, header_startswith=header_startswith, strict=True)
            body = list(rows)
            strict = True
        except csv.Error:
            header, rows, skipped = csv_rows(text, header_startswith=header_startswith)
            body = list(rows)
            strict = False
    except StructuralError as exc:
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        lines = [ln for ln in text.splitlines() if header_startswith and ln.startswith(header_startswith)]
        wrong = delimiter_error(lines[0] if lines else first)
        if wrong:
            raise wrong from exc
        if header_startswith:
            raise StructuralError(f"no header row (a line starting with {header_startswith!r})") from exc
        raise
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise StructuralError(
                f"a single field is longer than {csv.field_size_limit()} characters (one giant "
                "line: lost line breaks or an unterminated quote?)") from exc
        raise StructuralError(f"file is not valid CSV: {exc}") from exc
    if len(header) == 1:
        wrong = delimiter_error(text.splitlines()[skipped] if skipped else header[0])
        if wrong:
            raise wrong
    notes: list[str] = []
    if skipped:
        notes.append(f"skipped {skipped} title row(s) before the header")
    footer = 0
    while body and _is_total(body[-1][1]):
        body.pop()
        footer += 1
    if footer:
        notes.append(f"skipped {footer} totals footer row(s)")
    table = CsvTable(header, body, notes)
    cut = None if strict else truncation(text)
    if cut is None and body and not text.endswith(("\n", "\r")):
        last = body[-1][0]
        if last in table.ragged and table.ragged[last] < len(table.header):
            cut = f"its last line (row {last}) has {table.ragged[last]} of {len(table.header)} cells and no line ending"
    if cut:
        raise StructuralError(f"file is truncated: {cut}")
    if table.ragged:
        notes.append(f"{len(table.ragged)} row(s) have a cell count different from the header "
                     f"(first: row {min(table.ragged)}); their cells are kept uncast so the type "
                     "check quarantines them")
    return table


def uncast(values: dict[str, Any]) -> dict[str, Any]:
    """Cells kept as their original text: for rows whose cells cannot be trusted to be under
    their header, so every typed column fails the suite's type check instead of loading."""
    return {k: to_str(v) for k, v in values.items()}


def parse_csv(data: bytes, name: str, entity: Entity, fields: dict[str, str | tuple[str, ...]],
              *, tz: str, casts: dict[str, Callable[[Any], Any]] | None = None,
              header_startswith: str | None = None) -> Parsed:
    """The whole job for a flat CSV export whose columns map one-to-one onto the entity.

    fields:   native header -> target column(s) (warehouse column, or the PII source name
              for entity.pii columns); header matching ignores case and extra spaces
    tz:       zone for naive timestamps
    casts:    per-target cast overrides (date formats, micros, ...)

    Native columns backing a required column must be in the header (else StructuralError
    naming them); other absent columns load as NULL and are mentioned in the notes.

    Cells are cast a column at a time, once per distinct value (a day of app events holds a
    few dozen event names, one app id): the same casts as `parse_csv_rowwise`, the reference
    it must equal (tests/test_fast_path.py), in a different order. A cast that raises sends
    the file to the row loop, so the error is the one its first such row gives. Files without
    title rows and of at least ARROW_CSV_MIN_BYTES are read by Arrow when `csv_arrow` can prove
    it reads them like the csv module (e-mail activity 8.6 -> 7.0, app events 15.6 -> 13.1 us
    per row staged, BENCHMARKS.md).
    """
    if header_startswith is None:
        try:
            arrow = arrow_csv(data, name, min_bytes=ARROW_CSV_MIN_BYTES)
        except Exception:  # noqa: BLE001 - the csv module's reading below gives the reason
            arrow = None
        if arrow is not None:
            try:
                return _arrow_parsed(arrow, entity, fields, tz=tz, casts=casts)
            except _CastRaised:  # the row loop raises it again, for its first such row
                return parse_csv_rowwise(data, name, entity, fields, tz=tz, casts=casts)
    table, targets, absent, notes = _csv_layout(data, name, entity, fields, header_startswith)
    if not table.rows:
        return finish(entity, [], 0, notes)
    try:
        columns = _csv_columns(entity, table, targets, absent, tz=tz, casts=casts)
    except Exception:  # noqa: BLE001 - the row loop raises it again, for its first such row
        return parse_csv_rowwise(data, name, entity, fields, tz=tz, casts=casts,
                                 header_startswith=header_startswith)
    return Parsed(cast_columns(entity, columns, len(table.rows)), len(table.rows), tuple(notes))


# Arrow's reader has a fixed cost per file (the call and a dictionary encoding per column):
# below this many decompressed bytes the csv module reads a file faster (BENCHMARKS.md,
# "Small files' fixed costs"). Both give the same cells (tests/test_fast_path.py).
ARROW_CSV_MIN_BYTES = 64 * 1024


class _CastRaised(Exception):
    """A cast raised on a cell: `parse_csv` leaves the file to the row loop."""


def arrow_csv(data: bytes, name: str, min_bytes: int = 0) -> csv_arrow.ArrowCsv | None:
    """The file's cells read by Arrow (`csv_arrow`), or None when the csv module must read it
    (or should: under `min_bytes` once decompressed)."""
    raw = decompress(data, name)
    if len(raw) < min_bytes:
        return None
    return csv_arrow.read(raw, decode(raw))


def _arrow_parsed(arrow: csv_arrow.ArrowCsv, entity: Entity, fields: dict[str, str | tuple[str, ...]],
                  *, tz: str, casts: dict[str, Callable[[Any], Any]] | None) -> Parsed:
    """`_csv_columns` on Arrow's cells: each distinct cell of a column cast once (`cast_row`'s
    cast for its target), the column built by one take of the casts by the rows' codes."""
    table, targets, absent, notes = _layout(CsvTable(arrow.header, [], []), entity, fields)
    out: dict[str, Any] = {}
    for t, i, cast in _column_casts(entity, table, targets, absent, tz=tz, casts=casts):
        column = arrow.columns[i]
        try:
            done = cast_distinct(cast, column.distinct)
        except Exception as exc:  # noqa: BLE001
            raise _CastRaised from exc
        values = np.empty(len(done), dtype=object)
        values[:] = done
        out[t] = values[column.codes]
    out[ROW_NUMBER] = list(range(1, arrow.rows + 1))
    out[PARSE_ERROR] = [None] * arrow.rows
    return Parsed(cast_columns(entity, out, arrow.rows), arrow.rows, tuple(notes))


def parse_csv_rowwise(data: bytes, name: str, entity: Entity, fields: dict[str, str | tuple[str, ...]],
                      *, tz: str, casts: dict[str, Callable[[Any], Any]] | None = None,
                      header_startswith: str | None = None) -> Parsed:
    """`parse_csv` one row at a time (a dict per row through `cast_row`): the reference."""
    table, targets, absent, notes = _csv_layout(data, name, entity, fields, header_startswith)
    records = []
    for n, row in table.dicts():
        values = {t: table.value(row, native)
                  for native, ts in targets.items() if native not in absent for t in ts}
        if n in table.ragged:
            record = uncast(values)
            record[PARSE_ERROR] = table.ragged_reason(n)
        else:
            record = cast_row(entity, values, tz=tz, casts=casts)
        record[ROW_NUMBER] = n
        records.append(record)
    return finish(entity, records, len(table.rows), notes)


def _csv_layout(data: bytes, name: str, entity: Entity, fields: dict[str, str | tuple[str, ...]],
                header_startswith: str | None,
                ) -> tuple[CsvTable, dict[str, tuple[str, ...]], list[str], list[str]]:
    """The file read as CSV, the target columns of each native column, the native columns
    the header lacks, and the notes; StructuralError when a required column is missing."""
    return _layout(read_csv(data, name, header_startswith=header_startswith), entity, fields)


def _layout(table: CsvTable, entity: Entity, fields: dict[str, str | tuple[str, ...]],
            ) -> tuple[CsvTable, dict[str, tuple[str, ...]], list[str], list[str]]:
    pii_required = {src for src, col in entity.pii.items() if col in entity.required}
    targets = {native: (t,) if isinstance(t, str) else t for native, t in fields.items()}
    needed = [native for native, ts in targets.items()
              if any(t in entity.required or t in pii_required for t in ts)]
    missing = [native for native in needed if not table.has(native)]
    known = {norm_header(native) for native in targets}
    unknown = [h for h, n in zip(table.header, table.names, strict=True) if n not in known]
    if missing:
        hint = f" (unexpected column(s) {', '.join(map(repr, unknown))}: renamed?)" if unknown else ""
        raise StructuralError(f"missing required columns in header: {', '.join(missing)}{hint}")
    notes = list(table.notes)
    absent = [native for native in targets if not table.has(native)]
    if absent:
        notes.append(f"columns absent, loaded as NULL: {', '.join(absent)}")
    if unknown:
        notes.append(f"extra columns not in the export spec, ignored: {', '.join(unknown)}")
    return table, targets, absent, notes


def _as_is(v: Any) -> Any:
    return v


def _micros_from_digits(s: str) -> datetime:
    return EPOCH + timedelta(microseconds=int(s))


def _micros_decimal_from_digits(s: str) -> Decimal:
    return Decimal(int(s)).scaleb(-6)


# What an int or epoch cast returns for a cell of 1 to 18 ASCII digits, the usual cell of
# count, id and timestamp columns, whose values are mostly distinct: the cast's own result
# for such a cell (no blank, sign, grouping, decimal point or INT64 bound applies to it),
# without its checks. A GA4 event's timestamp took 2.4-3.8 us through `micros_to_timestamp`
# and 1.4-2.0 us this way (BENCHMARKS.md, 2026-12-01 05:00).
_FROM_DIGITS: dict[Callable[[Any], Any], Callable[[str], Any]] = {
    to_int: int, to_count: int, micros_to_timestamp: _micros_from_digits,
    micros_to_decimal: _micros_decimal_from_digits,
}


def _digits(v: Any) -> bool:
    return type(v) is str and len(v) <= 18 and v.isdigit() and v.isascii()


def _all_digits(values: list[Any]) -> bool:
    """`all(map(_digits, values))` by whole-column passes: every value a str of 1 to 18
    characters, and their join ASCII digits (an empty value would hide in the join)."""
    if not values or set(map(type, values)) != {str}:
        return False
    if min(map(len, values)) < 1 or max(map(len, values)) > 18:
        return False
    joined = "".join(values)
    return joined.isascii() and joined.isdigit()


def _micros_column(values: list[str]) -> list[datetime]:
    return [EPOCH + timedelta(0, 0, i) for i in map(int, values)]


def _micros_decimal_column(values: list[str]) -> list[Decimal]:
    return [Decimal(i).scaleb(-6) for i in map(int, values)]


# `_FROM_DIGITS` for a whole column of digit cells: one check of the column and no call per
# cell (a GA4 event's timestamp 1.02 -> 0.78 us).
_FROM_DIGITS_COLUMN: dict[Callable[[Any], Any], Callable[[list[str]], list[Any]]] = {
    to_int: lambda vs: list(map(int, vs)), to_count: lambda vs: list(map(int, vs)),
    micros_to_timestamp: _micros_column, micros_to_decimal: _micros_decimal_column,
}


# A timestamp cell of the usual shapes: date, " " or "T", time to the second, an optional
# fraction. `re.ASCII`: `\d` is 0-9 only, as fromisoformat reads.
_ISO_SECONDS = r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,6})?"
_NAIVE_LINES = re.compile(rf"(?:{_ISO_SECONDS}\n)*", re.ASCII)
_UTC_LINES = re.compile(rf"(?:{_ISO_SECONDS}Z\n)*", re.ASCII)


def _timestamp_cast_zone(cast: Callable[[Any], Any]) -> str | None:
    """The zone of a `to_timestamp` cast (`row_casts`' partial, or CASTS' plain function)."""
    if cast is to_timestamp:
        return "UTC"
    if isinstance(cast, partial) and cast.func is to_timestamp and not cast.args and set(cast.keywords) == {"tz"}:
        return cast.keywords["tz"]
    return None


def _iso_timestamp_column(values: list[Any], tz: str) -> list[datetime] | None:
    """`to_timestamp` of a whole column of ISO cells, each by one `fromisoformat` (app events'
    times 1.25 -> 0.22 us, e-mail activity's 0.40 -> 0.15 us, BENCHMARKS.md), or None for a
    column with any other cell (blank, spaced, an offset, another layout), which is cast cell
    by cell. One regex over the joined column proves every cell's shape (a cell holding a
    newline can pass as two lines; fromisoformat refuses it, and the column goes cell by
    cell: tests/test_fast_path.py). For such a cell the cast's steps change nothing (no
    blank, nothing to strip, a "Z" only at the end, which fromisoformat reads as +00:00
    since Python 3.11), so it is fromisoformat's datetime: aware with "Z"; naive ones only
    in UTC, read with "+00:00" appended, as aware as `zone("UTC")` makes them. A cell
    fromisoformat refuses (month 13) sends the column cell by cell."""
    if not values or set(map(type, values)) != {str}:
        return None
    joined = "\n".join(values) + "\n"
    try:
        if _UTC_LINES.fullmatch(joined):
            return list(map(datetime.fromisoformat, values))
        if tz == "UTC" and _NAIVE_LINES.fullmatch(joined):
            return [datetime.fromisoformat(v + "+00:00") for v in values]
    except ValueError:
        return None
    return None


def cast_distinct(cast: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """`[cast(v) for v in values]` for a pure `cast` of hashable values: one call per distinct
    value (a day of app events holds a few dozen event names); straight through when every
    value is distinct (event timestamps), where a lookup table would only add its cost; int
    and epoch casts read plain digit cells directly (`_FROM_DIGITS`) when most are distinct.
    JSON text goes straight through: its cast is a blank test, cheaper than hashing long
    texts for the set (GA4's event_params, ~1.5 kB each: 0.75 -> 0.05 us per event).
    Timestamp columns of plain ISO cells are read whole (`_iso_timestamp_column`)."""
    if cast is to_json:
        return list(map(cast, values))
    if (tz := _timestamp_cast_zone(cast)) is not None and (done := _iso_timestamp_column(values, tz)) is not None:
        return done
    distinct = set(values)
    from_digits = _FROM_DIGITS.get(cast)
    if from_digits is not None and len(distinct) * 4 > len(values):
        if _all_digits(values):
            return _FROM_DIGITS_COLUMN[cast](values)
        return [from_digits(v) if _digits(v) else cast(v) for v in values]
    if len(distinct) == len(values):
        return list(map(cast, values))
    done = {v: cast(v) for v in distinct}
    return list(map(done.__getitem__, values))


def _column_casts(entity: Entity, table: CsvTable, targets: dict[str, tuple[str, ...]], absent: list[str],
                  *, tz: str, casts: dict[str, Callable[[Any], Any]] | None,
                  ) -> Iterator[tuple[str, int, Callable[[Any], Any]]]:
    """(target column, position of its native column in the header, `cast_row`'s cast for it),
    a native column's targets one after another."""
    casts = casts or {}
    default = row_casts(tz)
    types = {**entity.columns, **{src: "string" for src in entity.pii}}
    position: dict[str, int] = {}
    for i, header in enumerate(table.names):
        position.setdefault(header, i)  # first occurrence of a duplicated header wins
    for native, ts in targets.items():
        if native not in absent:
            for t in ts:
                yield t, position[norm_header(native)], casts.get(t) or default.get(types.get(t, ""), _as_is)


def _csv_columns(entity: Entity, table: CsvTable, targets: dict[str, tuple[str, ...]],
                 absent: list[str], *, tz: str, casts: dict[str, Callable[[Any], Any]] | None,
                 ) -> dict[str, list[Any]]:
    """`parse_csv_rowwise`'s records as columns: `cast_row`'s cast per target column, called
    once per distinct cell of the rows it casts; ragged rows keep their text (`uncast`)."""
    numbers = [n for n, _ in table.rows]
    ragged = [n in table.ragged for n in numbers]
    out: dict[str, list[Any]] = {}
    cells: list[Any] = []
    read = -1
    for t, i, cast in _column_casts(entity, table, targets, absent, tz=tz, casts=casts):
        if i != read:  # a native column's cells, once for all of its targets
            cells, read = [c[i] if i < len(c) else None for _, c in table.rows], i
        if not table.ragged:
            out[t] = cast_distinct(cast, cells)
            continue
        done = {v: cast(v) for v in {v for v, r in zip(cells, ragged, strict=True) if not r}}
        out[t] = [to_str(v) if r else done[v] for v, r in zip(cells, ragged, strict=True)]
    out[ROW_NUMBER] = numbers
    out[PARSE_ERROR] = [table.ragged_reason(n) if r else None for n, r in zip(numbers, ragged, strict=True)]
    return out


def json_list(doc: Any, *path: str) -> list[Any]:
    """The record list at doc[path...]; a clear StructuralError when the shape is different."""
    node = doc
    for i, key in enumerate(path):
        if not isinstance(node, dict) or key not in node:
            where = ".".join(path[:i]) or "top level"
            raise StructuralError(f"expected key {key!r} at {where} of the JSON document")
        node = node[key]
    if not isinstance(node, list):
        raise StructuralError(f"expected {'.'.join(path)} to be a JSON array, got {type(node).__name__}")
    return node


@dataclass
class NdjsonLine:
    line: int  # 1-based physical line number in the file
    obj: dict[str, Any] | None  # None when the line is not a JSON object
    raw: str
    error: str | None = None


def read_ndjson(data: bytes, name: str) -> tuple[list[NdjsonLine], list[str]]:
    """Every non-blank line of an NDJSON file. A line that is not a JSON object comes back with
    obj=None (the caller turns it into a row that quarantines), unless *no* line parses: then
    the file is not NDJSON at all and that is structural."""
    text = read_text(data, name)
    lines: list[NdjsonLine] = []
    # split on "\n" only: str.splitlines() would also split inside JSON strings holding
    # U+2028 or form feeds, which are valid unescaped in JSON.
    for i, raw in enumerate(text.split("\n"), start=1):
        raw = raw.removesuffix("\r")
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
            err = None if isinstance(obj, dict) else f"not a JSON object ({type(obj).__name__})"
        except json.JSONDecodeError as exc:
            obj, err = None, f"invalid JSON at column {exc.colno}: {exc.msg}"
        lines.append(NdjsonLine(i, obj if err is None else None, raw, err))
    if not lines:
        raise StructuralError("file has no data rows")
    if lines[-1].error and not text.endswith("\n"):
        raise StructuralError(f"file is truncated: its last line ({lines[-1].line}) is incomplete "
                              f"JSON with no line ending ({lines[-1].error})")
    bad = [ln for ln in lines if ln.error]
    if len(bad) == len(lines):
        raise StructuralError(f"no line is a valid JSON object; line {bad[0].line}: {bad[0].error}")
    notes = [f"line {ln.line}: {ln.error}; kept as a row for quarantine" for ln in bad[:5]]
    if len(bad) > 5:
        notes.append(f"... {len(bad) - 5} more invalid line(s)")
    return lines, notes


def json_records(entity: Entity, items: list[Any], extract: Callable[[dict[str, Any]], dict[str, Any]],
                 *, tz: str, casts: dict[str, Callable[[Any], Any]] | None = None,
                 ) -> tuple[list[dict[str, Any]], list[str]]:
    """Cast each element of a JSON record array (row number = index + 1). An element that is
    not an object becomes an all-NULL row, so it is quarantined rather than dropped."""
    records: list[dict[str, Any]] = []
    bad: list[int] = []
    plan = row_plan(entity, tz=tz, casts=casts)
    for i, item in enumerate(items, start=1):
        if isinstance(item, dict):
            values = extract(item)
        else:
            values = {}
            bad.append(i)
        record = cast_with(plan, values)
        record[ROW_NUMBER] = i
        records.append(record)
    notes = [f"{len(bad)} element(s) are not JSON objects (first: #{bad[0]})"] if bad else []
    return records, notes
