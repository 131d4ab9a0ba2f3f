"""dlt loading the same files into DuckDB with its filesystem source and readers.

CSV: dlt's `read_csv` (pandas, chunked); NDJSON: `read_jsonl`; JSON documents (no dlt reader
for a rows-inside-a-document file): a small transformer that yields the document's rows.
dlt's `read_csv_duckdb` is not used: it fails on duckdb 2.0. Nested values are normalised by
dlt into child tables, which is its default.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import EntityFiles, Spec, dig, write_result

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")


def _source_dir(spec: Spec) -> Path:
    """The sampled files copied under one folder per table, so a file_glob selects them."""
    src = Path(spec.work) / "dlt_src"
    shutil.rmtree(src, ignore_errors=True)
    for table, e in spec.entities.items():
        (src / table).mkdir(parents=True)
        for f in e.files:
            shutil.copy(f, src / table / f"{Path(f).parent.name}__{Path(f).name}")
    return src


def resource(src: Path, e: EntityFiles) -> Any:
    import dlt
    from dlt.sources.filesystem import filesystem, read_csv, read_jsonl

    @dlt.transformer
    def read_json_doc(items: Any, rows_path: str) -> Iterator[Any]:
        for item in items:
            with item.open() as fh:
                yield dig(json.load(fh), rows_path)

    files = filesystem(bucket_url=src.as_uri(), file_glob=f"{e.table}/*")
    if e.format == "csv":
        reader = read_csv(skiprows=e.csv_skip) if e.csv_skip else read_csv()
    elif e.format == "ndjson":
        reader = read_jsonl()
    else:
        reader = read_json_doc(e.json_rows)
    return (files | reader).with_name(dlt_name(e.table))


def dlt_name(table: str) -> str:
    return table.replace("__", "_")  # dlt keeps "__" for nested (child) table paths


def load(spec: Spec) -> dict[str, Any]:
    import dlt

    work = Path(spec.work)
    db = work / "dlt.duckdb"
    db.unlink(missing_ok=True)
    shutil.rmtree(work / "dlt_pipelines", ignore_errors=True)
    src = _source_dir(spec)
    pipeline = dlt.pipeline("bench_dlt", destination=dlt.destinations.duckdb(str(db)),
                            dataset_name="bench", pipelines_dir=str(work / "dlt_pipelines"))
    rows: dict[str, int] = {}
    seconds: dict[str, float] = {}
    t_all = time.perf_counter()
    for table, e in spec.entities.items():
        t0 = time.perf_counter()
        pipeline.run(resource(src, e))
        counts = pipeline.last_trace.last_normalize_info.row_counts
        rows[table] = int(counts.get(dlt_name(table), 0))
        seconds[table] = time.perf_counter() - t0
    return {"rows": rows, "seconds": seconds, "load_s": time.perf_counter() - t_all}


def main(spec_path: str, result_path: str) -> None:
    write_result(result_path, load(Spec.read(Path(spec_path))))


if __name__ == "__main__":
    main(*sys.argv[1:3])
