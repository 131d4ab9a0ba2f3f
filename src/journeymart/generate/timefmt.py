"""Day boundaries in a time zone and vectorised timestamp formatting.

Timestamps travel through the generator as int64 epoch seconds (or microseconds for GA4); they
only become text in the writers, in the native style of each export.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np


@cache
def zone(tz: str) -> ZoneInfo:
    return ZoneInfo(tz)


def day_bounds(d: date, tz: str) -> tuple[int, int]:
    """(epoch seconds of local midnight, length of the local day in seconds: 23/24/25 h)."""
    z = zone(tz)
    start = datetime(d.year, d.month, d.day, tzinfo=z)
    nxt = d + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=z)
    return int(start.timestamp()), int(end.timestamp() - start.timestamp())


def local_epoch(d: date, hour: int, minute: int, tz: str) -> int:
    """Epoch seconds of a wall-clock time in a zone (09:00 stays 09:00 across DST changes)."""
    return int(datetime(d.year, d.month, d.day, hour, minute, tzinfo=zone(tz)).timestamp())


def _offsets(epochs: np.ndarray, tz: str) -> np.ndarray:
    """UTC offset in seconds for each epoch; zones change offset on the hour, so one lookup per
    distinct hour is enough."""
    hours = epochs // 3600
    uniq, inverse = np.unique(hours, return_inverse=True)
    z = zone(tz)
    offs = np.array(
        [int(datetime.fromtimestamp(int(h) * 3600, tz=z).utcoffset().total_seconds()) for h in uniq],
        dtype=np.int64,
    )
    return offs[inverse]


def _iso_seconds(epochs: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DDTHH:MM:SS' strings (numpy unicode array)."""
    return np.datetime_as_string(np.asarray(epochs, dtype=np.int64).astype("datetime64[s]"), unit="s")


def _offset_text(offs: np.ndarray, colon: bool) -> list[str]:
    out = []
    for o in offs.tolist():
        sign = "-" if o < 0 else "+"
        h, m = divmod(abs(o) // 60, 60)
        out.append(f"{sign}{h:02d}:{m:02d}" if colon else f"{sign}{h:02d}{m:02d}")
    return out


def utc_z(epochs: np.ndarray) -> list[str]:
    """2026-01-05T14:03:11Z"""
    return [s + "Z" for s in _iso_seconds(epochs).tolist()]


def utc_naive(epochs: np.ndarray) -> list[str]:
    """2026-01-05 14:03:11 (UTC, no zone: AppsFlyer style)"""
    return [s.replace("T", " ") for s in _iso_seconds(epochs).tolist()]


def local_iso(epochs: np.ndarray, tz: str) -> list[str]:
    """2026-01-05T09:00:00-05:00"""
    epochs = np.asarray(epochs, dtype=np.int64)
    offs = _offsets(epochs, tz)
    texts = _iso_seconds(epochs + offs).tolist()
    return [t + o for t, o in zip(texts, _offset_text(offs, colon=True), strict=True)]


def local_shopify(epochs: np.ndarray, tz: str) -> list[str]:
    """2026-01-05 14:03:11 -0500"""
    epochs = np.asarray(epochs, dtype=np.int64)
    offs = _offsets(epochs, tz)
    texts = _iso_seconds(epochs + offs).tolist()
    return [t.replace("T", " ") + " " + o for t, o in zip(texts, _offset_text(offs, colon=False), strict=True)]


def local_naive(epochs: np.ndarray, tz: str) -> list[str]:
    """2026-01-05 14:03:11 in the zone's wall clock (Zoom style)"""
    epochs = np.asarray(epochs, dtype=np.int64)
    return [t.replace("T", " ") for t in _iso_seconds(epochs + _offsets(epochs, tz)).tolist()]


def epoch_of(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())
