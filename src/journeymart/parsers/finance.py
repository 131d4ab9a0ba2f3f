"""Finance: the wide budget-plan sheet (one column per month) and daily FX reference rates."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from journeymart.parsers.base import (
    PARSE_ERROR,
    ROW_NUMBER,
    Parsed,
    StructuralError,
    cast_row,
    finish,
    norm_header,
    parse_csv,
    read_csv,
    uncast,
)
from journeymart.registry import Channel, Entity

FX_FIELDS = {c: c for c in ("rate_date", "base_currency", "quote_currency", "rate")}

PLAN_FIXED = ("Plan Version", "Channel", "Currency")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_fx_rates(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, FX_FIELDS, tz=channel.timezone)


def _month(header: str) -> date | None:
    m = _MONTH.match(header.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return date(int(m.group(1)), int(m.group(2)), 1)


def parse_budget_plan(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    """Unpivot: one record per (sheet row, month column); every record of a sheet row carries
    that row's number so a bad cell can be traced back to the sheet."""
    table = read_csv(data, name)
    missing = [c for c in PLAN_FIXED if not table.has(c)]
    if missing:
        raise StructuralError(f"missing required columns in header: {', '.join(missing)}")
    fixed = {norm_header(c) for c in PLAN_FIXED}
    months = {h: _month(h) for h in table.header if norm_header(h) not in fixed}
    month_cols = {h: m for h, m in months.items() if m is not None}
    if not month_cols:
        raise StructuralError("no month columns (YYYY-MM) in the budget plan header")
    notes = list(table.notes)
    ignored = [h for h, m in months.items() if m is None]
    if ignored:  # e.g. a "Total" or "Notes" column finance added to the sheet
        notes.append(f"ignored non-month columns: {', '.join(ignored)}")
    records: list[dict[str, Any]] = []
    for n, row in table.dicts():
        for header, month in month_cols.items():
            values = {
                "plan_version": table.value(row, "Plan Version"),
                "channel": table.value(row, "Channel"),
                "currency": table.value(row, "Currency"),
                "month": month,
                "planned_amount": table.value(row, header),
            }
            if n in table.ragged:  # month comes from the header; the cells are untrusted
                record = {**uncast(values), "month": month, PARSE_ERROR: table.ragged_reason(n)}
            else:
                record = cast_row(entity, values, tz=channel.timezone)
            records.append({**record, ROW_NUMBER: n})
    notes.append(f"unpivoted {len(table.rows)} plan row(s) x {len(month_cols)} month(s) "
                 f"into {len(records)} record(s)")
    return finish(entity, records, len(table.rows), notes)
