"""The ESP programme: who gets which e-mail today, and what they do with it.

List-wide sends (newsletter on Tuesdays, product news on some Fridays, promos to customers on
other days) plus daily automations (welcome, post-purchase, win-back). Sent, bounce, open and
unsubscribe rows follow fixed rates; how many openers click is the planted e-mail response
curve, decided by the caller from the day's send cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from journeymart.generate import catalog as cat
from journeymart.generate.activity import EmailActivity, EmailCampaign
from journeymart.generate.population import PURCHASE, People
from journeymart.generate.timefmt import local_epoch

P_OPEN, P_BOUNCE, P_UNSUBSCRIBE = 0.30, 0.01, 0.003
LATEST_OPEN_BEFORE_MIDNIGHT_S = 2700  # opens (and the clicks' web sessions) stay inside the day
SENT, OPEN, CLICK, BOUNCE, UNSUBSCRIBE = range(5)  # EMAIL_ACTIONS


@dataclass
class Delivery:
    campaigns: list[EmailCampaign]
    rows: dict[str, list[np.ndarray]]  # campaign / person / action / at, without clicks yet
    opens: tuple[np.ndarray, np.ndarray, np.ndarray]  # (campaign, person, at) of every open

    @property
    def cost_micros(self) -> int:
        return sum(c.cost_micros for c in self.campaigns)


def todays_sends(P: People, i: int, d: date, rng: np.random.Generator, st0: np.ndarray
                 ) -> list[tuple[str, str, str, np.ndarray]]:
    """(code, campaign name, subject, recipients) of every send today, empty ones dropped."""
    subs = P.subscribed
    customer = st0 >= PURCHASE
    everyone = np.arange(P.n)
    wd = d.weekday()
    sends = []
    if wd == 1:
        sends.append(("nl", f"Newsletter {d.isoformat()}", "This week at Journeymart", everyone[subs]))
    if wd == 4 and rng.random() < 0.5:
        sends.append(("pn", f"Product news {d.isoformat()}", "New in: the pieces you asked for", everyone[subs]))
    if wd not in (1, 4) and rng.random() < 0.15:
        sends.append(("pr", f"Promo {d.isoformat()}", "48 hours: 15% off with EMAIL15", everyone[subs & customer]))
    sends.append(("wl", f"Welcome series {d.isoformat()}", "Welcome to Journeymart",
                  everyone[subs & (P.subscribed_day == i - 1)]))
    sends.append(("pp", f"Post-purchase {d.isoformat()}", "How is your order?",
                  everyone[subs & (P.last_order_day == i - 1)]))
    winback = everyone[subs & customer & (P.last_order_day < i - 60) & ((everyone + i) % 30 == 0)]
    if len(winback) == 0:
        winback = np.array([0], np.int64)  # the daily win-back always has someone to nudge
    sends.append(("wb", f"Win-back {d.isoformat()}", "We miss you", winback))
    return [s for s in sends if len(s[3])]


def deliver(sends: list[tuple[str, str, str, np.ndarray]], d: date, rng: np.random.Generator, ny0: int,
            nylen: int) -> Delivery:
    ymd = d.strftime("%Y%m%d")
    campaigns: list[EmailCampaign] = []
    rows: dict[str, list[np.ndarray]] = {"campaign": [], "person": [], "action": [], "at": []}
    opens: list[tuple[int, np.ndarray, np.ndarray]] = []
    for k, (code, name, subject, recipients) in enumerate(sends):
        send_s = local_epoch(d, 9 + (k * 45) // 60, (k * 45) % 60, cat.NY)
        n = len(recipients)
        cost = -(-n * cat.EMAIL_COST_PER_EMAIL_MICROS // 10_000) * 10_000  # whole cents, rounded up
        campaigns.append(EmailCampaign(f"{code}{ymd}{k:02d}", name, subject, send_s, n, cost))
        sent_at = send_s + rng.integers(0, 900, n)
        regular = recipients != 0  # person 0 never bounces or leaves: the daily file's guarantee
        bounce = (rng.random(n) < P_BOUNCE) & regular
        opened = ~bounce & (rng.random(n) < P_OPEN)
        open_at = np.minimum(sent_at + rng.exponential(2.5 * 3600, n).astype(np.int64),
                             ny0 + nylen - LATEST_OPEN_BEFORE_MIDNIGHT_S)
        unsub = opened & (rng.random(n) < P_UNSUBSCRIBE) & regular
        for action, mask, at in ((SENT, np.ones(n, bool), sent_at), (BOUNCE, bounce, sent_at + 60),
                                 (OPEN, opened, open_at), (UNSUBSCRIBE, unsub, open_at + 120)):
            rows["campaign"].append(np.full(int(mask.sum()), k))
            rows["person"].append(recipients[mask])
            rows["action"].append(np.full(int(mask.sum()), action))
            rows["at"].append(at[mask])
        opens.append((k, recipients[opened], open_at[opened]))
    cat_opens = (np.concatenate([np.full(len(p), c) for c, p, _ in opens]).astype(np.int64),
                 np.concatenate([p for _, p, _ in opens]).astype(np.int64),
                 np.concatenate([t for _, _, t in opens]).astype(np.int64))
    return Delivery(campaigns, rows, cat_opens)


def add_clicks(rng: np.random.Generator, delivery: Delivery, n_click: int
               ) -> tuple[EmailActivity, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """`n_click` openers (at most all of them) click, a few minutes after opening.
    Returns all activity rows and the clicks as (person, campaign, at)."""
    o_c, o_p, o_t = delivery.opens
    n_click = min(n_click, len(o_p))
    pick = np.sort(rng.choice(len(o_p), size=n_click, replace=False)) if n_click else np.zeros(0, np.int64)
    click_at = o_t[pick] + rng.integers(5, 600, n_click)
    rows = delivery.rows
    rows["campaign"].append(o_c[pick])
    rows["person"].append(o_p[pick])
    rows["action"].append(np.full(n_click, CLICK))
    rows["at"].append(click_at)
    activity = EmailActivity(*(np.concatenate(rows[k]).astype(np.int64) for k in ("campaign", "person", "action", "at")))
    return activity, (o_p[pick], o_c[pick], click_at.astype(np.int64))
