"""Ad platforms' daily reports: Google Ads (GAQL CSV), Meta (Insights JSON), LinkedIn
(Campaign Manager CSV with title rows), TikTok (Business API JSON).

A platform reports a row only for lines that served that day; always-on lines keep every
daily file non-empty. The folder date is the account-zone day.
"""

from __future__ import annotations

from datetime import timedelta

from journeymart.generate import catalog as cat
from journeymart.generate.activity import Day
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import CENT, cents, money
from journeymart.registry import load

GOOGLE_HEADER = (
    "segments.date", "customer.id", "customer.descriptive_name", "customer.currency_code",
    "customer.time_zone", "campaign.id", "campaign.name", "campaign.advertising_channel_type",
    "metrics.impressions", "metrics.clicks", "metrics.cost_micros", "metrics.conversions",
    "metrics.conversions_value",
)
LINKEDIN_HEADER = (
    "Start Date (in UTC)", "Account Name", "Currency", "Campaign Group Name", "Campaign ID",
    "Campaign Name", "Campaign Type", "Total Spent", "Impressions", "Clicks", "Conversions", "Leads",
)


def _lines(channel: str, day: Day) -> list[int]:
    return [k for k, a in enumerate(cat.AD_LINES) if a.channel == channel and day.ads.impressions[k] > 0]


def _account(channel: str) -> tuple[str, str]:
    """(currency, time zone) of the channel's account, from the registry."""
    ch = load().channel(channel)
    return ch.currency, ch.timezone


def _mdy(d) -> str:
    return f"{d.month}/{d.day}/{d.year}"


def write_google(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    acct = cat.ACCOUNTS["google_ads"]
    currency, tz = _account("google_ads")
    rows, spend = [], 0
    for k in _lines("google_ads", day):
        a, ads = cat.AD_LINES[k], day.ads
        spend += int(ads.spend_micros[k])
        rows.append([d.isoformat(), acct["id"], acct["name"], currency, tz, a.campaign_id, a.campaign_name,
                     a.type, int(ads.impressions[k]), int(ads.clicks[k]), int(ads.spend_micros[k]),
                     f"{int(ads.conversions[k])}.0", cents(ads.conversion_value_c[k])])
    ctx.landing.csv("google_ads", "campaign_stats", d, f"campaign_performance_{d.isoformat()}.csv",
                    GOOGLE_HEADER, rows, crlf=True, spend={currency: spend})


def _actions(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"action_type": t, "value": v} for t, v in pairs if v not in ("0", "0.00")]


def write_meta(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    rng = ctx.rng(day.index, 1)
    acct = cat.ACCOUNTS["meta_ads"]
    currency, _ = _account("meta_ads")
    data, spend = [], 0
    for k in _lines("meta_ads", day):
        a, ads = cat.AD_LINES[k], day.ads
        clicks = int(ads.clicks[k])
        link_clicks = int(clicks * rng.uniform(0.7, 0.95))
        purchases = int(ads.conversions[k])
        value_c = ctx.usd_cents_to(currency, day.index, int(ads.conversion_value_c[k]))
        spend += int(ads.spend_micros[k])
        row = {
            "account_id": acct["id"], "account_name": acct["name"], "account_currency": currency,
            "campaign_id": a.campaign_id, "campaign_name": a.campaign_name, "adset_id": a.row_id,
            "adset_name": a.row_name, "date_start": d.isoformat(), "date_stop": d.isoformat(),
            "impressions": str(int(ads.impressions[k])), "reach": str(int(ads.reach[k])),
            "clicks": str(clicks), "inline_link_clicks": str(link_clicks),
            "spend": money(int(ads.spend_micros[k])),
        }
        actions = _actions([("link_click", str(link_clicks)),
                            ("landing_page_view", str(min(link_clicks, clicks))),
                            ("lead", str(int(ads.leads[k]))),
                            ("offsite_conversion.fb_pixel_purchase", str(purchases)),
                            ("purchase", str(purchases))])
        values = _actions([("offsite_conversion.fb_pixel_purchase", cents(value_c)),
                           ("purchase", cents(value_c))])
        if actions:
            row["actions"] = actions
        if values:
            row["action_values"] = values
        data.append(row)
    doc = {"data": data, "paging": {"cursors": {"before": "MAZDZD", "after": f"M{len(data)}ZDZD"}}}
    ctx.landing.json("meta_ads", "ads_insights", d, f"ads_insights_{d.isoformat()}.json", doc, len(data),
                     spend={currency: spend})


def write_linkedin(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    acct = cat.ACCOUNTS["linkedin_ads"]
    currency, _ = _account("linkedin_ads")
    rows, spend = [], 0
    for k in _lines("linkedin_ads", day):
        a, ads = cat.AD_LINES[k], day.ads
        spend += int(ads.spend_micros[k])
        rows.append([_mdy(d), acct["name"], currency, a.group_name, a.campaign_id, a.campaign_name, a.type,
                     money(int(ads.spend_micros[k])), int(ads.impressions[k]), int(ads.clicks[k]),
                     int(ads.conversions[k]), int(ads.leads[k])])
    generated = d + timedelta(days=1)  # exported the next morning: derived, never the wall clock
    preamble = [
        ["Campaign Performance Report"],
        [f"Report Start: {_mdy(d)}, 12:00 AM", f"Report End: {_mdy(d)}, 11:59 PM"],
        [f"Date Generated: {_mdy(generated)}, 6:00 AM"],
        [f"Account: {acct['name']} ({acct['id']})"],
        [],
    ]
    ctx.landing.csv("linkedin_ads", "campaign_analytics", d, f"campaign_performance_report_{d.isoformat()}.csv",
                    LINKEDIN_HEADER, rows, bom=True, preamble=preamble, spend={currency: spend})


def write_tiktok(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    rng = ctx.rng(day.index, 2)
    currency, _ = _account("tiktok_ads")
    listing, spend = [], 0
    for k in _lines("tiktok_ads", day):
        a, ads = cat.AD_LINES[k], day.ads
        spend += int(ads.spend_micros[k])
        listing.append({
            "dimensions": {"ad_id": a.row_id, "stat_time_day": f"{d.isoformat()} 00:00:00"},
            "metrics": {
                "spend": money(int(ads.spend_micros[k])), "impressions": str(int(ads.impressions[k])),
                "clicks": str(int(ads.clicks[k])), "reach": str(int(ads.reach[k])),
                "conversion": str(int(ads.conversions[k])), "campaign_id": a.campaign_id,
                "campaign_name": a.campaign_name, "adgroup_name": a.group_name, "ad_name": a.row_name,
                "currency": currency,
            },
        })
    doc = {
        "code": 0, "message": "OK",
        "request_id": f"{d.strftime('%Y%m%d')}0{int(rng.integers(10**17, 10**18 - 1)):X}",
        "data": {"page_info": {"page": 1, "page_size": 1000, "total_number": len(listing), "total_page": 1},
                 "list": listing},
    }
    ctx.landing.json("tiktok_ads", "ad_reports", d, f"ad_report_{d.isoformat()}.json", doc, len(listing),
                     spend={currency: spend})


def write(ctx: Context, day: Day) -> None:
    assert all(int(m) % CENT == 0 for k, m in enumerate(day.ads.spend_micros)
               if cat.AD_LINES[k].channel != "google_ads"), "2-decimal platforms bill whole cents"
    write_google(ctx, day)
    write_meta(ctx, day)
    write_linkedin(ctx, day)
    write_tiktok(ctx, day)

