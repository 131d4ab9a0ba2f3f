"""Keep every load's GE validation results and build GE Data Docs under $JOURNEYMART_HOME/gx.

Validation itself runs on an ephemeral context (fast, parallel-safe); the publisher then
files the results into one file-backed context, so the Data Docs site shows every load.
"""

from __future__ import annotations

import fcntl
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journeymart.config import paths
from journeymart.stage import Manifest
from journeymart.validation import load_suite


def _context() -> Any:
    import great_expectations as gx

    return gx.get_context(mode="file", project_root_dir=str(paths().gx))


def docs_index() -> Path:
    return paths().gx / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def store_results(manifests: list[Manifest], run_id: str) -> Path | None:
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    with_results = [m for m in manifests if m.ge_results and Path(m.ge_results).exists()]
    if not with_results:
        return None
    paths().gx.mkdir(parents=True, exist_ok=True)
    with open(paths().locks / "gx.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ctx = _context()
        run = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
        for table in sorted({f"{m.channel}__{m.entity}" for m in with_results}):
            ctx.suites.add_or_update(load_suite(table))
        for m in with_results:
            suite = f"{m.channel}__{m.entity}"
            for n, result in enumerate(json.loads(Path(m.ge_results).read_text())):
                key = ValidationResultIdentifier(
                    expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite),
                    run_id=run, batch_identifier=f"{m.load_id}-pass{n + 1}")
                ctx.validation_results_store.set(key, ExpectationSuiteValidationResult(**result))
        ctx.build_data_docs()
    return docs_index()
