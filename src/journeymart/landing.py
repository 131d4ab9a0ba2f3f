"""The landing zone, opened through Airflow's ObjectStoragePath.

Local folder by default; `JOURNEYMART_LANDING_URL=s3://bucket/prefix` (with
apache-airflow-providers-amazon and the connection in `JOURNEYMART_LANDING_CONN_ID`) or
`gs://...` (apache-airflow-providers-google) switch it without code changes.
Layout: `<root>/<channel>/<YYYY-MM-DD>/<file>`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date

from journeymart.config import paths


def root():
    from airflow.sdk import ObjectStoragePath

    url = paths().landing
    if "://" not in url:
        url = "file://" + os.path.abspath(url)
    conn_id = os.environ.get("JOURNEYMART_LANDING_CONN_ID")
    return ObjectStoragePath(url, conn_id=conn_id) if conn_id else ObjectStoragePath(url)


@dataclass(frozen=True)
class ExportFile:
    channel_id: str
    partition: date
    name: str
    url: str  # full ObjectStoragePath URL: what the ledger records as source_path

    def open_path(self):
        from airflow.sdk import ObjectStoragePath

        conn_id = os.environ.get("JOURNEYMART_LANDING_CONN_ID")
        return ObjectStoragePath(self.url, conn_id=conn_id) if conn_id else ObjectStoragePath(self.url)


def list_exports(channel_id: str, day: date) -> list[ExportFile]:
    """Files delivered for a channel and partition date, sorted by name (stable load order).

    Symlinks are listed too: the stage step refuses them with a reason instead of following
    them out of the landing zone.
    """
    folder = root() / channel_id / day.isoformat()
    if not folder.exists():
        return []
    files = [p for p in folder.iterdir() if not p.name.startswith(".")]
    return sorted((_export(channel_id, day, folder, p) for p in files if not _is_dir(p)),
                  key=lambda f: f.name)


def _export(channel_id: str, day: date, folder, p) -> ExportFile:
    name = printable_name(p.name)
    return ExportFile(channel_id, day, name, str(p) if name == p.name else str(folder / name))


def printable_name(name: str) -> str:
    """A local file name whose bytes are not UTF-8 arrives with surrogate escapes, which no
    database, JSON or Parquet writer accepts: show those bytes as `\\xNN` instead. Such a name
    no longer opens the file, so the stage step refuses it with a reason (rename as UTF-8)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def has_unprintable_bytes(name: str) -> bool:
    return bool(re.search(r"\\x[89a-f][0-9a-f]", name))


def _is_dir(p) -> bool:
    try:
        return p.is_dir()
    except OSError:
        return False
