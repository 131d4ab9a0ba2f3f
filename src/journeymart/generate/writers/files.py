"""Deterministic bytes on disk, and a tally of what was written.

Every export goes through `Landing`, which names the path, refuses to write a file without
data rows, makes gzip and JSON reproducible (mtime 0, no file name in the gzip header, key
order as built), and keeps the per-entity file/row counts and the spend each file carries, so
that `_truth.json` states exactly what the files add up to.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

CENT = 10_000
GZIP_LEVEL = 3  # on this repetitive JSON: half the time of level 6 for ~40% more bytes


def money(micros: int, places: int = 2, thousands: bool = False) -> str:
    """Exact fixed-decimal text of a non-negative amount held in integer micros."""
    if micros < 0:
        raise ValueError(f"negative money: {micros}")
    unit = 10 ** (6 - places)
    if micros % unit:
        raise ValueError(f"{micros} micros do not fit {places} decimals")
    whole, frac = divmod(micros // unit, 10**places)
    head = f"{whole:,}" if thousands else str(whole)
    return f"{head}.{frac:0{places}d}" if places else head


def cents(c: int) -> str:
    return money(int(c) * CENT)


@dataclass
class Tally:
    files: int = 0
    rows: int = 0


@dataclass
class Landing:
    root: Path
    tallies: dict[str, Tally] = field(default_factory=dict)  # "<channel>__<entity>"
    spend: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # channel/entity/currency
    files_written: int = 0

    def path(self, channel: str, d: date, name: str) -> Path:
        folder = self.root / channel / d.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def _record(self, channel: str, entity: str, rows: int, spend: dict[str, int] | None) -> None:
        t = self.tallies.setdefault(f"{channel}__{entity}", Tally())
        t.files += 1
        t.rows += rows
        self.files_written += 1
        for cur, micros in (spend or {}).items():
            by_cur = self.spend.setdefault(channel, {}).setdefault(entity, {})
            by_cur[cur] = by_cur.get(cur, 0) + int(micros)

    def write_bytes(self, channel: str, entity: str, d: date, name: str, data: bytes, rows: int,
                    spend: dict[str, int] | None = None) -> None:
        if rows <= 0:
            return  # no data rows, no file
        self.path(channel, d, name).write_bytes(data)
        self._record(channel, entity, rows, spend)

    def csv(self, channel: str, entity: str, d: date, name: str, header: Sequence[str],
            rows: Sequence[Sequence[Any]], *, crlf: bool = False, bom: bool = False,
            preamble: Iterable[Sequence[str]] = (), spend: dict[str, int] | None = None) -> None:
        if not rows:
            return
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
        w.writerows(preamble)
        w.writerow(header)
        w.writerows(rows)
        data = buf.getvalue().encode("utf-8")
        self.write_bytes(channel, entity, d, name, (b"\xef\xbb\xbf" + data) if bom else data, len(rows), spend)

    def json(self, channel: str, entity: str, d: date, name: str, doc: Any, rows: int,
             spend: dict[str, int] | None = None) -> None:
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.write_bytes(channel, entity, d, name, data, rows, spend)

    def gzip_lines(self, channel: str, entity: str, d: date, name: str,
                   chunks: Iterable[tuple[str, int]]) -> int:
        """Stream blocks of complete lines, with their line counts, into a reproducible .gz
        (a day never sits in memory whole)."""
        path = self.path(channel, d, name)
        rows = 0
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                   compresslevel=GZIP_LEVEL) as gz:
            for text, n in chunks:
                rows += n
                gz.write(text.encode("utf-8"))
        if rows == 0:
            path.unlink()
            return 0
        self._record(channel, entity, rows, None)
        return rows
