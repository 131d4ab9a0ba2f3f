"""Run the `journeymart` CLI with a pause at a named point, so a test can SIGKILL it there.

    python tests/fault_driver.py <point> <cli args...>

Points (the process writes $JOURNEYMART_HOME/paused.txt, then sleeps until killed):
  publish:<n>     after the n-th file is applied by the publisher, before its transaction commits
  dbt-sql:<text>  after dbt runs a `create` statement mentioning <text> (inside the node's
                  transaction, mid-build)
  release         when transform__marts' release task starts (build and checks done)

The CLI runs its Airflow DAG through dag.test, which runs every task in this process, so
wrapping the functions here reaches the tasks. Nothing is mocked: the code runs unchanged
until the pause, and the kill is a real SIGKILL.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path
from typing import Any


def pause(point: str, detail: str = "") -> None:
    marker = Path(os.environ["JOURNEYMART_HOME"]) / "paused.txt"
    marker.write_text(f"{point}\n{detail}\n")
    while True:
        time.sleep(60)


def pause_after_publishing(n: int) -> None:
    from journeymart import publish

    applied = 0
    original = publish.apply_manifest

    @functools.wraps(original)
    def apply_then_maybe_pause(*args: Any, **kwargs: Any) -> None:
        nonlocal applied
        original(*args, **kwargs)
        applied += 1
        if applied == n:
            pause(f"publish:{n}", args[1].source_path)

    publish.apply_manifest = apply_then_maybe_pause


def pause_in_dbt(text: str) -> None:
    from dbt.adapters.duckdb.environments.local import DuckDBCursorWrapper

    original = DuckDBCursorWrapper.execute

    def execute_then_maybe_pause(self: Any, sql: str, bindings: Any = None) -> Any:
        out = original(self, sql, bindings)
        if text in sql and "create" in sql.lower():
            pause(f"dbt-sql:{text}", sql[:2000])
        return out

    DuckDBCursorWrapper.execute = execute_then_maybe_pause  # type: ignore[method-assign]


def pause_at_release() -> None:
    from journeymart import marts

    def release(schema: str, run_id: str) -> list[str]:
        pause("release", schema)
        return []

    marts.release = release


def main(point: str, cli_args: list[str]) -> int:
    from journeymart.airflow_env import configure

    configure()  # before anything imports airflow: Airflow reads its settings at import
    name, _, arg = point.partition(":")
    if name == "publish":
        pause_after_publishing(int(arg))
    elif name == "dbt-sql":
        pause_in_dbt(arg)
    elif name == "release":
        pause_at_release()
    else:
        raise SystemExit(f"unknown pause point {point!r}")
    from journeymart.cli import main as cli_main

    return cli_main(cli_args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
