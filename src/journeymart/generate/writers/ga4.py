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
from journeymart.generate.activity import Day
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import cents

STREAM_ID = "4823109765"
CHUNK_SESSIONS = 2000
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
    return ('{"category":"%s","mobile_brand_name":%s,"mobile_model_name":null,"operating_system":"%s",'
            '"language":"%s","is_limited_ad_tracking":"No","web_info":{"browser":"%s","browser_version":'
            '"120.0","hostname":"shop.example.com"}}') % (category, _js(brand), os_name, LANGUAGE[country], browser)


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
    """Per-day caches of the per-person and per-traffic JSON fragments."""

    def __init__(self) -> None:
        self.device = {(dv, c): _device(dv, c) for dv in range(len(cat.DEVICES)) for c in GEO}
        self.geo = {c: _geo(c) for c in GEO}
        self.first_touch = {t: _traffic_source(t) for t in range(len(cat.TRAFFIC))}


def _lines(ctx: Context, day: Day) -> Iterator[str]:
    S, P, orders = day.sessions, ctx.people, day.orders
    rng = ctx.rng(day.index, 3)
    n = len(S)
    ymd = ctx.date(day.index).strftime("%Y%m%d")
    tpl = _Templates()
    country_codes = [c[1] for c in cat.COUNTRIES]
    email_names = [c.campaign_id for c in day.email_campaigns]
    pages = np.minimum(S.pages, 25)
    page_pick = rng.integers(0, len(PAGES), int(pages.sum()) + 1)
    jitter = rng.integers(0, 5_000_000, int(pages.sum()) + 1)
    engagement = rng.integers(2_000, 60_000, int(pages.sum()) + 1)
    bundles = rng.integers(10**9, 3 * 10**9, int(pages.sum()) + 4 * n + 1)
    gclid_bytes = rng.integers(0, 256, (n, 30), dtype=np.uint8)
    pp = bp = 0  # cursors into the pre-drawn page and bundle arrays
    out: list[str] = []
    head = f'{{"event_date":"{ymd}","event_timestamp":"'

    for k in range(n):
        p = int(S.person[k])
        t = int(S.traffic[k])
        tr = cat.TRAFFIC[t]
        campaign = email_names[S.email_campaign[k]] if S.email_campaign[k] >= 0 else tr.campaign
        gclid = ("Cj0KCQ" + base64.urlsafe_b64encode(gclid_bytes[k].tobytes()).decode()) if tr.gclid else None
        start = int(S.start_us[k])
        sid = start // 1_000_000
        country = country_codes[P.country[p]]
        user_id = _js(P.customer_id[p]) if S.logged_in[k] else "null"
        user = (f'"user_id":{user_id},"user_pseudo_id":"{P.pseudo_id[p]}.{P.first_seen_s[p]}",'
                '"privacy_info":{"analytics_storage":"Yes","ads_storage":"Yes","uses_transient_token":"No"},'
                f'"user_properties":[],"user_first_touch_timestamp":"{int(P.first_seen_s[p]) * 1_000_000}",'
                f'"user_ltv":null,"device":{tpl.device[(int(P.device[p]), country)]},'
                f'"geo":{tpl.geo[country]},"app_info":null,'
                f'"traffic_source":{tpl.first_touch[int(P.first_traffic[p])]},"stream_id":"{STREAM_ID}",'
                '"platform":"WEB","event_dimensions":null')
        cts = (f'{{"manual_campaign_id":null,"manual_campaign_name":{_js(campaign)},'
               f'"manual_source":{_js(tr.source)},"manual_medium":{_js(tr.medium)},"manual_term":null,'
               f'"manual_content":null,"gclid":{_js(gclid)},"dclid":null,"srsltid":null}}')
        common = _iparam("ga_session_id", sid) + "," + _iparam("ga_session_number", int(S.session_number[k]))
        src = ",".join((_sparam("source", _js(tr.source)), _sparam("medium", _js(tr.medium)),
                        _sparam("campaign", _js(campaign))))
        landing = cat.SITE + tr.landing + _landing_query(t, campaign, gclid)
        referrer = REFERRERS.get(tr.source)
        n_pages = int(pages[k])
        engaged = '"1"' if n_pages > 1 else '"0"'
        order = int(S.order[k])
        tail_plain = f',"ecommerce":null,"items":[],"collected_traffic_source":{cts},"is_active_user":"true"}}\n'

        def line(ts: int, name: str, params: str, tail: str = tail_plain, value: str = "null") -> str:
            nonlocal bp
            bp += 1
            return (f'{head}{ts}","event_name":"{name}","event_params":[{params}],'
                    f'"event_previous_timestamp":null,"event_value_in_usd":{value},'
                    f'"event_bundle_sequence_id":"{bundles[bp]}","event_server_timestamp_offset":null,'
                    f'{user}{tail}')

        loc = _sparam("page_location", _js(landing))
        ref = ("," + _sparam("page_referrer", _js(referrer))) if referrer else ""
        if S.new_user[k]:
            out.append(line(start, "first_visit", f"{common},{loc}{ref}"))
        out.append(line(start, "session_start", f"{common},{loc}{ref},{src}"))
        previous, total_ms = referrer, 0
        for j in range(n_pages):
            if order >= 0 and j >= n_pages - 3:
                path = cat.SITE + BUY_PATHS[j - (n_pages - 3)]
            else:
                path = landing if j == 0 else cat.SITE + PAGES[page_pick[pp]]
            ms = int(engagement[pp])
            total_ms += ms
            params = [common, _sparam("page_location", _js(path))]
            if previous:
                params.append(_sparam("page_referrer", _js(previous)))
            params += [_iparam("engagement_time_msec", ms), _sparam("session_engaged", engaged), src]
            out.append(line(start + j * 60_000_000 + int(jitter[pp]), "page_view", ",".join(params)))
            previous = path
            pp += 1
        out.append(line(start + (n_pages - 1) * 60_000_000 + 40_000_000, "user_engagement",
                        f"{common},{_iparam('engagement_time_msec', total_ms)},"
                        f"{_sparam('session_engaged', engaged)}"))
        if order >= 0:
            oid = str(int(orders.order_id[order]))
            total = cents(int(orders.total_c[order]))
            ecommerce = (f'{{"total_item_quantity":"1","purchase_revenue_in_usd":"{total}",'
                         f'"purchase_revenue":"{total}","refund_value_in_usd":null,"refund_value":null,'
                         f'"shipping_value_in_usd":"{cents(int(orders.shipping_c[order]))}",'
                         f'"shipping_value":"{cents(int(orders.shipping_c[order]))}",'
                         f'"tax_value_in_usd":"{cents(int(orders.tax_c[order]))}",'
                         f'"tax_value":"{cents(int(orders.tax_c[order]))}","unique_items":"1",'
                         f'"transaction_id":"{oid}"}}')
            params = ",".join((common, _sparam("page_location", _js(cat.SITE + BUY_PATHS[-1])),
                               _sparam("transaction_id", _js(oid)), _dparam("value", total),
                               _sparam("currency", '"USD"')))
            tail = (f',"ecommerce":{ecommerce},"items":[],"collected_traffic_source":{cts},'
                    '"is_active_user":"true"}\n')
            out.append(line(int(orders.created_s[order]) * 1_000_000, "purchase", params, tail, f'"{total}"'))
        if (k + 1) % CHUNK_SESSIONS == 0:
            yield "".join(out)
            out = []
    if out:
        yield "".join(out)


def write(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    ctx.landing.gzip_lines("ga4", "events", d, f"events_{d.strftime('%Y%m%d')}.ndjson.gz", _lines(ctx, day))
