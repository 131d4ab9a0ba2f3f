"""The floor: DuckDB's own readers straight into a table, one table per entity, same files.

No typing rules, no PII hashing, no validation, no ledger: the fastest a load of these
files into DuckDB can be on this machine.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

from bench.common import EntityFiles, Spec, write_result


def _files(files: list[str]) -> str:
    return "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"


def select_sql(e: EntityFiles, union: bool = False) -> str:
    files = _files(e.files)
    if e.format == "csv":
        # One header per export: sniff the first file only (4x faster on many small files);
        # union_by_name only where headers differ (a re-issued budget plan).
        return f"select * from read_csv({files}, union_by_name = {str(union).lower()}, skip = {e.csv_skip})"
    if e.format == "ndjson":
        return f"select * from read_json({files}, format = 'newline_delimited', union_by_name = true)"
    path = ".".join(f'"{p}"' for p in (e.json_rows or "").split("."))
    return (f"select unnest({path}, recursive := true) from "
            f"read_json({files}, format = 'auto', union_by_name = true)")


def main(spec_path: str, result_path: str) -> None:
    spec = Spec.read(Path(spec_path))
    db = Path(spec.work) / "floor.duckdb"
    db.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}  # process CPU: every DuckDB thread's
    t_all = time.perf_counter()
    con = duckdb.connect(str(db))
    for table, e in spec.entities.items():
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            con.execute(f'create table "{table}" as {select_sql(e)}')
        except duckdb.Error:
            con.execute(f'create or replace table "{table}" as {select_sql(e, union=True)}')
        rows[table] = con.execute(f'select count(*) from "{table}"').fetchone()[0]
        seconds[table] = time.perf_counter() - t0
        cpu[table] = time.process_time() - c0
    con.close()
    write_result(result_path, {"rows": rows, "seconds": seconds, "cpu_seconds": cpu,
                               "load_s": time.perf_counter() - t_all})


if __name__ == "__main__":
    main(*sys.argv[1:3])
