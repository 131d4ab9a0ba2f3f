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
When passes 1 and 2 find nothing, pass 3 would see the very same rows, so the whole suite
runs once (`validate_batch`); otherwise the passes run apart (`_validate_in_passes`).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from journeymart.config import REPO_ROOT
from journeymart.iso4217 import CURRENCY_CODES
from journeymart.parsers.base import PARSE_ERROR
from journeymart.registry import Entity

EXPECTATIONS_DIR = REPO_ROOT / "expectations"
# Columns the loader adds to a batch beside the entity's own (never published):
FILE = "_file"  # which file of the batch a row came from
WINDOW_START, WINDOW_END = "_window_start", "_window_end"  # that file's partition window
STRUCTURE = {"expect_table_columns_to_match_set", "expect_table_row_count_to_be_between"}
TYPES = {"expect_column_values_to_be_in_type_list", "expect_column_values_to_be_valid_json",
         "expect_column_values_to_be_null"}
PY_TYPES = {
    "int": ["int"],
    "decimal": ["Decimal"],
    "date": ["date"],
    "timestamp": ["datetime"],
    "local_timestamp": ["datetime"],
    "bool": ["bool"],
}
# No single export row spends a billion (in any account currency we ingest): a value above
# this is a unit slip (micros read as units) or a corrupted cell, and must not reach the marts.
MONEY_CEILING = 1_000_000_000
TYPE_NAMES = {"int": "an integer", "decimal": "a decimal number", "date": "a date",
              "timestamp": "a timestamp", "local_timestamp": "a timestamp", "bool": "true/false"}
# Every failing row's index and value (the row reasons need them all). Not the "query" for
# them: on pandas it is the index list again as text ("df.filter(items=[...])"), and each
# expectation filtered the whole batch once more to build it (GE on GA4: 9.0 -> 7.7 us/event).
RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False}
log = logging.getLogger(__name__)
# GE logs every decorator it registers at INFO; keep task logs readable.
logging.getLogger("great_expectations").setLevel(logging.WARNING)


def warehouse_columns(entity: Entity) -> list[str]:
    return list(entity.columns)


def suite_dict(entity: Entity) -> dict[str, Any]:
    """The suite for one entity, as GE 1.x's own objects serialise it."""
    import great_expectations as gx

    from journeymart.gx_expectations import ExpectColumnValuesToBeValidJson

    E = gx.expectations
    exps: list[Any] = [E.ExpectTableRowCountToBeBetween(min_value=1, meta={"why": "non-empty file"})]
    exps.append(E.ExpectTableColumnsToMatchSet(column_set=list(entity.columns), exact_match=False,
                                               meta={"why": "every registry column is present"}))
    exps += [
        E.ExpectColumnValuesToBeInTypeList(column=c, type_list=PY_TYPES[t])
        for c, t in entity.columns.items() if t in PY_TYPES
    ]
    exps.append(E.ExpectColumnValuesToBeNull(
        column=PARSE_ERROR, meta={"why": "rows the parser could not read cleanly"}))
    exps += [ExpectColumnValuesToBeValidJson(column=c)
             for c, t in entity.columns.items() if t == "json"]
    exps += [E.ExpectColumnValuesToNotBeNull(column=c) for c in entity.required]
    exps += [E.ExpectColumnValuesToBeBetween(column=c, min_value=0) for c in entity.non_negative]
    exps += [E.ExpectColumnValuesToBeBetween(column=c, max_value=MONEY_CEILING,
                                             meta={"why": "implausibly large amount"})
             for c in entity.non_negative if entity.columns[c] == "decimal"]
    if entity.currency:
        # The exact ISO 4217 list as one regex alternation: GE re-serialises an expectation's
        # kwargs many times per run, and a 165-item value_set cost ~0.3 s per file.
        exps.append(E.ExpectColumnValuesToMatchRegex(
            column=entity.currency, regex="^(?:" + "|".join(sorted(CURRENCY_CODES)) + ")$",
            meta={"why": "ISO 4217 currency code"}))
    exps += [E.ExpectColumnValuesToBeInSet(column=c, value_set=list(v))
             for c, v in entity.accepted_values.items()]
    # Natural key unique within its file (`_file` tells files apart when validated together).
    # `_file` is never null, so GE's default ignore_row_if ("all_values_are_missing") never
    # drops a row; it still ran a null scan and a `dropna` of the key columns for each of the
    # expectation's five metrics: "never" says the same and made the check 3.4x faster on a
    # week of GA4 events (0.78 -> 0.23 s, BENCHMARKS.md).
    exps.append(E.ExpectCompoundColumnsToBeUnique(column_list=[*entity.key, FILE], ignore_row_if="never",
                                                  meta={"why": "natural key unique within the file"}))
    exps += [
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=hi, column_B=lo, or_equal=True, ignore_row_if="either_value_is_missing")
        for lo, hi in entity.pairs_le
    ]
    if entity.date_window:
        # The window is per row (`_window_start`/`_window_end`, from each file's partition
        # date) so files of different dates can be validated in one batch.
        col = entity.date_window.column
        why = {"why": "rows must fall inside the file's partition window"}
        exps.append(E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=col, column_B=WINDOW_START, or_equal=True,
            ignore_row_if="either_value_is_missing", meta=why))
        exps.append(E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=WINDOW_END, column_B=col, or_equal=True,
            ignore_row_if="either_value_is_missing", meta=why))
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


def suite_from_json(path: Path) -> Any:
    """A GE ExpectationSuite from its stored JSON."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    import journeymart.gx_expectations  # noqa: F401 - registers the suites' own expectation

    doc = json.loads(Path(path).read_text())
    exps = [ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta"))
            .to_domain_obj() for e in doc["expectations"]]
    return gx.ExpectationSuite(name=doc["name"], expectations=exps, meta=doc.get("meta"))


@cache
def load_suite(table: str) -> Any:
    return suite_from_json(EXPECTATIONS_DIR / f"{table}.json")


def _plain_metric_ids() -> None:
    """GE 1.24 names every metric it plans by an md5 of its kwargs, after
    `convert_to_json_serializable`, which tests a value against ~20 types before it finds a
    None (four `np.issubdtype` calls among them): ~870 metric names per run of a suite, ~30%
    of a run that checks a few rows. Metric kwargs are mostly plain Python values, so the ids'
    conversion handles values of exactly those types itself, as GE's function converts them,
    and gives every other value to GE's function."""
    from great_expectations.core import id_dict

    convert = id_dict.convert_to_json_serializable
    if getattr(convert, "journeymart_plain", False):
        return

    def plain(data: Any) -> Any:
        kind = type(data)
        if kind in _SCALARS:
            return data
        if kind is float:
            return None if data != data else data  # NaN, as GE converts it
        if kind is dict:
            return {str(k): plain(v) for k, v in data.items()}
        if kind in (list, tuple):
            return [plain(v) for v in data]
        return convert(data)

    plain.journeymart_plain = True  # type: ignore[attr-defined]
    plain.journeymart_original = convert  # type: ignore[attr-defined]
    id_dict.convert_to_json_serializable = plain


_SCALARS = frozenset({str, int, bool, type(None)})


def _skip_batch_fingerprint() -> None:
    """GE 1.24 fingerprints every pandas batch below HASH_THRESHOLD bytes (md5 of
    `hash_pandas_object`, which str()s every object cell): a batch marker only, kept in the
    result's meta. The batch id comes from the batch parameters, no expectation reads the
    marker, and a load is identified by its load_id and file sha256, yet it was the largest
    per-row cost of validation (~40 us per GA4 event). GE has no option for it; frames of 1 GB
    and more already skip it, and a threshold of 0 makes every frame do so."""
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


# The configurations computed during this context's validation run, by expectation object
# (the object is kept too, so its id cannot be reused while the run lasts); None outside a run.
_RUN_CONFIGURATIONS: ContextVar[dict[int, tuple[Any, Any]] | None] = ContextVar(
    "journeymart_ge_configurations", default=None)
# The domain records fetched during this context's validation run, by engine and domain;
# None outside a run (`_narrow_domain_records`).
_RUN_DOMAINS: ContextVar[dict[tuple[Any, ...], pd.DataFrame] | None] = ContextVar(
    "journeymart_ge_domains", default=None)
_PLAIN = (str, int, float, bool, type(None))


def _compute_configurations_once_per_run() -> None:
    """GE 1.24's `Expectation.configuration` is a property that serialises the expectation
    (pydantic `dict()`, a regex for its type name) on every read, and building the metric
    graph reads it per kwarg: ~30 times per expectation, 2,656 times in one run of the GA4
    suite, ~0.1 s of the ~0.4 s every validation run costs however few rows it checks
    (BENCHMARKS.md). During a run the expectations are not changed (GE deep-copies a
    configuration before it edits one), so within `_run` each object's configuration is
    computed once. Outside a run, and in other threads, the property computes as before."""
    from great_expectations.expectations.expectation import Expectation

    compute = Expectation.configuration.fget
    if getattr(compute, "journeymart_cached", False):
        return

    def configuration(self: Any) -> Any:
        run = _RUN_CONFIGURATIONS.get()
        if run is None:
            return compute(self)
        hit = run.get(id(self))
        if hit is None:
            hit = run[id(self)] = (self, compute(self))
        return hit[1]

    configuration.journeymart_cached = True  # type: ignore[attr-defined]
    Expectation.configuration = property(configuration, doc=Expectation.configuration.__doc__)


# How GE's pandas engine drops a pair's or a compound's rows for its `ignore_row_if`.
_DROPNA = {"both_values_are_missing": "all", "either_value_is_missing": "any",
           "all_values_are_missing": "all", "any_value_is_missing": "any", "neither": None, "never": None}


def _narrow_domain_records() -> None:
    """GE 1.24's pandas engine gives each column, pair and compound expectation the whole batch
    as its domain, and its metrics then filter that whole frame (by the column's nulls, the
    pair's missing values, the unexpected rows). A filter that keeps every row costs nothing,
    but one that drops a row copies every column: GA4's 31, for each column that has nulls
    (user_id, gclid, ...), ~20% of GE's time. Those metrics read only their domain's columns,
    so the records are narrowed to them first, with the batch's index (the row reasons'
    keys), and the pair's and compound's `ignore_row_if` applied as GE applies it. A domain
    with a row condition, an unknown `ignore_row_if` or a column the batch lacks is left to
    GE. GE on 17 GA4 days: 7.65 -> 6.7 us per event; app events, whose filters mostly keep
    every row, 4.0 -> 4.15 us per row (the narrowing's own cost, ~0.05 s per run).

    Within a run, GE fetches each domain several times (51-74 fetches of 10-14 domains per
    run of a suite; 20-27% of the run's time), so a run keeps each domain's records and
    gives every fetch a shallow copy of them (a metric that adds a column to its frame does
    not add it to the kept one; pandas copies on write for values). Domains whose kwargs
    are not plain values (row conditions as objects) are fetched each time."""
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine

    fetch = PandasExecutionEngine.get_domain_records
    if getattr(fetch, "journeymart_narrowed", False):
        return

    def get_domain_records(self: Any, domain_kwargs: dict) -> pd.DataFrame:
        run = _RUN_DOMAINS.get()
        key = _domain_key(self, domain_kwargs) if run is not None else None
        if key is None:
            return narrowed(self, domain_kwargs)
        records = run.get(key)
        if records is None:
            records = run[key] = narrowed(self, domain_kwargs)
        return records.copy(deep=False)

    def narrowed(self: Any, domain_kwargs: dict) -> pd.DataFrame:
        if "column" in domain_kwargs:
            columns, ignore = [domain_kwargs["column"]], None
        elif "column_A" in domain_kwargs and "column_B" in domain_kwargs:
            columns, ignore = [domain_kwargs["column_A"], domain_kwargs["column_B"]], domain_kwargs.get("ignore_row_if")
        elif "column_list" in domain_kwargs:
            columns, ignore = list(domain_kwargs["column_list"]), domain_kwargs.get("ignore_row_if")
        else:
            return fetch(self, domain_kwargs)
        if domain_kwargs.get("row_condition") or (ignore is not None and ignore not in _DROPNA):
            return fetch(self, domain_kwargs)
        whole = fetch(self, {k: v for k, v in domain_kwargs.items()
                             if k not in ("column", "column_A", "column_B", "column_list", "ignore_row_if")})
        if not set(columns) <= set(whole.columns) or len(set(columns)) < len(columns):
            return fetch(self, domain_kwargs)
        records = whole[columns]
        how = _DROPNA.get(ignore) if ignore is not None else None
        return records.dropna(axis=0, how=how, subset=columns) if how else records

    get_domain_records.journeymart_narrowed = True  # type: ignore[attr-defined]
    get_domain_records.journeymart_uncached = narrowed  # type: ignore[attr-defined]
    get_domain_records.journeymart_original = fetch  # type: ignore[attr-defined]
    PandasExecutionEngine.get_domain_records = get_domain_records  # type: ignore[method-assign]


def _domain_key(engine: Any, domain_kwargs: dict) -> tuple[Any, ...] | None:
    """A run's key for a domain: the engine (alive for the run) and every kwarg with its type
    (True, 1 and 1.0 are equal keys otherwise), or None when a kwarg is not a plain value or
    a list of them."""
    items = []
    for k, v in sorted(domain_kwargs.items()):
        if isinstance(v, list | tuple):
            if not all(isinstance(x, _PLAIN) for x in v):
                return None
            items.append((k, tuple((type(x), x) for x in v)))
        elif isinstance(v, _PLAIN):
            items.append((k, (type(v), v)))
        else:
            return None
    return (id(engine), *items)


# Null masks of object columns computed during this context's validation run, by the memory
# they scan; None outside a run (`_null_masks_once_per_run`).
_RUN_NULL_MASKS: ContextVar[dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] | None] = ContextVar(
    "journeymart_ge_null_masks", default=None)


def _null_masks_once_per_run() -> None:
    """GE 1.24's pandas map metrics each filter their column's nulls (`df[column].notnull()`),
    three times per expectation (the condition, its unexpected values, their index), and
    `not_null` asks `isnull()` again: on an object column each is a scan of every cell in
    Python objects, ~30 scans of the same columns per run of the GA4 suite. Within a run, a
    column's mask is computed once: keyed by the memory the Series reads (address, shape,
    strides) and holding a reference to it, so the memory cannot be freed and reused while
    the run lasts. The batch is not written during a run (GE copies before it adds a column,
    and pandas copies on write for values shared with the kept domains). Every call gets its
    own Series of a copy of the mask. Outside a run, and for other dtypes, pandas computes
    as before."""
    notnull, isnull = pd.Series.notnull, pd.Series.isnull
    if getattr(notnull, "journeymart_kept", False):
        return

    def kept(series: pd.Series) -> np.ndarray | None:
        run = _RUN_NULL_MASKS.get()
        values = series._values
        if run is None or type(values) is not np.ndarray or values.dtype != object:
            return None
        key = (values.__array_interface__["data"][0], values.shape, values.strides)
        hit = run.get(key)
        if hit is None:
            hit = run[key] = (values, notnull(series).to_numpy(dtype=bool))
        return hit[1]

    def kept_notnull(self: pd.Series) -> pd.Series:
        mask = kept(self)
        if mask is None:
            return notnull(self)
        return pd.Series(mask.copy(), index=self.index, name=self.name, copy=False)

    def kept_isnull(self: pd.Series) -> pd.Series:
        mask = kept(self)
        if mask is None:
            return isnull(self)
        return pd.Series(~mask, index=self.index, name=self.name, copy=False)

    kept_notnull.journeymart_kept = True  # type: ignore[attr-defined]
    kept_notnull.journeymart_original = notnull  # type: ignore[attr-defined]
    kept_isnull.journeymart_original = isnull  # type: ignore[attr-defined]
    pd.Series.notnull = kept_notnull  # type: ignore[method-assign]
    pd.Series.isnull = kept_isnull  # type: ignore[method-assign]


def _type_lists_by_class() -> None:
    """GE 1.24 checks `expect_column_values_to_be_in_type_list` on pandas with
    `column.map(lambda x: isinstance(x, tuple(comp_types)))`: a tuple built and two Python calls
    per cell. Whether a value is an instance of the types depends on its class alone, so GE's
    own check runs on one value of each class the column holds, and every cell takes its
    class's answer. A column that is not of object dtype (pandas hands `map` other objects
    than its cells), or that holds a class able to claim another (`__class__` overridden), is
    left to GE's check whole."""
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations import registry
    from great_expectations.expectations.metrics.column_map_metrics.column_values_in_type_list import (
        ColumnValuesInTypeList,
    )
    from great_expectations.expectations.metrics.map_metric_provider import column_condition_partial

    providers = registry._registered_metrics["column_values.in_type_list.condition"]["providers"]
    provider_class, current = providers[PandasExecutionEngine.__name__]
    if getattr(current, "journeymart_by_class", False):
        return
    ges_own = inspect.unwrap(ColumnValuesInTypeList._pandas)

    def by_class(cls: Any, column: pd.Series, type_list: Any, **kwargs: Any) -> pd.Series:
        values = column.to_numpy()
        one_of_each = dict(zip(map(type, values), values, strict=True)) if column.dtype == object else {}
        if not one_of_each or any("__class__" in vars(k) for t in one_of_each for k in t.__mro__[:-1]):
            return ges_own(cls, column, type_list, **kwargs)
        answers = ges_own(cls, pd.Series(list(one_of_each.values()), dtype=object), type_list, **kwargs).tolist()
        if all(answers):
            return pd.Series(True, index=column.index, name=column.name, dtype=bool)
        answer = dict(zip(one_of_each, answers, strict=True))
        return pd.Series(list(map(answer.__getitem__, map(type, values))), index=column.index, name=column.name,
                         dtype=bool)

    fast = column_condition_partial(engine=PandasExecutionEngine)(by_class)
    fast.journeymart_by_class = True  # type: ignore[attr-defined]
    fast.journeymart_original = current  # type: ignore[attr-defined]
    providers[PandasExecutionEngine.__name__] = (provider_class, fast)


@cache
def _batch_definition() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    _skip_batch_fingerprint()
    _plain_metric_ids()
    _compute_configurations_once_per_run()
    _narrow_domain_records()
    _null_masks_once_per_run()
    _type_lists_by_class()
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


def window_bounds(entity: Entity, partition: date) -> tuple[Any, Any]:
    """The partition window of a file, typed like the entity's window column."""
    w = entity.date_window
    if w is None:
        return None, None
    start, end = partition - timedelta(days=w.days_before), partition + timedelta(days=w.days_after)
    if entity.columns[w.column] in ("timestamp",):
        # A local day spans UTC-12..UTC+14: widen by those margins, the days_* cover the rest.
        return (datetime.combine(start, time.min, UTC) - timedelta(hours=14),
                datetime.combine(end, time.max, UTC) + timedelta(hours=12))
    if entity.columns[w.column] == "local_timestamp":
        return datetime.combine(start, time.min), datetime.combine(end, time.max)
    return start, end


def _describe(res: Any) -> str:
    cfg = res.expectation_config
    kw = {k: v for k, v in cfg.kwargs.items() if k not in ("batch_id", "value_set")}
    if "value_set" in cfg.kwargs:
        kw["value_set"] = f"<{len(cfg.kwargs['value_set'])} values>"
    args = ", ".join(f"{k}={v}" for k, v in kw.items() if not isinstance(v, dict))
    return f"{cfg.type}({args})"


@cache
def _pass_suite(table: str, types: frozenset[str] | None, exclude: frozenset[str]) -> Any:
    """The stored suite restricted to one pass, built once per process (GE deep-copies a
    whole suite when an expectation is copied, which dominated load time)."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    import journeymart.gx_expectations  # noqa: F401 - registers the suites' own expectation

    doc = json.loads((EXPECTATIONS_DIR / f"{table}.json").read_text())
    exps = [ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e.get("meta")).to_domain_obj()
            for e in doc["expectations"]
            if (types is None or e["type"] in types) and e["type"] not in exclude]
    return gx.ExpectationSuite(name=table, expectations=exps)


def _run(entity: Entity, frame: pd.DataFrame, types: frozenset[str] | None,
         exclude: frozenset[str]) -> Any:
    from great_expectations.validator.v1_validator import Validator

    # The Validator builds the one batch itself: `get_batch()` + `batch.validate()` built it
    # twice, and each build fingerprints the whole frame (`hash_pandas_dataframe`, a batch
    # marker only: the batch id comes from the batch parameters, not from the data).
    validator = Validator(batch_definition=_batch_definition(), batch_parameters={"dataframe": frame},
                          result_format=RESULT_FORMAT)
    token, domains, masks = _RUN_CONFIGURATIONS.set({}), _RUN_DOMAINS.set({}), _RUN_NULL_MASKS.set({})
    try:
        return validator.validate_expectation_suite(_pass_suite(entity.table, types, exclude))
    finally:
        _RUN_CONFIGURATIONS.reset(token)
        _RUN_DOMAINS.reset(domains)
        _RUN_NULL_MASKS.reset(masks)
        _release_batch()


def _release_batch() -> None:
    """Drop the batch GE's pandas engine keeps after a validation. The engine is cached by the
    datasource, and its batch manager holds the last batch loaded (the whole frame) until the
    next validation replaces it: a stage worker carried a validated week of GA4 through the
    parsing of the next one. One process staging ten GA4 weeks in a row parsed weeks 3-10 in
    43.5 us of CPU per event without the release, 37.5-40.0 with it (two runs each)."""
    manager = _batch_definition().data_asset.datasource.get_execution_engine().batch_manager
    manager.batch_data_cache.clear()
    manager.reset_batch_cache()


_DECIMAL_COMMA = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*,\d+$|^[+-]?\d+,\d{1,2}$")
_NUMBER = re.compile(r"^[+-]?[\d.,]+(e[+-]?\d+)?$", re.IGNORECASE)


def plain_reason(cfg: Any, value: Any) -> str:
    """What is wrong with a value, in words a person fixing the export understands (the
    expectation itself follows in brackets in the row reason). Must not contain ' got '."""
    kw, kind = cfg.kwargs, cfg.type
    col = kw.get("column")
    if kind == "expect_column_values_to_be_null" and col == PARSE_ERROR:
        text = str(value)
        if "JSON" in text:
            return "invalid JSON line"
        if "duplicate" in text:
            return "exact duplicate of an earlier row"
        if "cells but the header has" in text:
            return "row has more or fewer cells than the header"
        return "row could not be read"
    if kind == "expect_column_values_to_be_in_type_list":
        typ = next((t for t, names in PY_TYPES.items() if names == list(kw["type_list"])), "")
        if isinstance(value, str) and typ in ("decimal", "int") and _DECIMAL_COMMA.match(value.strip()):
            return f"{col} uses a decimal comma"
        if isinstance(value, str) and typ in ("decimal", "int") and _NUMBER.match(value.strip()):
            return f"{col} is out of range for the warehouse"
        return f"{col} is not {TYPE_NAMES.get(typ, 'of its type')}"
    if kind == "expect_column_values_to_be_valid_json":
        return f"{col} is not valid JSON"
    if kind == "expect_column_values_to_not_be_null":
        return f"required {col} is empty"
    if kind == "expect_column_values_to_be_between":
        if kw.get("max_value") is not None and kw.get("min_value") is None:
            return f"{col} is implausibly large (above {int(kw['max_value']):,})"
        return f"{col} is negative" if kw.get("min_value") == 0 else f"{col} is out of range"
    if kind == "expect_column_values_to_match_regex":
        return f"{col} is not an ISO 4217 currency code"
    if kind == "expect_column_values_to_be_in_set":
        return f"{col} is not an accepted value"
    if kind == "expect_compound_columns_to_be_unique":
        keys = [c for c in kw["column_list"] if c != FILE]
        return f"duplicate key ({', '.join(keys)}) within the file"
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kw["column_A"], kw["column_B"]
        if b == WINDOW_START:
            return f"{a} is before the file's partition window"
        if a == WINDOW_END:
            return f"{b} is after the file's partition window (future date?)"
        return f"{b} is greater than {a}"
    return kind.removeprefix("expect_").replace("_", " ")


def _collect(out: Outcome, results: list[Any], counts: dict[str, int], name: str) -> bool:
    """Row reasons from validation results; False when an expectation could not even run."""
    for x in results:
        if x.success or x.expectation_config.type in STRUCTURE:
            continue
        if x.exception_info and x.exception_info.get("raised_exception"):
            # An expectation that cannot evaluate is a file-level failure: better to
            # quarantine loudly than to publish rows nobody checked.
            msg = x.exception_info.get("exception_message")
            out.structural_failure = f"{_describe(x)} could not run: {msg}"
            out.summary = {"passes": name, "success": False}
            return False
        idx = x.result.get("unexpected_index_list") or []
        vals = x.result.get("unexpected_list") or [None] * len(idx)
        desc = _describe(x)
        counts[desc] = counts.get(desc, 0) + len(idx)
        for i, v in zip(idx, vals, strict=False):
            plain = plain_reason(x.expectation_config, v)
            out.row_reasons.setdefault(int(i), []).append(f"{plain} got {v!r} [{desc}]")
    return True


def with_batch_columns(entity: Entity, frame: pd.DataFrame, partition: date,
                       file_index: int = 0) -> pd.DataFrame:
    """Add the loader's per-row columns for one file (see FILE / WINDOW_*)."""
    batch = batch_of_files(entity, [(frame, partition)])
    if file_index:
        batch[FILE] = file_index
    return batch


def batch_of_files(entity: Entity, files: list[tuple[pd.DataFrame, date]]) -> pd.DataFrame:
    """One frame of several files' frames (each with its partition date), with the loader's
    per-row columns: FILE = the file's position in `files`, WINDOW_* = its partition window.
    The frames are joined first and the columns built once for all rows: adding them file by
    file copied every frame and inferred each window constant's type anew (0.8 us per e-mail
    activity row, BENCHMARKS.md)."""
    frame = files[0][0] if len(files) == 1 else pd.concat([f for f, _ in files], ignore_index=True)
    return with_file_columns(entity, frame, [len(f) for f, _ in files], [partition for _, partition in files])


def with_file_columns(entity: Entity, frame: pd.DataFrame, sizes: list[int], partitions: list[date]) -> pd.DataFrame:
    """`batch_of_files` of a frame already holding the files' rows in order (`sizes` rows each,
    over a 0..n-1 index)."""
    bounds = [window_bounds(entity, partition) for partition in partitions]
    extra = {FILE: np.repeat(np.arange(len(sizes), dtype=np.int64), sizes),
             WINDOW_START: _constants([b[0] for b in bounds], sizes, frame.index),
             WINDOW_END: _constants([b[1] for b in bounds], sizes, frame.index)}
    if PARSE_ERROR not in frame.columns:
        extra[PARSE_ERROR] = None
    return frame.assign(**extra)


def _constants(values: list[Any], sizes: list[int], index: pd.Index) -> pd.Series:
    """Each file's value repeated over its rows, as an object column of Python values. A
    window of datetimes stays objects too (pandas would infer datetime64): a failing row's
    reason then shows the bound as the aware datetime it is, not a naive np.datetime64. Against
    a typed window pandas converted the entity's object column for each of the two window
    checks (1.08 us per app event row and check, against 0.43 comparing objects), but null
    scans of object columns take longer, and GE's time per row measured the same."""
    # A Series of dtype object: assigned as an array, pandas would infer datetime64 again.
    return pd.Series(np.repeat(np.array([*values, None], dtype=object)[:-1], sizes), index=index, dtype=object)


def validate(entity: Entity, frame: pd.DataFrame, partition: date) -> Outcome:
    """Validate one file's parsed frame."""
    return validate_batch(entity, with_batch_columns(entity, frame, partition))


def validate_batch(entity: Entity, frame: pd.DataFrame) -> Outcome:
    """Run the entity's suite over a batch (one or more files' frames with the batch columns);
    say which rows fail and why. Row reasons are keyed by the frame's index."""
    # Usually every cell has its type, and then the values pass would run on the very same
    # rows: one run of the whole suite gives the same results for half the cost. Only when a
    # structure or type check fails are the passes run apart (values on the typed rows only).
    whole = _run(entity, frame, None, frozenset())
    if all(x.success for x in whole.results if x.expectation_config.type in STRUCTURE | TYPES):
        out = Outcome(results=[whole.to_json_dict()])
        counts: dict[str, int] = {}
        values = [x for x in whole.results if x.expectation_config.type not in STRUCTURE | TYPES]
        if _collect(out, values, counts, "values"):
            out.summary = _summary(out, frame, counts)
        return out
    return _validate_in_passes(entity, frame)


def _summary(out: Outcome, frame: pd.DataFrame, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "success": not out.row_reasons,
        "rows_checked": len(frame),
        "rows_failed": len(out.row_reasons),
        "failed_expectations": counts,
    }


def _validate_in_passes(entity: Entity, frame: pd.DataFrame) -> Outcome:
    out = Outcome()
    # Pass 1: structure + types in one validation; a structural failure stops here.
    r1 = _run(entity, frame, frozenset(STRUCTURE | TYPES), frozenset())
    out.results.append(r1.to_json_dict())
    failed = [_describe(x) for x in r1.results
              if not x.success and x.expectation_config.type in STRUCTURE]
    if failed:
        out.structural_failure = "structure check failed: " + "; ".join(failed)
        out.summary = {"passes": ["structure"], "success": False, "failed": failed}
        return out

    counts: dict[str, int] = {}
    if not _collect(out, r1.results, counts, "types"):
        return out
    # Pass 2: values, on the rows whose cells all have their types.
    remaining = frame.drop(index=list(out.row_reasons))
    if not remaining.empty:
        r2 = _run(entity, remaining, None, frozenset(STRUCTURE | TYPES))
        out.results.append(r2.to_json_dict())
        if not _collect(out, r2.results, counts, "values"):
            return out
    out.summary = _summary(out, frame, counts)
    return out
