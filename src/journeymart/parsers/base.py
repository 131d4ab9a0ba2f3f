"""What every channel parser promises, and the small readers they share.

A parser takes the bytes of one native export file and returns a `Parsed`: a pandas frame
whose columns are exactly the entity's registry columns (plus `_row_number`, the row's
position in the original file, 1-based, counted the way a person opening the file would:
data line for CSV after the header, line for NDJSON, element index + 1 for JSON arrays).

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
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from journeymart.registry import Entity

ROW_NUMBER = "_row_number"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class StructuralError(ValueError):
    """The file as a whole cannot be loaded; the message is the quarantine reason."""


@dataclass
class Parsed:
    frame: pd.DataFrame
    rows_in: int  # data rows the file holds (header, preamble and footer excluded)
    notes: tuple[str, ...] = ()  # e.g. "skipped 3 title rows", "skipped totals footer"


# ---------------------------------------------------------------------------------------
# bytes -> text


def decompress(data: bytes, name: str) -> bytes:
    if name.endswith(".gz") or data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise StructuralError(f"corrupt gzip: {exc}") from exc
    return data


def decode(data: bytes) -> str:
    """UTF-8 (BOM tolerated) only: exports that arrive in another encoding are refused with a
    clear reason rather than guessed, because a wrong guess corrupts names silently."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise StructuralError("file is UTF-16 encoded; expected UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StructuralError(
            f"file is not valid UTF-8 (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
            "re-export as UTF-8"
        ) from exc
    if "\x00" in text:
        raise StructuralError("file contains NUL bytes (binary or UTF-16 data)")
    return text


def read_text(data: bytes, name: str) -> str:
    return decode(decompress(data, name))


# ---------------------------------------------------------------------------------------
# CSV


def csv_rows(text: str, *, header_startswith: str | None = None) -> tuple[list[str], Iterator[tuple[int, list[str]]], int]:
    """Header, an iterator of (row_number, cells), and how many preamble lines were skipped.

    `header_startswith`: skip title rows until a line whose first cell equals this value
    (LinkedIn-style preambles). CRLF and a BOM are tolerated.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
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
            if not cells or all(not c.strip() for c in cells):
                continue
            n += 1
            yield n, cells

    return header, rows(), skipped


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


def to_decimal(v: Any) -> Decimal | str | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        return Decimal(repr(v))  # JSON numbers: keep the printed digits, not binary noise
    s = str(v).strip()
    try:
        d = Decimal(s)
    except InvalidOperation:
        return str(v)
    return d if d.is_finite() else str(v)


def micros_to_decimal(v: Any) -> Decimal | str | None:
    i = to_int(v)
    return Decimal(i).scaleb(-6) if isinstance(i, int) else i


_INT = re.compile(r"^[+-]?\d+$")


def to_int(v: Any) -> int | str | None:
    if _blank(v):
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() else repr(v)
    s = str(v).strip()
    if _INT.match(s):
        return int(s)
    if re.match(r"^[+-]?\d+\.0+$", s):  # "12.0" from spreadsheets
        return int(s.split(".")[0])
    return str(v)


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
        return v if v.tzinfo else v.replace(tzinfo=ZoneInfo(tz))
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
    return dt if dt.tzinfo else dt.replace(tzinfo=ZoneInfo(tz))


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
        return v if v.strip() else None
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


def build_frame(entity: Entity, records: Iterable[dict[str, Any]], *,
                native_columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Frame with the entity's columns (+ PII source columns) from dicts already holding
    typed values (or original strings where a cast failed). Missing keys become None."""
    cols = [c for c in entity.columns if c not in entity.pii.values()] + list(entity.pii)
    cols.append(ROW_NUMBER)
    frame = pd.DataFrame.from_records(list(records), columns=cols)
    return frame.astype(object).where(frame.notna(), None)


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
