"""The landing zone, opened through Airflow's ObjectStoragePath.

Local folder by default; `JOURNEYMART_LANDING_URL=s3://bucket/prefix` (with
apache-airflow-providers-amazon and the connection in `JOURNEYMART_LANDING_CONN_ID`) or
`gs://...` (apache-airflow-providers-google) switch it without code changes.
Layout: `<root>/<channel>/<YYYY-MM-DD>/<file>`.
"""

from __future__ import annotations

import os
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
    return sorted(
        (ExportFile(channel_id, day, p.name, str(p)) for p in files if not _is_dir(p)),
        key=lambda f: f.name,
    )


def _is_dir(p) -> bool:
    try:
        return p.is_dir()
    except OSError:
        return False
