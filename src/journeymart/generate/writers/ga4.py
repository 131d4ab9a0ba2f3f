"""GA4 BigQuery export: one JSON event per line, gzip, `events_YYYYMMDD.ndjson.gz`.

This is the bulk of the demo (tens of thousands of events a day at 100k people), so lines are
assembled from string templates, with everything that is constant within a session built
once per session, and streamed to gzip in chunks instead of being held for the whole day.
Field order and the four-slot `event_params` values follow the real export
(tests/fixtures/ga4, /work/shared/samples/ga4_bigquery_export_*).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from urllib.parse import quote

import numpy as np

from journeymart.generate import catalog as cat
from journeymart.generate.activity import Day, Orders
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import cents

STREAM_ID = "4823109765"
CHUNK_SESSIONS = 500
PAGES = ("/products/linen-shirt", "/products/wool-coat", "/products/canvas-tote", "/collections/new",
         "/collections/sale", "/products/denim-jacket", "/blog/care-guide", "/about/")
BUY_PATHS = ("/cart/", "/checkout/", "/checkout/thank-you/")
REFERRERS = {"google": "https://www.google.com/", "facebook": "https://l.facebook.com/",
             "linkedin": "https://www.linkedin.com/", "tiktok": "https://www.tiktok.com/",
             "youtube": "https://www.youtube.com/"}
GEO = {
    "US": ("New York", "United States", "Americas", "New York", "Northern America"),
    "DE": ("Berlin", "Germany", "Europe", "Berlin", "Western Europe"),
    "GB": ("London", "United Kingdom", "Europe", "England", "Northern Europe"),
}
LANGUAGE = {"US": "en-us", "DE": "de-de", "GB": "en-gb"}
NULL4 = '"int_value":null,"float_value":null,"double_value":null'


def _js(v: str | None) -> str:
    return "null" if v is None else json.dumps(v)


def _sparam(key: str, value_json: str) -> str:
    return f'{{"key":"{key}","value":{{"string_value":{value_json},{NULL4}}}}}'


def _iparam(key: str, value: int) -> str:
    return (f'{{"key":"{key}","value":{{"string_value":null,"int_value":"{value}",'
            f'"float_value":null,"double_value":null}}}}')


def _dparam(key: str, value: str) -> str:
    return (f'{{"key":"{key}","value":{{"string_value":null,"int_value":null,'
            f'"float_value":null,"double_value":"{value}"}}}}')


def _device(code: int, country: str) -> str:
    category, os_name, browser = cat.DEVICES[code]
    brand = {"iOS": "Apple", "Android": "Samsung"}.get(os_name)
    return json.dumps({
        "category": category, "mobile_brand_name": brand, "mobile_model_name": None,
        "operating_system": os_name, "language": LANGUAGE[country], "is_limited_ad_tracking": "No",
        "web_info": {"browser": browser, "browser_version": "120.0", "hostname": "shop.example.com"},
    }, separators=(",", ":"))


def _geo(country: str) -> str:
    city, name, continent, region, sub = GEO[country]
    return (f'{{"city":"{city}","country":"{name}","continent":"{continent}","region":"{region}",'
            f'"sub_continent":"{sub}","metro":"(not set)"}}')


def _traffic_source(t: int) -> str:
    tr = cat.TRAFFIC[t]
    return f'{{"name":{_js(tr.campaign)},"medium":{_js(tr.medium)},"source":{_js(tr.source)}}}'


def _landing_query(t: int, campaign: str, gclid: str | None) -> str:
    tr = cat.TRAFFIC[t]
    if gclid:
        return f"?gclid={gclid}"
    if tr.medium in ("(none)", "organic"):
        return ""
    return f"?utm_source={tr.source}&utm_medium={tr.medium}&utm_campaign={quote(campaign.lower().replace(' ', '_'))}"


class _Templates:
    """JSON fragments that repeat across sessions, built once per day."""

    def __init__(self) -> None:
        self.device = {(dv, c): _device(dv, c) for dv in range(len(cat.DEVICES)) for c in GEO}
        self.geo = {c: _geo(c) for c in GEO}
        self.first_touch = {t: _traffic_source(t) for t in range(len(cat.TRAFFIC))}
        self.location = {path: _sparam("page_location", _js(cat.SITE + path)) for path in PAGES + BUY_PATHS}
        self.referrer = {path: _sparam("page_referrer", _js(cat.SITE + path)) for path in PAGES + BUY_PATHS}
        self.engaged = {True: _sparam("session_engaged", '"1"'), False: _sparam("session_engaged", '"0"')}
        self._source: dict[tuple[int, str], str] = {}

    def source(self, t: int, campaign: str) -> str:
        key = (t, campaign)
        if key not in self._source:
            tr = cat.TRAFFIC[t]
            self._source[key] = ",".join((_sparam("source", _js(tr.source)), _sparam("medium", _js(tr.medium)),
                                          _sparam("campaign", _js(campaign))))
        return self._source[key]


def _ecommerce(orders: Orders, j: int) -> tuple[str, str, str]:
    oid = str(int(orders.order_id[j]))
    total = cents(int(orders.total_c[j]))
    shipping = cents(int(orders.shipping_c[j]))
    tax = cents(int(orders.tax_c[j]))
    doc = (f'{{"total_item_quantity":"1","purchase_revenue_in_usd":"{total}","purchase_revenue":"{total}",'
           f'"refund_value_in_usd":null,"refund_value":null,"shipping_value_in_usd":"{shipping}",'
           f'"shipping_value":"{shipping}","tax_value_in_usd":"{tax}","tax_value":"{tax}",'
           f'"unique_items":"1","transaction_id":"{oid}"}}')
    params = ",".join((_sparam("transaction_id", _js(oid)), _dparam("value", total), _sparam("currency", '"USD"')))
    return doc, params, total


def _lines(ctx: Context, day: Day) -> Iterator[tuple[str, int]]:
    """Blocks of NDJSON text and how many events each holds."""
    S, P, orders = day.sessions, ctx.people, day.orders
    rng = ctx.rng(day.index, 3)
    n = len(S)
    ymd = ctx.date(day.index).strftime("%Y%m%d")
    tpl = _Templates()
    country_codes = [c[1] for c in cat.COUNTRIES]
    email_names = [c.campaign_id for c in day.email_campaigns]
    pages = np.minimum(S.pages, 25)
    n_page_rows = int(pages.sum()) + 1
    page_pick = rng.integers(0, len(PAGES), n_page_rows).tolist()
    jitter = rng.integers(0, 5_000_000, n_page_rows).tolist()
    engagement = rng.integers(2_000, 60_000, n_page_rows).tolist()
    bundles = rng.integers(10**9, 3 * 10**9, n_page_rows + 4 * n).tolist()
    gclid_bytes = rng.integers(0, 256, (n, 30), dtype=np.uint8)
    who = S.person
    # per-session columns as Python lists: element access on numpy arrays is the slow path here
    person, traffic, email_c = who.tolist(), S.traffic.tolist(), S.email_campaign.tolist()
    starts, numbers, orders_of = S.start_us.tolist(), S.session_number.tolist(), S.order.tolist()
    logged, new_user, n_pages_all = S.logged_in.tolist(), S.new_user.tolist(), pages.tolist()
    pseudo, first_seen = P.pseudo_id[who].tolist(), P.first_seen_s[who].tolist()
    country_of, device_of, first_t = P.country[who].tolist(), P.device[who].tolist(), P.first_traffic[who].tolist()
    head = f'{{"event_date":"{ymd}","event_timestamp":"'
    checkout = tpl.location[BUY_PATHS[-1]]
    pp = bp = 0  # cursors into the pre-drawn page and bundle arrays
    out: list[str] = []

    for k in range(n):
        p, t = person[k], traffic[k]
        tr = cat.TRAFFIC[t]
        campaign = email_names[email_c[k]] if email_c[k] >= 0 else tr.campaign
        gclid = ("Cj0KCQ" + base64.urlsafe_b64encode(gclid_bytes[k].tobytes()).decode()) if tr.gclid else None
        start = starts[k]
        country = country_codes[country_of[k]]
        user_id = f'"{P.customer_id[p]}"' if logged[k] else "null"
        user = (f'"event_server_timestamp_offset":null,"user_id":{user_id},'
                f'"user_pseudo_id":"{pseudo[k]}.{first_seen[k]}",'
                '"privacy_info":{"analytics_storage":"Yes","ads_storage":"Yes","uses_transient_token":"No"},'
                f'"user_properties":[],"user_first_touch_timestamp":"{first_seen[k] * 1_000_000}",'
                f'"user_ltv":null,"device":{tpl.device[(device_of[k], country)]},'
                f'"geo":{tpl.geo[country]},"app_info":null,'
                f'"traffic_source":{tpl.first_touch[first_t[k]]},"stream_id":"{STREAM_ID}",'
                '"platform":"WEB","event_dimensions":null')
        cts = (f'"items":[],"collected_traffic_source":{{"manual_campaign_id":null,'
               f'"manual_campaign_name":{_js(campaign)},"manual_source":{_js(tr.source)},'
               f'"manual_medium":{_js(tr.medium)},"manual_term":null,"manual_content":null,'
               f'"gclid":{_js(gclid)},"dclid":null,"srsltid":null}},"is_active_user":"true"}}\n')
        plain = f'{user},"ecommerce":null,{cts}'
        common = (f'{_iparam("ga_session_id", start // 1_000_000)},'
                  f'{_iparam("ga_session_number", numbers[k])}')
        src = tpl.source(t, campaign)
        landing = cat.SITE + tr.landing + _landing_query(t, campaign, gclid)
        referrer = REFERRERS.get(tr.source)
        n_pages = n_pages_all[k]
        engaged = tpl.engaged[n_pages > 1]
        order = orders_of[k]
        loc = _sparam("page_location", _js(landing))
        ref = ("," + _sparam("page_referrer", _js(referrer))) if referrer else ""

        if new_user[k]:
            out.append(f'{head}{start}","event_name":"first_visit","event_params":[{common},{loc}{ref}]'
                       f',"event_previous_timestamp":null,"event_value_in_usd":null,'
                       f'"event_bundle_sequence_id":"{bundles[bp]}",{plain}')
            bp += 1
        out.append(f'{head}{start}","event_name":"session_start","event_params":[{common},{loc}{ref},{src}]'
                   f',"event_previous_timestamp":null,"event_value_in_usd":null,'
                   f'"event_bundle_sequence_id":"{bundles[bp]}",{plain}')
        bp += 1
        prev_ref, total_ms = ref, 0
        for j in range(n_pages):
            if order >= 0 and j >= n_pages - 3:
                path = BUY_PATHS[j - (n_pages - 3)]
                here, next_ref = tpl.location[path], "," + tpl.referrer[path]
            elif j == 0:
                here, next_ref = loc, "," + _sparam("page_referrer", _js(landing))
            else:
                path = PAGES[page_pick[pp]]
                here, next_ref = tpl.location[path], "," + tpl.referrer[path]
            ms = engagement[pp]
            total_ms += ms
            out.append(f'{head}{start + j * 60_000_000 + jitter[pp]}","event_name":"page_view","event_params":['
                       f'{common},{here}{prev_ref},{_iparam("engagement_time_msec", ms)},{engaged},{src}]'
                       f',"event_previous_timestamp":null,"event_value_in_usd":null,'
                       f'"event_bundle_sequence_id":"{bundles[bp]}",{plain}')
            prev_ref = next_ref
            pp += 1
            bp += 1
        out.append(f'{head}{start + (n_pages - 1) * 60_000_000 + 40_000_000}","event_name":"user_engagement",'
                   f'"event_params":[{common},{_iparam("engagement_time_msec", total_ms)},{engaged}]'
                   f',"event_previous_timestamp":null,"event_value_in_usd":null,'
                   f'"event_bundle_sequence_id":"{bundles[bp]}",{plain}')
        bp += 1
        if order >= 0:
            doc, params, total = _ecommerce(orders, order)
            out.append(f'{head}{int(orders.created_s[order]) * 1_000_000}","event_name":"purchase",'
                       f'"event_params":[{common},{checkout},{params}],"event_previous_timestamp":null,'
                       f'"event_value_in_usd":"{total}","event_bundle_sequence_id":"{bundles[bp]}",'
                       f'{user},"ecommerce":{doc},{cts}')
            bp += 1
        if (k + 1) % CHUNK_SESSIONS == 0:
            yield "".join(out), len(out)
            out = []
    if out:
        yield "".join(out), len(out)


def write(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    ctx.landing.gzip_lines("ga4", "events", d, f"events_{d.strftime('%Y%m%d')}.ndjson.gz", _lines(ctx, day))
