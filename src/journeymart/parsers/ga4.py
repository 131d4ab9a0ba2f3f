"""GA4 BigQuery export (events_YYYYMMDD) as NDJSON, usually gzipped.

Each event's nested `event_params` list is flattened into the registry columns the models
need, and also kept whole as JSON text so nothing is lost.
"""

from __future__ import annotations

from typing import Any

from journeymart.parsers import ga4_fast
from journeymart.parsers.base import (
    PARSE_ERROR,
    ROW_NUMBER,
    Parsed,
    cast_row,
    dig,
    finish,
    micros_to_timestamp,
    read_ndjson,
    to_json,
)
from journeymart.registry import Channel, Entity

# event_timestamp is epoch microseconds, UTC by definition.
CASTS = {"event_timestamp": micros_to_timestamp}


def _param(value: Any) -> Any:
    """The one non-null member of {string_value, int_value, float_value, double_value}."""
    if not isinstance(value, dict):
        return None
    for kind in ("string_value", "int_value", "float_value", "double_value"):
        if value.get(kind) is not None:
            return value[kind]
    return None


def _event(e: dict[str, Any], currency: str) -> dict[str, Any]:
    raw_params = e.get("event_params") or []
    params = {p.get("key"): _param(p.get("value"))
              for p in (raw_params if isinstance(raw_params, list) else []) if isinstance(p, dict)}
    cts = e.get("collected_traffic_source")
    cts = cts if isinstance(cts, dict) else {}  # null on events without collected attribution

    revenue = dig(e, "ecommerce", "purchase_revenue")
    if revenue is None and e.get("event_name") == "purchase":
        revenue = params.get("value")  # `value` on other events is not revenue
    event_currency = params.get("currency")
    if revenue is not None and event_currency is None:
        event_currency = currency  # GA4 itself reads a currency-less value in property currency

    return {
        "event_date": e.get("event_date"),
        "event_timestamp": e.get("event_timestamp"),
        "event_name": e.get("event_name"),
        "event_bundle_sequence_id": e.get("event_bundle_sequence_id"),
        "user_pseudo_id": e.get("user_pseudo_id"),
        "user_id": e.get("user_id"),
        "ga_session_id": params.get("ga_session_id"),
        "ga_session_number": params.get("ga_session_number"),
        "page_location": params.get("page_location"),
        "page_referrer": params.get("page_referrer"),
        # Event-scoped attribution: collected_traffic_source first, event params as fallback.
        "source": cts.get("manual_source") or params.get("source"),
        "medium": cts.get("manual_medium") or params.get("medium"),
        "campaign": cts.get("manual_campaign_name") or params.get("campaign"),
        "gclid": cts.get("gclid") or params.get("gclid"),
        # traffic_source is the user's FIRST touch, not this event's.
        "first_touch_source": dig(e, "traffic_source", "source"),
        "first_touch_medium": dig(e, "traffic_source", "medium"),
        "first_touch_campaign": dig(e, "traffic_source", "name"),
        "transaction_id": params.get("transaction_id") or dig(e, "ecommerce", "transaction_id"),
        "purchase_revenue": revenue,
        "currency": event_currency,
        "engagement_time_msec": params.get("engagement_time_msec"),
        "platform": e.get("platform"),
        "device_category": dig(e, "device", "category"),
        "country": dig(e, "geo", "country"),
        "event_params": to_json(raw_params) if raw_params else None,
    }


def parse_events(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    # Most files take the vectorised reader; it returns None for any file it cannot prove it
    # reads exactly like the loop below (tests/test_fast_path.py compares the two).
    fast = ga4_fast.parse_events(data, name, entity, channel)
    return fast if fast is not None else parse_events_rowwise(data, name, entity, channel)


def parse_events_rowwise(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    lines, notes = read_ndjson(data, name)
    records = []
    for ln in lines:
        if ln.obj is None:
            # Not JSON: every required column is NULL so the row is quarantined; the line's
            # text travels in event_params so the quarantine shows what arrived.
            record = {"event_params": ln.raw, PARSE_ERROR: f"line {ln.line}: {ln.error}"}
        else:
            record = cast_row(entity, _event(ln.obj, channel.currency), tz="UTC", casts=CASTS)
        record[ROW_NUMBER] = ln.line
        records.append(record)
    return finish(entity, records, len(lines), notes)
