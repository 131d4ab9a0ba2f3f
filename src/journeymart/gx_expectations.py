"""journeymart's own GE expectation: JSON text that every warehouse target accepts.

GE's `expect_column_values_to_be_json_parseable` runs `json.loads` on every value. That is
Python's lenient reading: it accepts `NaN` and `Infinity`, which PostgreSQL's json type
refuses, so such a row would pass the gate and then fail the whole publish transaction. It
also builds every value's objects only to drop them: on GA4's `event_params` it was the
largest single part of the suite (1.4 s of 3.4-3.9 s for a week of events; 0.4 s with this
one, BENCHMARKS.md).

`expect_column_values_to_be_valid_json` checks RFC 8259 JSON with msgspec, decoding into
`msgspec.Raw` (validated, nothing built). It is GE's own expectation with another metric, so
renderers, result formats and Data Docs stay GE's. Importing this module registers both.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.core.expect_column_values_to_be_json_parseable import (
    ExpectColumnValuesToBeJsonParseable,
)
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

_RAW = msgspec.json.Decoder(msgspec.Raw).decode


def is_valid_json(value: Any) -> bool:
    """RFC 8259 JSON text (a str or bytes holding exactly one JSON value). A str that UTF-8
    cannot encode (a lone surrogate) is not: no warehouse could store it."""
    try:
        _RAW(value)
    except (msgspec.DecodeError, TypeError, UnicodeError):
        return False
    return True


class ColumnValuesValidJson(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_json"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs: Any) -> pd.Series:
        return pd.Series([is_valid_json(v) for v in column], index=column.index, dtype=bool)


class ExpectColumnValuesToBeValidJson(ExpectColumnValuesToBeJsonParseable):
    """Expect the column's values to be RFC 8259 JSON text (no NaN or Infinity)."""

    map_metric = "column_values.valid_json"
