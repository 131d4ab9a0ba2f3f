"""AppsFlyer raw-data exports: installs and in-app events, times in UTC, one file per UTC day.

In-app events inherit the install's attribution (media source, campaign), as AppsFlyer does;
revenue is in the user's own currency with the USD equivalent beside it.
"""

from __future__ import annotations

import json

import numpy as np

from journeymart.generate import catalog as cat
from journeymart.generate.activity import APP_EVENTS, Day
from journeymart.generate.population import PURCHASE
from journeymart.generate.timefmt import utc_naive
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import cents

INSTALLS_HEADER = ("Attributed Touch Type", "Attributed Touch Time", "Install Time", "Event Time", "Event Name",
                   "Media Source", "Channel", "Campaign", "AppsFlyer ID", "Customer User ID", "Platform",
                   "Country Code", "App ID")
EVENTS_HEADER = ("Event Time", "Event Name", "Event Value", "Event Revenue", "Event Revenue Currency",
                 "Event Revenue USD", "Media Source", "Campaign", "AppsFlyer ID", "Customer User ID",
                 "Platform", "App ID")


def _platform(ctx: Context, person: int) -> tuple[str, str]:
    ios = cat.DEVICES[int(ctx.people.device[person])][1] == "iOS"
    return ("ios", cat.ACCOUNTS["mmp"]["ios"]) if ios else ("android", cat.ACCOUNTS["mmp"]["android"])


def _customer_user_id(ctx: Context, person: int) -> str:
    P = ctx.people
    return P.customer_id[person] if P.stage[person] >= PURCHASE else ""


def _campaign(t: int) -> str:
    tr = cat.TRAFFIC[t]
    return "" if tr.app_media_source == "organic" else tr.campaign


def write_installs(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    ins = day.installs
    order = np.lexsort((ins.person, ins.install_s))
    at = utc_naive(ins.install_s[order])
    touch = utc_naive(ins.touch_s[order])
    rows = []
    for j, k in enumerate(order.tolist()):
        p, t = int(ins.person[k]), int(ins.traffic[k])
        tr = cat.TRAFFIC[t]
        paid = ins.touch_s[k] > 0
        platform, app_id = _platform(ctx, p)
        rows.append(["click" if paid else "", touch[j] if paid else "", at[j], at[j], "install",
                     tr.app_media_source, tr.app_channel, _campaign(t), ctx.people.appsflyer_id(p),
                     _customer_user_id(ctx, p), platform, cat.COUNTRIES[ctx.people.country[p]][1], app_id])
    ctx.landing.csv("mmp", "installs", d, f"installs_{d.isoformat()}.csv", INSTALLS_HEADER, rows)


def write_in_app_events(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    ev, orders, P = day.app_events, day.orders, ctx.people
    order_of = {int(p): j for j, p in enumerate(orders.person.tolist()) if orders.source[j] != 0}
    order = np.lexsort((ev.event, ev.person, ev.at_s))
    stamps = dict(zip(order.tolist(), utc_naive(ev.at_s[order]), strict=True))
    rows = []
    for k in order.tolist():
        p, e = int(ev.person[k]), int(ev.event[k])
        name = APP_EVENTS[e]
        platform, app_id = _platform(ctx, p)
        t = int(P.app_traffic[p]) if P.app_traffic[p] >= 0 else cat.DIRECT
        revenue = currency = revenue_usd = ""
        if name == "af_purchase":
            j = order_of[p]
            usd_c = int(orders.total_c[j])
            currency = cat.COUNTRIES[int(P.country[p])][2]
            revenue = cents(ctx.usd_cents_to(currency, day.index, usd_c))
            revenue_usd = cents(usd_c)
            value = {"af_revenue": revenue, "af_currency": currency,
                     "af_order_id": str(int(orders.order_id[j]))}
        elif name == "af_content_view":
            value = {"af_content_type": "product", "af_content_id": f"SKU-{1000 + (p + k) % 40}"}
        elif name == "af_add_to_cart":
            value = {"af_content_id": f"SKU-{1000 + p % 40}", "af_quantity": "1"}
        else:
            value = {}
        rows.append([stamps[k], name, json.dumps(value, separators=(",", ":")), revenue, currency, revenue_usd,
                     cat.TRAFFIC[t].app_media_source, _campaign(t), P.appsflyer_id(p), _customer_user_id(ctx, p),
                     platform, app_id])
    ctx.landing.csv("mmp", "in_app_events", d, f"in_app_events_{d.isoformat()}.csv", EVENTS_HEADER, rows)


def write(ctx: Context, day: Day) -> None:
    write_installs(ctx, day)
    write_in_app_events(ctx, day)
