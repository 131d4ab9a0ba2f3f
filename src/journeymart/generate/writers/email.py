"""The ESP's exports: campaigns sent that day, and Mailchimp-style per-recipient activity with
raw e-mail addresses (the native shape; the loader hashes them before anything is stored)."""

from __future__ import annotations

import numpy as np

from journeymart.generate import catalog as cat
from journeymart.generate.activity import EMAIL_ACTIONS, Day
from journeymart.generate.timefmt import local_iso, utc_z
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import money

CAMPAIGNS_HEADER = ("campaign_id", "campaign_name", "subject_line", "list_id", "send_time", "emails_sent",
                    "send_cost", "currency")
ACTIVITY_HEADER = ("campaign_id", "email_address", "action", "timestamp", "url")


def click_url(campaign_id: str) -> str:
    return f"{cat.SITE}/?utm_source=newsletter&utm_medium=email&utm_campaign={campaign_id}"


def write(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    camps = day.email_campaigns
    send_times = local_iso(np.array([c.send_s for c in camps], np.int64), cat.NY)
    rows = [[c.campaign_id, c.name, c.subject, cat.ACCOUNTS["email"]["list_id"], t, c.emails_sent,
             money(c.cost_micros), "USD"] for c, t in zip(camps, send_times, strict=True)]
    ctx.landing.csv("email", "campaigns", d, f"campaigns_{d.isoformat()}.csv", CAMPAIGNS_HEADER, rows,
                    spend={"USD": sum(c.cost_micros for c in camps)})

    act = day.email_activity
    order = np.lexsort((act.action, act.person, act.campaign, act.at_s))
    stamps = utc_z(act.at_s[order])
    emails = ctx.people.email
    ids = [c.campaign_id for c in camps]
    urls = [click_url(c) for c in ids]
    rows = [
        [ids[c], emails[p], EMAIL_ACTIONS[a], t, urls[c] if a == 2 else ""]
        for c, p, a, t in zip(act.campaign[order].tolist(), act.person[order].tolist(),
                              act.action[order].tolist(), stamps, strict=True)
    ]
    ctx.landing.csv("email", "recipient_activity", d, f"recipient_activity_{d.isoformat()}.csv",
                    ACTIVITY_HEADER, rows)
