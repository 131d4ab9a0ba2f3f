"""Meta Ads insights: the Graph API /insights JSON, or Keboola's flattened CSV of it.

Keboola writes the nested `actions` / `action_values` arrays as LONG rows (one row per
action: ads_action_name, action_type, value) beside, or instead of, one metrics row per
campaign/adset/ad-day. The parser folds those rows back into one record per day and object,
so both shapes produce the same frame.
"""

from __future__ import annotations

import re
from typing import Any

from journeymart.parsers.base import (
    PARSE_ERROR,
    ROW_NUMBER,
    Parsed,
    StructuralError,
    cast_row,
    finish,
    json_list,
    json_records,
    load_json,
    read_csv,
    read_text,
    to_json,
    uncast,
)
from journeymart.registry import Channel, Entity

# Purchases count the pixel purchase when present (what Ads Manager shows as "Purchases"),
# else the generic `purchase` action; both never summed, they overlap.
PURCHASE_TYPES = ("offsite_conversion.fb_pixel_purchase", "purchase")
ACTION_KINDS = ("actions", "action_values")

# Plain columns copied from a Graph API row / Keboola metrics row as they are.
PLAIN = ("date_start", "date_stop", "account_id", "account_name", "account_currency",
         "campaign_id", "campaign_name", "adset_id", "adset_name", "impressions", "reach",
         "clicks", "inline_link_clicks", "spend")

# One Keboola record per: day, object ids as deep as the query level goes, and any breakdown.
KEBOOLA_KEY = ("date_start", "date_stop", "account_id", "campaign_id", "adset_id", "ad_id")
BREAKDOWNS = ("country", "region", "dma", "age", "gender", "impression_device",
              "publisher_platform", "platform_position", "device_platform")
WINDOW = re.compile(r"^\d+d_(click|view)$")  # attribution-window columns: 1d_click, 7d_view


def _pick(items: Any) -> Any:
    if not isinstance(items, list):
        return None
    for wanted in PURCHASE_TYPES:
        for item in items:
            if isinstance(item, dict) and item.get("action_type") == wanted:
                return item.get("value")
    return None


def _values(row: dict[str, Any], actions: Any, action_values: Any, currency: str) -> dict[str, Any]:
    values = {c: row.get(c) for c in PLAIN}
    # An export without the currency field is in the account's currency.
    values["account_currency"] = row.get("account_currency") or currency
    values["actions"] = to_json(actions) if actions else None
    values["purchases"] = _pick(actions)
    values["purchase_value"] = _pick(action_values)
    return values


def parse_ads_insights(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    text = read_text(data, name)
    if text.lstrip().startswith("{"):
        return _parse_graph_json(text, entity, channel)
    return _parse_keboola_csv(data, name, entity, channel)


def _parse_graph_json(text: str, entity: Entity, channel: Channel) -> Parsed:
    doc = load_json(text)
    if isinstance(doc, dict) and "error" in doc:  # an API error body saved as the export
        raise StructuralError(f"Graph API error response: {doc['error']}")
    items = json_list(doc, "data")

    def extract(row: dict[str, Any]) -> dict[str, Any]:
        return _values(row, row.get("actions"), row.get("action_values"), channel.currency)

    records, notes = json_records(entity, items, extract, tz=channel.timezone)
    return finish(entity, records, len(items), notes)


def _parse_keboola_csv(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    table = read_csv(data, name)
    missing = [c for c in ("date_start", "account_id", "campaign_id", "spend") if not table.has(c)]
    if missing:
        raise StructuralError(f"missing required columns in header: {', '.join(missing)}")
    key_cols = [c for c in KEBOOLA_KEY if table.has(c)] + [c for c in BREAKDOWNS if table.has(c)]
    windows = [h for h in table.header if WINDOW.match(h)]

    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    ignored: dict[str, int] = {}
    records = []
    for n, row in table.dicts():
        if n in table.ragged:  # cells may be shifted: not folded, kept as text to quarantine
            records.append({**uncast({c: table.value(row, c) for c in PLAIN}), ROW_NUMBER: n,
                            PARSE_ERROR: table.ragged_reason(n)})
            continue
        key = tuple(table.value(row, c) for c in key_cols)
        group = groups.setdefault(key, {"first": n, "row": {}, "actions": [], "action_values": []})
        # Metric and name cells: the first non-empty value in the group wins (metrics rows
        # carry them; some queries repeat them on every action row).
        for col in PLAIN:
            cell = table.value(row, col)
            if cell not in (None, "") and not group["row"].get(col):
                group["row"][col] = cell
        kind = (table.value(row, "ads_action_name") or "").strip()
        if kind in ACTION_KINDS:
            item = {"action_type": table.value(row, "action_type"), "value": table.value(row, "value")}
            item |= {w: table.value(row, w) for w in windows if table.value(row, w)}
            group[kind].append(item)
        elif kind:
            ignored[kind] = ignored.get(kind, 0) + 1

    for group in groups.values():
        values = _values(group["row"], group["actions"], group["action_values"], channel.currency)
        records.append({**cast_row(entity, values, tz=channel.timezone), ROW_NUMBER: group["first"]})
    records.sort(key=lambda r: r[ROW_NUMBER])

    notes = list(table.notes)
    notes.append(f"collapsed {len(table.rows)} Keboola long row(s) into {len(records)} record(s)")
    if not table.has("account_currency"):
        notes.append(f"no account_currency column: account currency {channel.currency} assumed")
    extra = [c for c in ("ad_id", *BREAKDOWNS) if c in key_cols]
    if extra:
        notes.append(f"records are per {', '.join(extra)} as well: the export is finer than "
                     "(date_start, campaign_id, adset_id), so that key may repeat")
    for kind, count in ignored.items():
        notes.append(f"ignored {count} row(s) with ads_action_name={kind!r}")
    return finish(entity, records, len(table.rows), notes)

