"""Direct identifiers never reach the warehouse: they become a keyed hash at parse time."""

from __future__ import annotations

import hashlib
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
    return hmac.new(key, normalise_email(str(value)).encode(), hashlib.sha256).hexdigest()


def hash_pii(entity: Entity, frame: pd.DataFrame, key: bytes | None = None) -> pd.DataFrame:
    """Replace each native identifier column by its warehouse `*_hash` column, in place order."""
    if not entity.pii:
        return frame
    key = key or pii_key()
    frame = frame.copy()
    for native, hashed in entity.pii.items():
        if native in frame.columns:
            frame[hashed] = [hash_identifier(v, key) for v in frame[native]]
            frame = frame.drop(columns=[native])
        elif hashed not in frame.columns:
            frame[hashed] = None
    ordered = [c for c in entity.columns if c in frame.columns]
    return frame[ordered + [c for c in frame.columns if c not in ordered]]
