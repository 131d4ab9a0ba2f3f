"""Read-only BI access on the embedded (DuckDB) warehouse: the released marts as Parquet.

DuckDB has no roles, and a BI tool holding the warehouse file open would block the loader
(one writing process per file, and a reader-only process excludes the writer). So after each
release every `marts.*` relation is exported to $JOURNEYMART_HOME/exports/<mart>.parquet, and
`exports/journeymart_bi.duckdb` holds one view per mart over those files (`marts.<mart>`, as on
the warehouse) and nothing else:
opened read-only it can read the marts, has no raw, quarantine or audit tables to read, and
refuses writes (docs/analysts.md). A new export is written aside and swapped in per file, so a
reader sees either the previous or the new release of a mart, never half a file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

from journeymart import config

BI_DATABASE = "journeymart_bi.duckdb"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def mart_relations(con: Any, schema: str = "marts") -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by 1",
        [schema]).fetchall()]


def export_marts(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> list[Path]:
    """Write every mart of `schema` as Parquet, then rebuild the BI database's views."""
    out = config.paths().exports
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for mart in mart_relations(con, schema):
        final = out / f"{mart}.parquet"
        tmp = out / f".{mart}.parquet.tmp"
        con.execute(f"copy (select * from {_quote(schema)}.{_quote(mart)}) to '{tmp}' "
                    "(format parquet, compression zstd)")
        os.replace(tmp, final)
        written.append(final)
    for stale in set(out.glob("*.parquet")) - set(written):
        stale.unlink()  # a mart dropped from the project leaves no orphan export
    _write_bi_database(out, written)
    return written


def _write_bi_database(out: Path, files: list[Path]) -> Path:
    tmp, final = out / f".{BI_DATABASE}.tmp", out / BI_DATABASE
    tmp.unlink(missing_ok=True)
    with duckdb.connect(str(tmp)) as bi:
        bi.execute("create schema marts")  # the same `marts.<name>` SQL as on the warehouse
        for f in files:
            bi.execute(f"create view marts.{_quote(f.stem)} as select * from read_parquet('{f}')")
    os.replace(tmp, final)
    return final


def open_bi(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """The documented way in for BI tools and analysts: read-only, marts only."""
    return duckdb.connect(str(path or config.paths().exports / BI_DATABASE), read_only=True)
