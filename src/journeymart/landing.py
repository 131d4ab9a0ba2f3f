"""The landing zone, opened through Airflow's ObjectStoragePath.

Local folder by default; `JOURNEYMART_LANDING_URL=s3://bucket/prefix` (with
apache-airflow-providers-amazon and the connection in `JOURNEYMART_LANDING_CONN_ID`) or
`gs://...` (apache-airflow-providers-google) switch it without code changes.
Layout: `<root>/<channel>/<YYYY-MM-DD>/<file>`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

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
    size: int | None = field(default=None, compare=False, repr=False)  # bytes, as listed

    def open_path(self):
        from airflow.sdk import ObjectStoragePath

        conn_id = os.environ.get("JOURNEYMART_LANDING_CONN_ID")
        return ObjectStoragePath(self.url, conn_id=conn_id) if conn_id else ObjectStoragePath(self.url)


def list_exports(channel_id: str, day: date) -> list[ExportFile]:
    """Files delivered for a channel and partition date, sorted by name (stable load order).

    Symlinks are listed too: the stage step refuses them with a reason instead of following
    them out of the landing zone.
    """
    return exports_by_day(channel_id, [day]).get(day, [])


def exports_by_day(channel_id: str, days: Iterable[date]) -> dict[date, list[ExportFile]]:
    """`list_exports` for each of `days` that has a folder. The channel's folder is listed
    once for its day folders, then each such day once, by the store's own listing (fsspec
    `ls` with details: names, kinds and sizes): a path object per day and per file, and an
    `exists` per day, took 4.6 s to list a year of 14 channels (on an object store each is a
    request). A file's URL is its folder's plus its name, as `folder / name` gives it."""
    base = root() / channel_id
    fs = base.fs
    try:
        folders = {_basename(info["name"]): info for info in fs.ls(base.path, detail=True)}
    except (FileNotFoundError, NotADirectoryError):
        return {}
    out: dict[date, list[ExportFile]] = {}
    for day in days:
        info = folders.get(day.isoformat())
        if info is None or not _is_folder(info, lambda day=day: base / day.isoformat()):
            continue
        folder = base / day.isoformat()
        prefix = f"{folder}/"
        files = []
        for entry in fs.ls(folder.path, detail=True):
            name = _basename(entry["name"])
            if name.startswith(".") or _is_folder(entry, lambda name=name, folder=folder: folder / name):
                continue
            shown = printable_name(name)
            files.append(ExportFile(channel_id, day, shown, prefix + shown, entry.get("size")))
        out[day] = sorted(files, key=lambda f: f.name)
    return out


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _is_folder(info: dict[str, Any], path: Callable[[], Any]) -> bool:
    """A folder by its listing; an entry the listing calls neither a file nor a folder (a
    symlink) by its path, which follows links as the path objects' listing did."""
    kind = info.get("type")
    if kind in ("file", "directory"):
        return kind == "directory"
    return _is_dir(path())


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
