"""DAG parse time: a DagBag over the repo's dags/ folder, as the DAG processor fills it.

Run after dbt has written its manifest into JOURNEYMART_HOME (the transform DAG renders
from it); `airflow_import_s` is the one-off cost of importing Airflow in a fresh process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench.common import write_result


def main(spec_path: str, result_path: str) -> None:
    from journeymart.airflow_env import DAGS_FOLDER, configure

    configure()
    t0 = time.perf_counter()
    from airflow.dag_processing.dagbag import DagBag

    imported = time.perf_counter() - t0
    t0 = time.perf_counter()
    bag = DagBag(dag_folder=str(DAGS_FOLDER))
    parse = time.perf_counter() - t0
    files = {Path(s.file).name: s.duration.total_seconds() if hasattr(s.duration, "total_seconds")
             else float(s.duration) for s in bag.dagbag_stats}
    write_result(result_path, {"airflow_import_s": imported, "dagbag_s": parse, "load_s": parse,
                               "dags": sorted(bag.dag_ids), "files": files,
                               "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()}})


if __name__ == "__main__":
    main(*sys.argv[1:3])
