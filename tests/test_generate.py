"""The demo-export generator: deterministic, complete, native-shaped, and true to its truth file.

The checks are driven by the channel registry; only the native column names (from
docs/export_formats.md) and how to reach a registry column in each native shape are spelled out
here, as a deliberately small reader independent of journeymart.parsers.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from journeymart.generate import generate_landing
from journeymart.registry import Entity, load

START = date(2026, 3, 5)  # spans the US switch to daylight time (8 March)
DAYS = 10
CUSTOMERS = 200
SEED = 11


def _generate(root: Path, seed: int = SEED, days: int = DAYS, customers: int = CUSTOMERS) -> Path:
    generate_landing(root, START, days, customers, seed, progress=False)
    return root


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generate(tmp_path_factory.mktemp("landing_a"))


@pytest.fixture(scope="module")
def truth(landing: Path) -> dict[str, Any]:
    return json.loads((landing / "_truth.json").read_text())


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _entity_files(root: Path, e: Entity) -> list[Path]:
    return sorted(p for p in (root / e.channel_id).glob(f"*/{e.pattern}") if p.is_file())


def _range() -> list[str]:
    return [(START + timedelta(days=i)).isoformat() for i in range(DAYS)]


# ---------------------------------------------------------------------------------------
# a small generic reader: native rows as dicts


NATIVE_COLUMNS: dict[str, tuple[str, ...]] = {
    "google_ads__campaign_stats": (
        "segments.date", "customer.id", "customer.descriptive_name", "customer.currency_code",
        "customer.time_zone", "campaign.id", "campaign.name", "campaign.advertising_channel_type",
        "metrics.impressions", "metrics.clicks", "metrics.cost_micros", "metrics.conversions",
        "metrics.conversions_value"),
    "meta_ads__ads_insights": (
        "account_id", "account_name", "account_currency", "campaign_id", "campaign_name", "adset_id",
        "adset_name", "date_start", "date_stop", "impressions", "reach", "clicks", "inline_link_clicks", "spend"),
    "linkedin_ads__campaign_analytics": (
        "Start Date (in UTC)", "Account Name", "Currency", "Campaign Group Name", "Campaign ID", "Campaign Name",
        "Campaign Type", "Total Spent", "Impressions", "Clicks", "Conversions", "Leads"),
    "tiktok_ads__ad_reports": (
        "ad_id", "stat_time_day", "spend", "impressions", "clicks", "reach", "conversion", "campaign_id",
        "campaign_name", "adgroup_name", "ad_name", "currency"),
    "email__campaigns": (
        "campaign_id", "campaign_name", "subject_line", "list_id", "send_time", "emails_sent", "send_cost",
        "currency"),
    "email__recipient_activity": ("campaign_id", "email_address", "action", "timestamp", "url"),
    "ga4__events": (
        "event_date", "event_timestamp", "event_name", "event_params", "event_bundle_sequence_id", "user_id",
        "user_pseudo_id", "device", "geo", "traffic_source", "collected_traffic_source", "ecommerce",
        "platform"),
    "mmp__installs": (
        "Attributed Touch Type", "Attributed Touch Time", "Install Time", "Event Time", "Event Name",
        "Media Source", "Channel", "Campaign", "AppsFlyer ID", "Customer User ID", "Platform", "Country Code",
        "App ID"),
    "mmp__in_app_events": (
        "Event Time", "Event Name", "Event Value", "Event Revenue", "Event Revenue Currency",
        "Event Revenue USD", "Media Source", "Campaign", "AppsFlyer ID", "Customer User ID", "Platform",
        "App ID"),
    "youtube__channel_basic": (
        "date", "channel_id", "video_id", "live_or_on_demand", "subscribed_status", "country_code", "views",
        "comments", "likes", "dislikes", "shares", "watch_time_minutes", "average_view_duration_seconds",
        "average_view_duration_percentage", "annotation_impressions", "subscribers_gained", "subscribers_lost"),
    "webinars__sessions": (
        "Webinar ID", "Topic", "Start Time", "Duration (Minutes)", "# Registered", "# Attended",
        "Platform Cost", "Currency"),
    "webinars__registrants": (
        "Webinar ID", "Email", "First Name", "Last Name", "Registration Time", "Source", "Attended",
        "Join Time", "Leave Time", "Time in Session (minutes)"),
    "events__event_costs": (
        "cost_line_id", "event_id", "event_name", "city", "start_date", "end_date", "cost_category", "amount",
        "currency"),
    "events__lead_scans": ("Event ID", "Badge ID", "Scanned At", "Email", "Company", "Job Title"),
    "content__production_costs": (
        "entry_id", "posting_date", "asset_id", "asset_title", "asset_type", "vendor", "period_start",
        "period_end", "target_stage", "amount", "currency"),
    "offline__agency_invoices": (
        "Invoice No", "Invoice Date", "Agency", "Media Type", "Market", "Station/Publication", "Flight Start",
        "Flight End", "Spots", "GRPs", "Gross Amount", "Agency Commission", "Net Amount", "Currency"),
    "commerce__orders": (
        "Id", "Name", "Email", "Financial Status", "Currency", "Subtotal", "Shipping", "Taxes", "Total",
        "Discount Code", "Created at", "Source", "Customer Id"),
    "commerce__support_tickets": (
        "id", "created_at", "requester", "external_id", "subject", "status", "via", "satisfaction_rating"),
    "commerce__referrals": (
        "referral_id", "referred_at", "referrer_customer_id", "referrer_email", "referee_email", "referral_code"),
    "commerce__reviews": ("id", "createdAt", "consumer", "orderId", "stars", "title"),
    "finance__budget_plan": ("Plan Version", "Channel", "Currency"),
    "finance__fx_rates": ("rate_date", "base_currency", "quote_currency", "rate"),
}


def _csv_rows(path: Path, first_header_cell: str) -> tuple[list[str], list[dict[str, str]]]:
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    for cells in reader:
        if cells and cells[0] == first_header_cell:
            header = cells
            break
    else:
        raise AssertionError(f"{path}: no header starting {first_header_cell!r}")
    rows = [dict(zip(header, cells, strict=True)) for cells in reader if cells]
    return header, rows


def read_native(table: str, path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    if table == "ga4__events":
        return [json.loads(line) for line in gzip.decompress(raw).decode().splitlines()]
    if table == "meta_ads__ads_insights":
        return json.loads(raw)["data"]
    if table == "tiktok_ads__ad_reports":
        return [{**r["dimensions"], **r["metrics"]} for r in json.loads(raw)["data"]["list"]]
    if table == "commerce__support_tickets":
        return json.loads(raw)["tickets"]
    if table == "commerce__reviews":
        return json.loads(raw)["reviews"]
    _, rows = _csv_rows(path, NATIVE_COLUMNS[table][0])
    return rows


# registry column -> how to read it from a native row (only the columns the rules name)
def _d(fmt: str):
    return lambda v: datetime.strptime(v, fmt).date() if v else None


def _ts_offset(v: str) -> datetime | None:
    return datetime.fromisoformat(v.replace("Z", "+00:00")) if v else None


def _ts_naive(tz: str):
    return lambda v: datetime.strptime(v, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo(tz)) if v else None


def _ts_shopify(v: str) -> datetime:
    return datetime.strptime(v, "%Y-%m-%d %H:%M:%S %z")


def _num(v: Any) -> Decimal | None:
    return None if v in (None, "") else Decimal(str(v).replace(",", ""))


def _param(key: str):
    def get(e: dict) -> Any:
        for p in e["event_params"]:
            if p["key"] == key:
                val = p["value"]
                return next((val[k] for k in ("string_value", "int_value", "double_value") if val[k] is not None),
                            None)
        return None
    return get


def _action(actions: list[dict] | None, cast):
    by_type = {a["action_type"]: a["value"] for a in actions or ()}
    value = by_type.get("offsite_conversion.fb_pixel_purchase", by_type.get("purchase"))
    return cast(value) if value is not None else None


def col(native: str, cast=lambda v: v):
    return lambda r: cast(r.get(native)) if r.get(native) not in (None, "") else None


ISO = _d("%Y-%m-%d")
ACCESS: dict[str, dict[str, Any]] = {
    "google_ads__campaign_stats": {
        "date": col("segments.date", ISO), "customer_id": col("customer.id"), "campaign_id": col("campaign.id"),
        "currency_code": col("customer.currency_code"), "impressions": col("metrics.impressions", _num),
        "clicks": col("metrics.clicks", _num), "cost_micros": col("metrics.cost_micros", _num),
        "cost": lambda r: _num(r["metrics.cost_micros"]) / 1_000_000,
        "conversions": col("metrics.conversions", _num), "conversions_value": col("metrics.conversions_value", _num)},
    "meta_ads__ads_insights": {
        "date_start": col("date_start", ISO), "account_id": col("account_id"), "campaign_id": col("campaign_id"),
        "adset_id": col("adset_id"), "spend": col("spend", _num), "impressions": col("impressions", _num),
        "reach": col("reach", _num), "clicks": col("clicks", _num),
        "inline_link_clicks": col("inline_link_clicks", _num), "account_currency": col("account_currency"),
        "purchases": lambda r: _action(r.get("actions"), _num), "purchase_value": lambda r: _action(
            r.get("action_values"), _num)},
    "linkedin_ads__campaign_analytics": {
        "date": col("Start Date (in UTC)", _d("%m/%d/%Y")), "campaign_id": col("Campaign ID"),
        "currency": col("Currency"), "total_spent": col("Total Spent", _num), "impressions": col("Impressions", _num),
        "clicks": col("Clicks", _num), "conversions": col("Conversions", _num), "leads": col("Leads", _num)},
    "tiktok_ads__ad_reports": {
        "stat_time": col("stat_time_day"), "stat_date": lambda r: ISO(r["stat_time_day"][:10]),
        "ad_id": col("ad_id"), "spend": col("spend", _num), "currency": col("currency"),
        "impressions": col("impressions", _num), "clicks": col("clicks", _num), "reach": col("reach", _num),
        "conversion": col("conversion", _num)},
    "email__campaigns": {
        "campaign_id": col("campaign_id"), "send_time": col("send_time", _ts_offset),
        "emails_sent": col("emails_sent", _num), "send_cost": col("send_cost", _num), "currency": col("currency")},
    "email__recipient_activity": {
        "campaign_id": col("campaign_id"), "email_hash": col("email_address"), "action": col("action"),
        "occurred_at": col("timestamp", _ts_offset)},
    "ga4__events": {
        "event_date": col("event_date", _d("%Y%m%d")), "event_timestamp": col("event_timestamp"),
        "event_name": col("event_name"), "user_pseudo_id": col("user_pseudo_id"),
        "event_bundle_sequence_id": col("event_bundle_sequence_id"),
        "purchase_revenue": lambda r: _num((r.get("ecommerce") or {}).get("purchase_revenue")),
        "engagement_time_msec": lambda r: _num(_param("engagement_time_msec")(r)),
        "currency": _param("currency")},
    "mmp__installs": {
        "appsflyer_id": col("AppsFlyer ID"), "install_time": col("Install Time", _ts_naive("UTC")),
        "media_source": col("Media Source")},
    "mmp__in_app_events": {
        "appsflyer_id": col("AppsFlyer ID"), "event_time": col("Event Time", _ts_naive("UTC")),
        "event_name": col("Event Name"), "event_revenue": col("Event Revenue", _num),
        "event_revenue_currency": col("Event Revenue Currency")},
    "youtube__channel_basic": {
        "date": col("date", _d("%Y%m%d")), "channel_id": col("channel_id"), "video_id": col("video_id"),
        "live_or_on_demand": col("live_or_on_demand"), "subscribed_status": col("subscribed_status"),
        "country_code": col("country_code"), **{c: col(c, _num) for c in (
            "views", "likes", "shares", "comments", "watch_time_minutes", "subscribers_gained", "subscribers_lost")}},
    "webinars__sessions": {
        "webinar_id": col("Webinar ID"), "start_time": col("Start Time", _ts_naive("America/New_York")),
        "duration_minutes": col("Duration (Minutes)", _num), "registrants": col("# Registered", _num),
        "attendees": col("# Attended", _num), "platform_cost": col("Platform Cost", _num), "currency": col("Currency")},
    "webinars__registrants": {
        "webinar_id": col("Webinar ID"), "email_hash": col("Email"),
        "registration_time": col("Registration Time", _ts_naive("America/New_York")), "attended": col("Attended"),
        "time_in_session_minutes": col("Time in Session (minutes)", _num)},
    "events__event_costs": {
        "cost_line_id": col("cost_line_id"), "event_id": col("event_id"), "start_date": col("start_date", ISO),
        "end_date": col("end_date", ISO), "amount": col("amount", _num), "currency": col("currency")},
    "events__lead_scans": {
        "event_id": col("Event ID"), "badge_id": col("Badge ID"), "scanned_at": col("Scanned At", _ts_offset),
        "email_hash": col("Email")},
    "content__production_costs": {
        "entry_id": col("entry_id"), "posting_date": col("posting_date", ISO), "asset_id": col("asset_id"),
        "period_start": col("period_start", ISO), "period_end": col("period_end", ISO), "amount": col("amount", _num),
        "currency": col("currency")},
    "offline__agency_invoices": {
        "invoice_number": col("Invoice No"), "invoice_date": col("Invoice Date", _d("%m/%d/%Y")),
        "media_type": col("Media Type"), "flight_start": col("Flight Start", _d("%m/%d/%Y")),
        "flight_end": col("Flight End", _d("%m/%d/%Y")), "spots": col("Spots", _num), "grps": col("GRPs", _num),
        "gross_amount": col("Gross Amount", _num), "agency_commission": col("Agency Commission", _num),
        "net_amount": col("Net Amount", _num), "currency": col("Currency")},
    "commerce__orders": {
        "order_id": col("Id"), "customer_id": col("Customer Id"), "created_at": col("Created at", _ts_shopify),
        "currency": col("Currency"), "subtotal": col("Subtotal", _num), "shipping": col("Shipping", _num),
        "taxes": col("Taxes", _num), "total": col("Total", _num)},
    "commerce__support_tickets": {
        "ticket_id": col("id"), "created_at": col("created_at", _ts_offset), "status": col("status")},
    "commerce__referrals": {
        "referral_id": col("referral_id"), "referred_at": col("referred_at", _ts_offset),
        "referrer_customer_id": col("referrer_customer_id"), "referee_email_hash": col("referee_email")},
    "commerce__reviews": {
        "review_id": col("id"), "created_at": col("createdAt", _ts_offset),
        "customer_id": lambda r: r["consumer"]["customerId"], "rating": col("stars", _num)},
    "finance__fx_rates": {
        "rate_date": col("rate_date", ISO), "base_currency": col("base_currency"),
        "quote_currency": col("quote_currency"), "rate": col("rate", _num)},
}


def budget_rows(path: Path) -> list[dict[str, Any]]:
    """The wide plan sheet, melted to the registry's long rows."""
    header, rows = _csv_rows(path, "Plan Version")
    months = header[3:]
    return [{"plan_version": r["Plan Version"], "channel": r["Channel"], "currency": r["Currency"],
             "month": date.fromisoformat(m + "-01"), "planned_amount": _num(r[m])} for r in rows for m in months]


def registry_rows(e: Entity, path: Path) -> list[dict[str, Any]]:
    if e.table == "finance__budget_plan":
        return budget_rows(path)
    access = ACCESS[e.table]
    return [{c: get(r) for c, get in access.items()} for r in read_native(e.table, path)]


def _as_date(v: Any, tz: str) -> date:
    return v.astimezone(ZoneInfo(tz)).date() if isinstance(v, datetime) else v


ISO_4217 = {"USD", "EUR", "GBP"}


# ---------------------------------------------------------------------------------------
# determinism


def test_same_seed_same_bytes(landing: Path, tmp_path: Path) -> None:
    again = _files(_generate(tmp_path / "again"))
    first = _files(landing)
    assert first.keys() == again.keys()
    different = [name for name in first if first[name] != again[name]]
    assert not different, f"not byte-identical: {different[:5]}"


def test_other_seed_other_bytes(landing: Path, tmp_path: Path) -> None:
    other = _files(_generate(tmp_path / "other", seed=SEED + 1))
    first = _files(landing)
    same = [n for n in first.keys() & other.keys() if first[n] == other[n] and not n.startswith("finance/")]
    assert first["_truth.json"] != other["_truth.json"]
    assert len(same) < len(first) // 2


def test_gzip_has_no_timestamp_or_name(landing: Path) -> None:
    for path in (landing / "ga4").rglob("*.gz"):
        head = path.read_bytes()[:10]
        assert head[:2] == b"\x1f\x8b"
        assert head[4:8] == b"\x00\x00\x00\x00", "gzip mtime must be 0"
        assert not head[3] & 0x08, "gzip header must not carry a file name"


# ---------------------------------------------------------------------------------------
# completeness and naming


def test_every_registry_entity_is_generated(landing: Path) -> None:
    for e in load().entities:
        files = _entity_files(landing, e)
        assert files, f"{e.table}: no files"
        if e.cadence == "daily":
            days = sorted(p.parent.name for p in files)
            assert days == _range(), f"{e.table}: daily entity missing days {set(_range()) - set(days)}"


def test_every_file_matches_exactly_one_entity_of_its_channel(landing: Path) -> None:
    reg = load()
    channel_ids = {c.id for c in reg.channels}
    for path in landing.rglob("*"):
        if path.is_dir():
            continue
        rel = path.relative_to(landing).parts
        if rel == ("_truth.json",):
            continue
        assert len(rel) == 3, f"unexpected location {rel}"
        channel, day, name = rel
        assert channel in channel_ids
        assert day in _range()
        matches = [e for e in reg.channel(channel).entities if e.matches(name)]
        assert len(matches) == 1, f"{path}: matches {[e.id for e in matches]}"


def test_no_file_without_data_rows(landing: Path) -> None:
    for e in load().entities:
        for path in _entity_files(landing, e):
            assert registry_rows(e, path), f"{path} has no data rows"


# ---------------------------------------------------------------------------------------
# native shapes


def test_native_columns_present(landing: Path) -> None:
    for e in load().entities:
        expected = NATIVE_COLUMNS[e.table]
        for path in _entity_files(landing, e):
            if e.format == "csv":
                header, _ = _csv_rows(path, expected[0])
                missing = [c for c in expected if c not in header]
                assert not missing, f"{path}: header lacks {missing}"
                if e.table == "finance__budget_plan":
                    assert all(re.fullmatch(r"\d{4}-\d{2}", m) for m in header[3:])
            else:
                for row in read_native(e.table, path):
                    missing = [c for c in expected if c not in row]
                    assert not missing, f"{path}: record lacks {missing}"


def test_native_quirks(landing: Path) -> None:
    google = next((landing / "google_ads").rglob("*.csv")).read_bytes()
    assert b"\r\n" in google and google.count(b"\n") == google.count(b"\r\n"), "Google CSV has CRLF endings"
    linkedin = next((landing / "linkedin_ads").rglob("*.csv")).read_bytes()
    assert linkedin.startswith(b"\xef\xbb\xbf"), "LinkedIn export starts with a BOM"
    lines = linkedin.decode("utf-8-sig").split("\n")
    assert lines[0] == "Campaign Performance Report" and lines[5].startswith("Start Date (in UTC),")
    assert lines[4] == ""
    meta = json.loads(next((landing / "meta_ads").rglob("*.json")).read_bytes())
    assert all(isinstance(r[k], str) for r in meta["data"] for k in ("impressions", "clicks", "spend"))
    ga4 = read_native("ga4__events", next((landing / "ga4").rglob("*.gz")))
    assert all(isinstance(ev["event_timestamp"], str) and len(ev["event_date"]) == 8 for ev in ga4)
    sources = {(_param("source")(ev), _param("medium")(ev)) for p in (landing / "ga4").rglob("*.gz")
               for ev in read_native("ga4__events", p) if ev["event_name"] == "session_start"}
    assert {("google", "cpc"), ("facebook", "paid_social"), ("(direct)", "(none)")} <= sources
    with_gclid = [ev for p in (landing / "ga4").rglob("*.gz") for ev in read_native("ga4__events", p)
                  if (ev["collected_traffic_source"] or {}).get("gclid")]
    assert with_gclid and all(_param("source")(ev) in (None, "google") for ev in with_gclid)


def test_raw_emails_in_email_export(landing: Path) -> None:
    rows = [r for p in (landing / "email").rglob("recipient_activity_*.csv")
            for r in read_native("email__recipient_activity", p)]
    assert rows
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.com", r["email_address"]) for r in rows)
    assert {r["action"] for r in rows} <= {"sent", "open", "click", "bounce", "unsubscribe"}


def test_identity_travels_with_the_customer(landing: Path) -> None:
    orders = [r for p in (landing / "commerce").rglob("orders_export_*.csv") for r in read_native("commerce__orders", p)]
    assert all(re.fullmatch(r"C\d{6}", r["Customer Id"]) and r["Email"].endswith("@example.com") for r in orders)
    events = [ev for p in (landing / "ga4").rglob("*.gz") for ev in read_native("ga4__events", p)]
    web_ids = {ev["user_id"] for ev in events if ev["user_id"]}
    assert web_ids and all(re.fullmatch(r"C\d{6}", u) for u in web_ids)
    purchases = {_param("transaction_id")(ev) for ev in events if ev["event_name"] == "purchase"}
    assert purchases and purchases <= {r["Id"] for r in orders}
    app = [r for p in (landing / "mmp").rglob("in_app_events_*.csv") for r in read_native("mmp__in_app_events", p)]
    assert any(r["Customer User ID"] for r in app)


# ---------------------------------------------------------------------------------------
# the registry's row rules


def test_reader_covers_every_rule_column() -> None:
    for e in load().entities:
        named = set(e.key) | set(e.required) | set(e.non_negative) | {c for p in e.pairs_le for c in p}
        named |= set(e.accepted_values) | ({e.currency} if e.currency else set())
        named |= {e.date_window.column} if e.date_window else set()
        have = set(ACCESS.get(e.table, {})) if e.table != "finance__budget_plan" else {
            "plan_version", "channel", "month", "planned_amount", "currency"}
        assert named <= have, f"{e.table}: test reader lacks {named - have}"


def test_registry_rules_hold(landing: Path) -> None:
    reg = load()
    for e in reg.entities:
        tz = reg.channel(e.channel_id).timezone
        for path in _entity_files(landing, e):
            folder = date.fromisoformat(path.parent.name)
            rows = registry_rows(e, path)
            keys = Counter(tuple(r[c] for c in e.key) for r in rows)
            dupes = [k for k, n in keys.items() if n > 1]
            assert not dupes, f"{path}: duplicate keys {dupes[:3]}"
            for r in rows:
                nulls = [c for c in e.required if r.get(c) in (None, "")]
                assert not nulls, f"{path}: required {nulls} empty in {r}"
                negative = [c for c in e.non_negative if r.get(c) is not None and r[c] < 0]
                assert not negative, f"{path}: negative {negative}"
                for a, b in e.pairs_le:
                    assert r[a] <= r[b], f"{path}: {a} > {b} in {r}"
                if e.currency and r.get(e.currency):
                    assert r[e.currency] in ISO_4217
                if e.date_window:
                    w = e.date_window
                    day = _as_date(r[w.column], tz)
                    assert folder - timedelta(days=w.days_before) <= day <= folder + timedelta(days=w.days_after), \
                        f"{path}: {w.column}={r[w.column]} outside the window of {folder}"
                for column, allowed in e.accepted_values.items():
                    assert r[column] in allowed


def test_two_currencies_and_two_time_zones(landing: Path, truth: dict[str, Any]) -> None:
    reg = load()
    currencies, offsets = set(), set()
    for e in reg.entities:
        for path in _entity_files(landing, e):
            for r in registry_rows(e, path):
                if e.currency and r.get(e.currency):
                    currencies.add(r[e.currency])
                for v in r.values():
                    if isinstance(v, datetime) and v.tzinfo is not None and v.tzinfo.utcoffset(v):
                        offsets.add(v.utcoffset())
    assert len(currencies) >= 2, currencies
    assert len(offsets) >= 2, offsets
    assert len({a["timezone"] for a in truth["accounts"].values()}) >= 2
    assert len({a["currency"] for a in truth["accounts"].values()}) >= 2


def test_every_foreign_currency_row_has_a_rate_by_its_reporting_date(landing: Path) -> None:
    """The warehouse converts at the latest rate on or before a row's date in the reporting
    zone, and fails the build without one. Rows stamped in UTC in the first hours of the
    first day fall on the day before in America/New_York: the history must cover them too
    (a year-scale bench found two such app purchases in EUR)."""
    reg = load()
    fx = reg.channel("finance").entity("fx_rates")
    first_rate: dict[str, date] = {}
    for path in _entity_files(landing, fx):
        for r in registry_rows(fx, path):
            first_rate[r["base_currency"]] = min(r["rate_date"], first_rate.get(r["base_currency"], r["rate_date"]))
    assert all(d == START - timedelta(days=1) for d in first_rate.values()), first_rate
    checked = 0
    for e in reg.entities:
        if not e.currency or not e.date_window or e.table == fx.table:
            continue
        for path in _entity_files(landing, e):
            for r in registry_rows(e, path):
                currency = r.get(e.currency)
                if currency in (None, "", reg.reporting_currency):
                    continue
                day = _as_date(r[e.date_window.column], reg.reporting_timezone)
                assert first_rate[currency] <= day, f"{path}: no {currency} rate on or before {day}"
                checked += 1
    assert checked, "no foreign-currency row: nothing was checked"


# ---------------------------------------------------------------------------------------
# _truth.json agrees with the files

SPEND_COLUMN = {  # the column of each entity that carries spend, in registry terms
    "google_ads__campaign_stats": "cost", "meta_ads__ads_insights": "spend",
    "linkedin_ads__campaign_analytics": "total_spent", "tiktok_ads__ad_reports": "spend",
    "email__campaigns": "send_cost", "webinars__sessions": "platform_cost", "events__event_costs": "amount",
    "content__production_costs": "amount", "offline__agency_invoices": "net_amount",
}


def test_truth_spend_equals_sum_of_files(landing: Path, truth: dict[str, Any]) -> None:
    reg = load()
    sums: dict[str, dict[str, Decimal]] = {}
    for table, column in SPEND_COLUMN.items():
        e = reg.entity(table)
        for path in _entity_files(landing, e):
            for r in registry_rows(e, path):
                by_cur = sums.setdefault(e.channel_id, {})
                cur = r[e.currency]
                by_cur[cur] = by_cur.get(cur, Decimal(0)) + r[column]
    assert set(sums) == set(truth["spend"])
    for channel, by_cur in sums.items():
        stated = {cur: Decimal(v) for cur, v in truth["spend"][channel]["totals"].items()}
        assert stated == by_cur, channel
        for cur, daily in truth["spend"][channel]["daily"].items():
            assert sorted(daily) == _range()
            assert sum(Decimal(v) for v in daily.values()) == by_cur[cur], f"{channel} daily {cur}"
        assert sum((Decimal(v) for ent in truth["spend"][channel]["entities"].values() for v in ent.values()),
                   Decimal(0)) == sum(by_cur.values())


def test_truth_counts_agree_with_files(landing: Path, truth: dict[str, Any]) -> None:
    reg = load()
    for e in reg.entities:
        files = _entity_files(landing, e)
        stated = truth["rows"][e.table]
        assert stated["files"] == len(files)
        assert stated["rows"] == sum(len(registry_rows(e, p)) if e.table != "finance__budget_plan"
                                     else len(_csv_rows(p, "Plan Version")[1]) for p in files)
    orders = sum(len(read_native("commerce__orders", p)) for p in _entity_files(landing, reg.entity("commerce__orders")))
    assert truth["orders"]["first"] + truth["orders"]["repeat"] == orders
    assert sum(truth["stages"]["final"].values()) == CUSTOMERS
    assert truth["generator"] == {"seed": SEED, "start": START.isoformat(), "days": DAYS,
                                  "end": (START + timedelta(days=DAYS - 1)).isoformat(), "customers": CUSTOMERS}
    fx = truth["fx_rates"]["rates"]
    assert set(fx) == {"EUR", "GBP", "USD"} and all(sorted(v) == _range() for v in fx.values())
    assert set(fx["USD"].values()) == {"1.000000"}


def test_truth_plants_a_misallocated_budget(truth: dict[str, Any]) -> None:
    curves = truth["response_curves"]["channels"]
    for c in (c for c in curves.values() if c):
        assert {"theta", "K", "s", "beta"} <= set(c) and 0 <= c["theta"] < 1 and c["K"] > 0
    rank = truth["response_curves"]["marginal_rank_new_people"]
    assert rank[0] == "google_ads"
    assert set(rank[-2:]) == {"offline", "meta_ads"}, "TV and Meta are the most saturated"
    share = {ch: Decimal(v) for ch, v in truth["spend_share_usd"].items()}
    awareness = share["offline"] + share["meta_ads"] + share["tiktok_ads"] + share["linkedin_ads"]
    assert awareness > Decimal("0.5")
    engaged = truth["customer_engagement"]["share"]
    assert engaged["email"] + engaged["mmp"] > 0.4
    assert share["email"] < Decimal("0.01")


def test_budget_plan_covers_the_year_in_usd(landing: Path) -> None:
    files = _entity_files(landing, load().entity("finance__budget_plan"))
    assert [p.parent.name for p in files] == [START.isoformat()]
    rows = budget_rows(files[0])
    months = sorted({r["month"] for r in rows})
    assert months[0] == START.replace(day=1) and months[-1] == date(START.year, 12, 1)
    assert {r["currency"] for r in rows} == {"USD"}
    assert {r["channel"] for r in rows} <= {c.id for c in load().channels}


# ---------------------------------------------------------------------------------------
# tiny populations still fill every daily file


def test_tiny_population_keeps_daily_files_non_empty(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    summary = generate_landing(root, date(2026, 10, 30), 5, 50, 3, progress=False)
    assert summary["files"] > 0
    days = [(date(2026, 10, 30) + timedelta(days=i)).isoformat() for i in range(5)]
    for e in load().entities:
        files = _entity_files(root, e)
        for path in files:
            assert registry_rows(e, path)
        if e.cadence == "daily":
            assert sorted(p.parent.name for p in files) == days, e.table


def test_rejects_empty_ranges(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_landing(tmp_path, START, 0, 10, 1, progress=False)


def test_generated_dates_derive_from_the_partition(landing: Path) -> None:
    """No wall clock: LinkedIn's 'Date Generated' is the morning after the partition day."""
    for path in (landing / "linkedin_ads").rglob("*.csv"):
        folder = date.fromisoformat(path.parent.name)
        line = path.read_bytes().decode("utf-8-sig").split("\n")[2]
        nxt = folder + timedelta(days=1)
        assert line == f'"Date Generated: {nxt.month}/{nxt.day}/{nxt.year}, 6:00 AM"'
