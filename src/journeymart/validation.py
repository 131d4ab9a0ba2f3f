"""Great Expectations gate for every load.

Suites are data: `expectations/<channel>__<entity>.json`, generated from the registry by
`journeymart suites --write` and reviewed like code (a test keeps them in sync). Validation
runs on GE's pandas datasource (GE's SQL datasource over duckdb_engine returns empty metrics,
see README), against the parsed frame before anything is published.

The suite runs in three passes over the same batch, because later checks are only
meaningful on rows that passed earlier ones:
  1. structure  – columns exist, file not empty          → failure quarantines the file whole
  2. types      – every typed cell holds its type          → failing rows are quarantined
  3. values     – nulls, ranges, sets, keys, relations     → failing rows are quarantined
"""

from __future__ import annotations

import copy
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from journeymart.config import REPO_ROOT
from journeymart.iso4217 import CURRENCY_CODES
from journeymart.parsers.base import PARSE_ERROR
from journeymart.registry import Entity

EXPECTATIONS_DIR = REPO_ROOT / "expectations"
STRUCTURE = {"expect_column_to_exist", "expect_table_row_count_to_be_between"}
TYPES = {"expect_column_values_to_be_in_type_list", "expect_column_values_to_be_json_parseable",
         "expect_column_values_to_be_null"}
PY_TYPES = {
    "int": ["int"],
    "decimal": ["Decimal"],
    "date": ["date"],
    "timestamp": ["datetime"],
    "local_timestamp": ["datetime"],
    "bool": ["bool"],
}
log = logging.getLogger(__name__)
# GE logs every decorator it registers at INFO; keep task logs readable.
logging.getLogger("great_expectations").setLevel(logging.WARNING)


def warehouse_columns(entity: Entity) -> list[str]:
    return list(entity.columns)


def suite_dict(entity: Entity) -> dict[str, Any]:
    """The suite for one entity, as GE 1.x's own objects serialise it."""
    import great_expectations as gx

    E = gx.expectations
    exps: list[Any] = [E.ExpectTableRowCountToBeBetween(min_value=1, meta={"why": "non-empty file"})]
    exps += [E.ExpectColumnToExist(column=c) for c in entity.columns]
    exps += [
        E.ExpectColumnValuesToBeInTypeList(column=c, type_list=PY_TYPES[t])
        for c, t in entity.columns.items() if t in PY_TYPES
    ]
    exps.append(E.ExpectColumnValuesToBeNull(
        column=PARSE_ERROR, meta={"why": "rows the parser could not read cleanly"}))
    exps += [E.ExpectColumnValuesToBeJsonParseable(column=c)
             for c, t in entity.columns.items() if t == "json"]
    exps += [E.ExpectColumnValuesToNotBeNull(column=c) for c in entity.required]
    exps += [E.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in entity.non_negative]
    if entity.currency:
        exps.append(E.ExpectColumnValuesToBeInSet(column=entity.currency, value_set=sorted(CURRENCY_CODES)))
    exps += [E.ExpectColumnValuesToBeInSet(column=c, value_set=list(v))
             for c, v in entity.accepted_values.items()]
    if len(entity.key) == 1:
        exps.append(E.ExpectColumnValuesToBeUnique(column=entity.key[0]))
    else:
        exps.append(E.ExpectCompoundColumnsToBeUnique(column_list=list(entity.key)))
    exps += [
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=hi, column_B=lo, or_equal=True, ignore_row_if="either_value_is_missing")
        for lo, hi in entity.pairs_le
    ]
    if entity.date_window:
        exps.append(E.ExpectColumnValuesToBeBetween(
            column=entity.date_window.column,
            min_value={"$PARAMETER": "window_start"},
            max_value={"$PARAMETER": "window_end"},
            meta={"why": "rows must fall inside the file's partition window"},
        ))
    suite = gx.ExpectationSuite(name=entity.table, expectations=exps,
                                meta={"generated_from": "src/journeymart/channels.yml"})
    doc = suite.to_json_dict()
    doc.pop("id", None)
    for e in doc["expectations"]:
        e.pop("id", None)
    return doc


def suite_path(entity: Entity) -> Path:
    return EXPECTATIONS_DIR / f"{entity.table}.json"


def write_suites(entities: list[Entity]) -> list[Path]:
    EXPECTATIONS_DIR.mkdir(exist_ok=True)
    out = []
    for entity in entities:
        p = suite_path(entity)
        p.write_text(json.dumps(suite_dict(entity), indent=2, sort_keys=True, default=str) + "\n")
        out.append(p)
    return out


@cache
def load_suite(table: str) -> Any:
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    doc = json.loads((EXPECTATIONS_DIR / f"{table}.json").read_text())
    exps = [ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta"))
            .to_domain_obj() for e in doc["expectations"]]
    return gx.ExpectationSuite(name=doc["name"], expectations=exps, meta=doc.get("meta"))


@cache
def _batch_definition() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    ds = ctx.data_sources.add_pandas("landing_files")
    asset = ds.add_dataframe_asset("parsed_export")
    return asset.add_batch_definition_whole_dataframe("whole_file")


@dataclass
class Outcome:
    structural_failure: str | None = None
    row_reasons: dict[int, list[str]] = field(default_factory=dict)  # frame index -> reasons
    results: list[dict[str, Any]] = field(default_factory=list)  # GE validation results (JSON)
    summary: dict[str, Any] = field(default_factory=dict)


def _window(entity: Entity, partition: date) -> dict[str, Any]:
    w = entity.date_window
    if w is None:
        return {}
    start, end = partition - timedelta(days=w.days_before), partition + timedelta(days=w.days_after)
    if entity.columns[w.column] in ("timestamp",):
        # A local day spans UTC-12..UTC+14: widen by those margins, the days_* cover the rest.
        return {"window_start": datetime.combine(start, time.min, UTC) - timedelta(hours=14),
                "window_end": datetime.combine(end, time.max, UTC) + timedelta(hours=12)}
    if entity.columns[w.column] == "local_timestamp":
        return {"window_start": datetime.combine(start, time.min),
                "window_end": datetime.combine(end, time.max)}
    return {"window_start": start, "window_end": end}


def _describe(res: Any) -> str:
    cfg = res.expectation_config
    kw = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id", "value_set")}
    if "value_set" in cfg.kwargs:
        kw["value_set"] = f"<{len(cfg.kwargs['value_set'])} values>"
    args = ", ".join(f"{k}={v}" for k, v in kw.items() if not isinstance(v, dict))
    return f"{cfg.type}({args})"


def _run(entity: Entity, frame: pd.DataFrame, types: set[str] | None, exclude: set[str],
         params: dict[str, Any]) -> Any:
    import great_expectations as gx

    full = load_suite(entity.table)
    exps = [copy.copy(e) for e in full.expectations
            if (types is None or e.expectation_type in types) and e.expectation_type not in exclude]
    suite = gx.ExpectationSuite(name=entity.table, expectations=exps)
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(suite, result_format={"result_format": "COMPLETE"},
                          expectation_parameters=params)


def validate(entity: Entity, frame: pd.DataFrame, partition: date) -> Outcome:
    """Run the entity's suite over a parsed frame; say which rows fail and why."""
    out = Outcome()
    if PARSE_ERROR not in frame.columns:
        frame = frame.assign(**{PARSE_ERROR: None})
    params = _window(entity, partition)
    r1 = _run(entity, frame, STRUCTURE, set(), params)
    out.results.append(r1.to_json_dict())
    failed = [_describe(x) for x in r1.results if not x.success]
    if failed:
        out.structural_failure = "structure check failed: " + "; ".join(failed)
        out.summary = {"passes": ["structure"], "success": False, "failed": failed}
        return out

    counts: dict[str, int] = {}
    remaining = frame
    for name, types, exclude in (("types", TYPES, set()), ("values", None, STRUCTURE | TYPES)):
        if remaining.empty:
            break
        res = _run(entity, remaining, types, exclude, params)
        out.results.append(res.to_json_dict())
        for x in res.results:
            if x.success:
                continue
            if x.exception_info and x.exception_info.get("raised_exception"):
                # An expectation that cannot even evaluate is a file-level failure: better to
                # quarantine loudly than to publish rows nobody checked.
                msg = x.exception_info.get("exception_message")
                out.structural_failure = f"{_describe(x)} could not run: {msg}"
                out.summary = {"passes": ["structure", name], "success": False}
                return out
            idx = x.result.get("unexpected_index_list") or []
            vals = x.result.get("unexpected_list") or [None] * len(idx)
            desc = _describe(x)
            counts[desc] = counts.get(desc, 0) + len(idx)
            for i, v in zip(idx, vals, strict=False):
                i = i if isinstance(i, int) else next(iter(i.values())) if isinstance(i, dict) else i
                out.row_reasons.setdefault(int(i), []).append(f"{desc} got {v!r}")
        remaining = remaining.drop(index=[i for i in out.row_reasons if i in remaining.index])
    out.summary = {
        "success": not out.row_reasons,
        "rows_checked": len(frame),
        "rows_failed": len(out.row_reasons),
        "failed_expectations": counts,
    }
    return out
