"""Running dbt in-process (dbtRunner) with the project's own profiles and a per-home target."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from journeymart.config import REPO_ROOT, paths

DBT_PROJECT = REPO_ROOT / "dbt_project"


def target_path() -> Path:
    return paths().home / "dbt" / "target"


def invoke(*args: str, target: Path | None = None, dbt_vars: dict[str, Any] | None = None) -> Any:
    """`dbt <args>` against dbt_project/ with JOURNEYMART_HOME's warehouse; raises on failure."""
    from dbt.cli.main import dbtRunner

    log_dir = paths().home / "dbt" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("JOURNEYMART_HOME", str(paths().home))
    cli = [*args, "--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT),
           "--target-path", str(target or target_path()), "--log-path", str(log_dir)]
    if dbt_vars:
        cli += ["--vars", json.dumps(dbt_vars)]
    result = dbtRunner().invoke(cli)
    if not result.success:
        raise RuntimeError(f"dbt {' '.join(args)} failed: {result.exception or 'see dbt log in ' + str(log_dir)}")
    return result


def parse_manifest() -> Path:
    """Write the manifest cosmos renders the transform DAG from."""
    invoke("parse")
    return target_path() / "manifest.json"


def docs_generate(marts_schema: str) -> Path:
    docs = paths().docs
    invoke("docs", "generate", target=docs, dbt_vars={"marts_schema": marts_schema})
    return docs / "index.html"
