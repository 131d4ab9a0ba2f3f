"""Keep every load's GE validation results and build GE Data Docs under $JOURNEYMART_HOME/gx.

Validation itself runs on an ephemeral context (fast, parallel-safe); the publisher then
files the results into one file-backed context: every load's results are kept, and the Data
Docs index lists the newest `DOCS_RESULTS_LIMIT` of them.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journeymart.config import paths
from journeymart.stage import Manifest
from journeymart.validation import load_suite

SITE = "local_site"
# GE's index page reads every validation result it lists: 0.8 s at a year's backfill (465
# results), 0.2 s at 30 days, and growing by ~20 results a day forever. Capped with GE's own
# `validation_results_limit`; older results stay in the store, and their pages on disk.
DOCS_RESULTS_LIMIT = int(os.environ.get("JOURNEYMART_DOCS_RESULTS_LIMIT", "1000"))


def _context() -> Any:
    import great_expectations as gx

    return gx.get_context(mode="file", project_root_dir=str(paths().gx))


def docs_index() -> Path:
    return paths().gx / "gx" / "uncommitted" / "data_docs" / SITE / "index.html"


def store_results(manifests: list[Manifest], run_id: str) -> Path | None:
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    # One GE run validates a whole batch of files (stage.MAX_BATCH_ROWS), and every manifest of
    # the batch points at the same results file: store each file of results once, under the
    # batch's first load id, and render only the new pages (a full Data Docs rebuild grows
    # with every load ever made).
    batches: dict[str, Manifest] = {}
    for m in manifests:
        if m.ge_results and Path(m.ge_results).exists():
            batches.setdefault(m.ge_results, m)
    if not batches:
        return None
    for folder in (paths().gx, paths().locks):  # not left to the publisher to have made them
        folder.mkdir(parents=True, exist_ok=True)
    with open(paths().locks / "gx.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ctx = _context()
        _limit_index(ctx)
        run = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
        suites = sorted({f"{m.channel}__{m.entity}" for m in batches.values()})
        for table in suites:
            ctx.suites.add_or_update(load_suite(table))
        keys: list[Any] = [ExpectationSuiteIdentifier(name=table) for table in suites]
        for results, m in batches.items():
            suite = ExpectationSuiteIdentifier(name=f"{m.channel}__{m.entity}")
            for n, result in enumerate(json.loads(Path(results).read_text())):
                key = ValidationResultIdentifier(expectation_suite_identifier=suite, run_id=run,
                                                 batch_identifier=f"{m.load_id}-pass{n + 1}")
                ctx.validation_results_store.set(key, ExpectationSuiteValidationResult(**result))
                keys.append(key)
        ctx.build_data_docs(resource_identifiers=keys)
    return docs_index()


def _limit_index(ctx: Any) -> None:
    """The site's index lists the newest DOCS_RESULTS_LIMIT validation results (a setting of
    the project's great_expectations.yml, kept in step with the environment)."""
    site = ctx.list_data_docs_sites().get(SITE)
    index = (site or {}).get("site_index_builder", {})
    if site is None or index.get("validation_results_limit") == DOCS_RESULTS_LIMIT:
        return
    ctx.update_data_docs_site(SITE, {**site, "site_index_builder": {
        **index, "validation_results_limit": DOCS_RESULTS_LIMIT}})
