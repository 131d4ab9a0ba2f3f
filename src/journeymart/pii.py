"""Direct identifiers never reach the warehouse: they become a keyed hash while a file is staged,
before it is validated or written (stage._prepare_batch)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

import numpy as np
import pandas as pd

from journeymart.config import pii_key
from journeymart.parsers.base import WHOLE_FRAME_ROWS, column_lists, object_frame
from journeymart.registry import Entity

OBJECT = np.dtype(object)


def normalise_email(value: str) -> str:
    # The same person must hash the same across channels: trim and lower-case.
    return value.strip().lower()


@functools.lru_cache(maxsize=8)
def _hmac_sha256(key: bytes) -> Callable[[str], str]:
    """HMAC-SHA256 under `key` as hex, from the inner and outer hash states that have taken the
    key's padded block (RFC 2104), copied per value. `hmac.digest` sets up both key blocks
    again on every call: 2.2-2.8 µs per address (normalised and hex) against 1.0-1.3 this
    way (300,000 addresses, four runs). Equal to `hmac.digest(key, value, "sha256")`
    (tests/test_pii.py)."""
    block = hashlib.sha256().block_size
    padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    inner_start = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
    outer_start = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def digest(text: str) -> str:
        inner = inner_start.copy()
        inner.update(text.encode())
        outer = outer_start.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    return digest


def hash_identifier(value: str | None, key: bytes) -> str | None:
    """The identifier's keyed hash: HMAC-SHA256 of its normalised text, as hex."""
    if value is None:
        return None
    return _hmac_sha256(key)(normalise_email(str(value)))


# Hashes already computed in this process, per key: an address recurs on most days (a day of
# e-mail activity at 80k customers holds ~9.5k addresses, thirty days only ~31k in all), so a
# stage worker that hashes each file's distinct addresses anew repeats ~9 in 10 of them.
# Bounded: cleared when full (an entry holds ~165 bytes of hash and keeps its ~80-byte address
# alive, measured with tracemalloc: at most ~125 MB).
HASH_CACHE_ENTRIES = 500_000
_HASHES: dict[bytes, dict[object, str | None]] = {}


def _hash_column(values: list[object], key: bytes) -> list[str | None]:
    # Once per distinct address (one recurs on every open and click it makes, and on the next
    # day's), when every cell is text: 1 and True would share a dict key, yet hash differently
    # as text.
    if set(map(type, values)) <= {str, type(None)}:
        hashes = _HASHES.setdefault(key, {None: None})
        new = set(values).difference(hashes)
        if len(hashes) + len(new) > HASH_CACHE_ENTRIES:
            hashes.clear()
            hashes[None] = None
            new = set(values).difference(hashes)
        digest = _hmac_sha256(key)
        for v in new:
            hashes[v] = digest(normalise_email(v))  # type: ignore[arg-type]
        return list(map(hashes.__getitem__, values))
    return [hash_identifier(v, key) for v in values]  # type: ignore[arg-type]


def hash_pii(entity: Entity, frame: pd.DataFrame, key: bytes | None = None) -> pd.DataFrame:
    """Replace each native identifier column by its warehouse `*_hash` column, in place order.
    The new frame is built once from its columns: a copy, a `drop` per identifier and a
    reordering cost ~1.5 ms of pandas bookkeeping per file (BENCHMARKS.md, "Small files'
    fixed costs"). A small frame of object columns (as the parsers build them) is read and
    built as one array (`column_lists`, `object_frame`); a large one reuses its columns."""
    if not entity.pii:
        return frame
    key = key or pii_key()
    present = set(frame.columns)
    kept = [c for c in frame.columns if c not in entity.pii]
    natives = [n for n in entity.pii if n in present]
    small = len(frame) <= WHOLE_FRAME_ROWS and all(d == OBJECT for d in frame.dtypes)
    cells = dict(zip([*natives, *kept] if small else natives,
                     column_lists(frame, [*natives, *kept] if small else natives), strict=True))
    # object, as the parsers build every column: inferred as pandas' `str`, a missing
    # identifier would become NaN, which the Parquet writer refuses as text
    hashed: dict[str, list[str | None]] = {}
    for native, name in entity.pii.items():
        if native in present:
            hashed[name] = _hash_column(cells[native], key)
        elif name not in present:
            hashed[name] = [None] * len(frame)
    ordered = [c for c in entity.columns if c in hashed or c in kept]
    names = ordered + [c for c in [*kept, *hashed] if c not in ordered]
    if small:
        out = object_frame(names, [hashed[c] if c in hashed else cells[c] for c in names], len(frame))
        out.index = frame.index
        return out
    return pd.DataFrame({c: pd.Series(hashed[c], index=frame.index, dtype=object) if c in hashed else frame[c]
                         for c in names}, index=frame.index)
