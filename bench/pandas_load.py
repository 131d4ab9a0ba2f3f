"""The tutorial path: pandas read_csv / read_json, then into DuckDB.

mode `to_sql`: DataFrame.to_sql(method="multi") through SQLAlchemy (duckdb-engine), the path
most tutorials show. mode `frame_scan`: the same frames handed to DuckDB's own pandas scan
(`create table as select * from df`), pandas' fastest way in. Nested JSON values are written
as JSON text, as those tutorials do.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from bench.common import EntityFiles, Spec, dig, write_result


def read(e: EntityFiles, path: str) -> pd.DataFrame:
    if e.format == "csv":
        return pd.read_csv(path, skiprows=e.csv_skip)
    if e.format == "ndjson":
        return pd.read_json(path, lines=True, dtype=False)
    with open(path, "rb") as fh:
        return pd.json_normalize(dig(json.load(fh), e.json_rows or ""))


def flatten(df: pd.DataFrame) -> pd.DataFrame:
    """Nested values (GA4 event_params, Meta actions) as JSON text: SQL drivers take scalars."""
    for col in df.select_dtypes(include="object").columns:
        if df[col].map(lambda v: isinstance(v, dict | list)).any():
            df[col] = df[col].map(lambda v: json.dumps(v) if isinstance(v, dict | list) else v)
    return df


def frame(e: EntityFiles) -> pd.DataFrame:
    return flatten(pd.concat([read(e, f) for f in e.files], ignore_index=True))


def load(spec: Spec, mode: str) -> dict[str, Any]:
    db = Path(spec.work) / f"pandas_{mode}.duckdb"
    db.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}
    if mode == "to_sql":
        import sqlalchemy

        engine = sqlalchemy.create_engine(f"duckdb:///{db}")
    else:
        import duckdb

        con = duckdb.connect(str(db))
    t_all = time.perf_counter()
    for table, e in spec.entities.items():
        t0 = time.perf_counter()
        df = frame(e)
        if mode == "to_sql":
            df.to_sql(table, engine, if_exists="replace", index=False, method="multi", chunksize=1000)
        else:
            con.register("df", df)
            con.execute(f'create table "{table}" as select * from df')
            con.unregister("df")
        rows[table] = len(df)
        seconds[table] = time.perf_counter() - t0
    load_s = time.perf_counter() - t_all
    if mode == "to_sql":
        engine.dispose()
    else:
        con.close()
    return {"rows": rows, "seconds": seconds, "load_s": load_s}


def main(spec_path: str, result_path: str) -> None:
    spec = Spec.read(Path(spec_path))
    write_result(result_path, load(spec, spec.options.get("mode", "to_sql")))


if __name__ == "__main__":
    main(*sys.argv[1:3])
