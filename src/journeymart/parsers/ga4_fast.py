"""GA4 events without a Python dict per event: msgspec decodes each line straight into typed
structs (C, unknown fields skipped), and the row loop's casts run once per column and once
per distinct value.

It must build exactly the frame `ga4.parse_events_rowwise` builds, so it only takes what it
can prove it reads the same way, and raises `Unproven` for the rest (the caller then parses
the file row by row, so every odd input keeps its reason):
- msgspec is strict RFC 8259 JSON and, like json.loads, keeps the last of duplicated keys;
  a line it refuses (NaN, invalid JSON, not an object) is left to the loop;
- every field the loop reads must be a JSON string or null (objects where it digs): the
  loop would `str()` a number, a struct field refuses it;
- event_params elements may hold only `key` and `value`, values only the four `*_value`
  slots (forbid_unknown_fields), each a string or null; their JSON text comes from msgspec
  with sorted keys, used only when it is printable ASCII without a backslash, where it is
  byte for byte what json.dumps(sort_keys=True, separators=(",", ":")) writes.
Casts are the loop's own functions (`cast_row`'s choice per column), so values and types
cannot drift; only the iteration order changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from operator import attrgetter
from typing import Any

import msgspec
import pandas as pd

from journeymart.parsers import base
from journeymart.parsers.base import PARSE_ERROR, ROW_NUMBER, Parsed, decode, decompress
from journeymart.registry import Channel, Entity

log = logging.getLogger(__name__)
Text = str | None
UNSET: Any = msgspec.UNSET


class Unproven(Exception):
    """The file holds something this reader cannot prove it reads like the row loop."""


class _Value(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    string_value: Text | msgspec.UnsetType = UNSET
    int_value: Text | msgspec.UnsetType = UNSET
    float_value: Text | msgspec.UnsetType = UNSET
    double_value: Text | msgspec.UnsetType = UNSET


class _Param(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    key: Text | msgspec.UnsetType = UNSET
    value: _Value | None | msgspec.UnsetType = UNSET


class _CollectedTraffic(msgspec.Struct, gc=False):
    manual_source: Text = None
    manual_medium: Text = None
    manual_campaign_name: Text = None
    gclid: Text = None


class _FirstTouch(msgspec.Struct, gc=False):
    source: Text = None
    medium: Text = None
    name: Text = None


class _Ecommerce(msgspec.Struct, gc=False):
    purchase_revenue: Text = None
    transaction_id: Text = None


class _Device(msgspec.Struct, gc=False):
    category: Text = None


class _Geo(msgspec.Struct, gc=False):
    country: Text = None


class _Event(msgspec.Struct, gc=False):
    event_date: Text = None
    event_timestamp: Text = None
    event_name: Text = None
    event_bundle_sequence_id: Text = None
    user_pseudo_id: Text = None
    user_id: Text = None
    platform: Text = None
    event_params: list[_Param] | None = None
    collected_traffic_source: _CollectedTraffic | None = None
    traffic_source: _FirstTouch | None = None
    ecommerce: _Ecommerce | None = None
    device: _Device | None = None
    geo: _Geo | None = None


_DECODE = msgspec.json.Decoder(_Event).decode
_ENCODE = msgspec.json.Encoder(order="sorted").encode
_PRINTABLE = bytes(range(0x20, 0x7F)).replace(b"\\", b"")


def parse_events(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed | None:
    """The file's Parsed, or None when the file needs the row-by-row parser."""
    try:
        return read_events(data, name, entity, channel)
    except Unproven as exc:
        log.info("%s: parsed row by row (%s)", name, exc)
        return None


def _text(data: bytes, name: str) -> bytes | str:
    """The file's text. A file of ASCII bytes without NUL stays bytes: `base.decode` would
    accept it and give the same characters, so decoding it (1.3 us per event) is skipped, and
    msgspec reads bytes directly. Other files are decoded as the loop decodes them (msgspec
    checks UTF-8 only in the fields it reads, not in those it skips)."""
    try:
        raw = decompress(data, name)
        return raw if raw.isascii() and b"\0" not in raw else decode(raw)
    except ValueError as exc:
        raise Unproven("unreadable; the row parser gives the reason") from exc


def read_events(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    text = _text(data, name)
    events, numbers = _decode_lines(text) if isinstance(text, bytes) else ([], [])
    if not events:
        events, numbers = _decode_each(text)
    # Every cell is a cast's output (str, int, Decimal, date, datetime or None; a cast never
    # returns NaN or NaT), so the row loop's `where(notna, None)` would change nothing here.
    frame = pd.DataFrame(_columns(entity, channel, events, numbers, _plain(text)), dtype=object)
    return Parsed(frame, len(events), ())


def _plain(text: bytes | str) -> bool:
    """Whether every text msgspec decodes from the file is printable ASCII without a backslash,
    so that its JSON needs no escaping (`_params_json`): an ASCII file (`_text`) without a
    backslash has no escape sequence, msgspec refuses a raw control character in a string,
    and DEL is the one ASCII character left that json.dumps escapes. One scan of the file
    instead of one per event's params (0.59 us per event)."""
    return isinstance(text, bytes) and b"\\" not in text and b"\x7f" not in text


def _decode_lines(text: bytes) -> tuple[list[_Event], list[int]]:
    """Every line decoded in place (a view of the text, no bytes object per line: 6.2 -> 5.1
    us per event), when each line is one event: a blank line, which the loop skips, and any
    line msgspec refuses give ([], []), and `_decode_each` reads the file. A line's "\r" is
    JSON whitespace to msgspec, as to the loop's json.loads once it has dropped one."""
    view, find, end = memoryview(text), text.find, len(text)
    events: list[_Event] = []
    start = 0
    try:
        while start < end:
            stop = find(b"\n", start)
            if stop < 0:
                stop = end
            events.append(_DECODE(view[start:stop]))
            start = stop + 1
    except msgspec.DecodeError:
        return [], []
    return events, list(range(1, len(events) + 1))


def _decode_each(text: bytes | str) -> tuple[list[_Event], list[int]]:
    """The loop's own line rules: split on "\n" only, drop one "\r", skip blank lines. (A
    line of str-only whitespace, such as "\x1c", is blank to the loop but not as bytes:
    msgspec refuses it, and the loop reads the file.)"""
    lines: list[Any] = text.split(b"\n") if isinstance(text, bytes) else text.split("\n")
    cr: Any = b"\r" if isinstance(text, bytes) else "\r"
    numbers: list[int] = []
    events: list[_Event] = []
    for i, raw in enumerate(lines, start=1):
        raw = raw.removesuffix(cr)
        if not raw.strip():
            continue
        try:
            events.append(_DECODE(raw))
        except msgspec.DecodeError as exc:  # ValidationError too: a type the loop would str()
            raise Unproven(f"line {i}: {exc}") from exc
        numbers.append(i)
    if not events:
        raise Unproven("no data lines")
    return events, numbers


# The event_params keys the columns read.
PARAM_KEYS = ("ga_session_id", "ga_session_number", "page_location", "page_referrer", "source", "medium",
              "campaign", "gclid", "transaction_id", "value", "currency", "engagement_time_msec")


def _params(events: list[_Event], keys: tuple[str, ...]) -> dict[str, list[Any]]:
    """Each key's value per event: ga4._param's, the first of the four slots that is not null
    (None when the value is not an object). A key repeated within an event keeps its last
    value, as the loop's dict of the params does. The slots are read inline, not by a call per
    param (1.6 -> 0.9 us per event)."""
    cols: dict[str, list[Any]] = {k: [None] * len(events) for k in keys}
    get = cols.get
    for i, e in enumerate(events):
        for p in e.event_params or ():
            col = get(p.key)  # type: ignore[arg-type]  # UNSET is no key
            if col is None:
                continue
            v = p.value
            if v.__class__ is not _Value:
                col[i] = None
                continue
            s = v.string_value
            if s is None or s is UNSET:
                s = v.int_value
                if s is None or s is UNSET:
                    s = v.float_value
                    if s is None or s is UNSET:
                        s = v.double_value
                        if s is UNSET:
                            s = None
            col[i] = s
    return cols


def _params_json(params: list[_Param] | None, plain: bool = False) -> str | None:
    """The params' JSON text; `plain`: the file is known to need no escaping (`_plain`)."""
    if not params:
        return None  # the loop: `e.get("event_params") or []`, then None when empty
    out = _ENCODE(params)
    if not plain and out.translate(None, _PRINTABLE):
        raise Unproven("event_params text needs escaping; json.dumps is the reference for that")
    return out.decode()


def _columns(entity: Entity, channel: Channel, events: list[_Event], numbers: list[int],
             plain: bool = False) -> dict[str, list[Any]]:
    params = _params(events, PARAM_KEYS)

    def param(k: str) -> list[Any]:
        return params[k]

    parents = {name: list(map(attrgetter(name), events))
               for name in ("collected_traffic_source", "traffic_source", "ecommerce", "device", "geo")}

    def top(name: str) -> list[Any]:
        return list(map(attrgetter(name), events))

    def nested(obj: str, attr: str) -> list[Any]:
        get = attrgetter(attr)
        return [None if o is None else get(o) for o in parents[obj]]

    def first(a: list[Any], b: list[Any]) -> list[Any]:
        return [x or y for x, y in zip(a, b, strict=True)]

    names = top("event_name")
    revenue = [r if r is not None or n != "purchase" else v
               for r, n, v in zip(nested("ecommerce", "purchase_revenue"), names, param("value"), strict=True)]
    currency = [c if c is not None or r is None else channel.currency
                for c, r in zip(param("currency"), revenue, strict=True)]
    raw: dict[str, list[Any]] = {
        "event_date": top("event_date"),
        "event_timestamp": top("event_timestamp"),
        "event_name": names,
        "event_bundle_sequence_id": top("event_bundle_sequence_id"),
        "user_pseudo_id": top("user_pseudo_id"),
        "user_id": top("user_id"),
        "ga_session_id": param("ga_session_id"),
        "ga_session_number": param("ga_session_number"),
        "page_location": param("page_location"),
        "page_referrer": param("page_referrer"),
        "source": first(nested("collected_traffic_source", "manual_source"), param("source")),
        "medium": first(nested("collected_traffic_source", "manual_medium"), param("medium")),
        "campaign": first(nested("collected_traffic_source", "manual_campaign_name"), param("campaign")),
        "gclid": first(nested("collected_traffic_source", "gclid"), param("gclid")),
        "first_touch_source": nested("traffic_source", "source"),
        "first_touch_medium": nested("traffic_source", "medium"),
        "first_touch_campaign": nested("traffic_source", "name"),
        "transaction_id": first(param("transaction_id"), nested("ecommerce", "transaction_id")),
        "purchase_revenue": revenue,
        "currency": currency,
        "engagement_time_msec": param("engagement_time_msec"),
        "platform": top("platform"),
        "device_category": nested("device", "category"),
        "country": nested("geo", "country"),
        "event_params": [_params_json(e.event_params, plain) for e in events],
    }
    if list(raw) != list(entity.columns):
        raise Unproven("the registry's GA4 columns changed; this reader does not know them")
    casts = _casts(entity)
    cols = {c: _cast_column(casts[c], values) for c, values in raw.items()}
    cols[ROW_NUMBER] = numbers
    cols[PARSE_ERROR] = [None] * len(events)
    return cols


def _casts(entity: Entity) -> dict[str, Callable[[Any], Any]]:
    """What base.cast_row applies to each column for ga4.parse_events_rowwise."""
    from journeymart.parsers.ga4 import CASTS

    default = base.row_casts("UTC")
    return {c: CASTS.get(c, default[t]) for c, t in entity.columns.items()}


def _cast_column(cast: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    # The casts are pure functions of a str or None.
    try:
        return base.cast_distinct(cast, values)
    except Exception as exc:  # noqa: BLE001 - the loop raises it too, for its first such row
        raise Unproven(f"a cast raised {type(exc).__name__}") from exc
