"""Direct identifiers never reach the warehouse: they become a keyed hash at parse time."""

from __future__ import annotations

import hmac

import pandas as pd

from journeymart.config import pii_key
from journeymart.registry import Entity


def normalise_email(value: str) -> str:
    # The same person must hash the same across channels: trim and lower-case.
    return value.strip().lower()


def hash_identifier(value: str | None, key: bytes) -> str | None:
    if value is None:
        return None
    return hmac.digest(key, normalise_email(str(value)).encode(), "sha256").hex()


def _hash_column(values: list[object], key: bytes) -> list[str | None]:
    # Once per distinct address (one recurs on every open and click it makes), when every
    # cell is text: 1 and True would share a dict key, yet hash differently as text.
    if set(map(type, values)) <= {str, type(None)}:
        hashes = {v: hash_identifier(v, key) for v in set(values)}  # type: ignore[arg-type]
        return list(map(hashes.__getitem__, values))
    return [hash_identifier(v, key) for v in values]  # type: ignore[arg-type]


def hash_pii(entity: Entity, frame: pd.DataFrame, key: bytes | None = None) -> pd.DataFrame:
    """Replace each native identifier column by its warehouse `*_hash` column, in place order."""
    if not entity.pii:
        return frame
    key = key or pii_key()
    frame = frame.copy()
    for native, hashed in entity.pii.items():
        if native in frame.columns:
            frame[hashed] = _hash_column(frame[native].tolist(), key)
            frame = frame.drop(columns=[native])
        elif hashed not in frame.columns:
            frame[hashed] = None
    ordered = [c for c in entity.columns if c in frame.columns]
    return frame[ordered + [c for c in frame.columns if c not in ordered]]
