"""The customer story, one day at a time.

Each day: planned spend (converted to USD) feeds every acquisition channel's adstock and Hill
curve, and a Poisson draw with that mean decides how many unaware people the channel brings in
(their first visit carries the channel's source/medium/campaign). Existing prospects come back
(consideration) and some buy (purchase); customers read e-mails, open the app, visit the site,
buy again (retention), refer friends and write reviews (advocacy). Everything the day produced
is returned as a `Day` of column arrays for the writers; the only state kept between days is
the per-person arrays in `People`, the adstocks and a few counters, so memory stays flat.

Rates below are per person and day unless said; they were chosen so that a year at 100k
people gives roughly 30k GA4 events a day and at least one order, web session, app event and
e-mail every day even for tiny populations (person 0 is the guaranteed regular).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from journeymart.generate import catalog as cat
from journeymart.generate import curves, mailing, platforms
from journeymart.generate import rng as rngs
from journeymart.generate.activity import (
    AppEvents,
    Day,
    EmailActivity,
    EmailCampaign,
    Installs,
    LeadScans,
    Orders,
    Referrals,
    Reviews,
    Sessions,
    Tickets,
    WebinarDelivery,
)
from journeymart.generate.fx import MICRO, FxTable
from journeymart.generate.plan import MediaPlan
from journeymart.generate.population import (
    ADVOCACY,
    AWARENESS,
    CONSIDERATION,
    NEVER,
    PURCHASE,
    RETENTION,
    UNAWARE,
    People,
)
from journeymart.generate.timefmt import day_bounds, epoch_of, local_epoch

NY = cat.NY
Arr = np.ndarray
ACQUISITION_ORDER = ("google_ads", "meta_ads", "linkedin_ads", "tiktok_ads", "offline", "content", "events")
# At reference spend the plan reaches about half of the unaware pool over the range (or over
# four months, for shorter ranges, so a short demo does not burn through the market).
POOL_REACHED = 0.5
POOL_REACH_MIN_DAYS = 120
SESSION_TAIL_S = 1800  # sessions start early enough that every event stays inside the day

# Traffic of returning visits: (TRAFFIC index, weight). AD_TRAFFIC_OFFSET + k = AD_LINES[k].
_AD = cat.AD_TRAFFIC_OFFSET
PROSPECT_RETURN = ((_AD + 2, 0.16), (_AD + 6, 0.18), (_AD + 0, 0.15), (cat.DIRECT, 0.22),
                   (cat.ORGANIC, 0.12), (cat.BLOG, 0.05), (-1, 0.12))  # -1: the ad line that found them
CUSTOMER_VISIT = ((cat.DIRECT, 0.42), (cat.ORGANIC, 0.22), (_AD + 0, 0.14), (_AD + 2, 0.08),
                  (_AD + 6, 0.08), (cat.BLOG, 0.06))

P_RETURN_FRESH, P_RETURN_STALE, P_RETURN_CONSIDERING = 0.10, 0.02, 0.12
P_FIRST_PURCHASE = 0.03
P_CUSTOMER_WEB, P_CUSTOMER_APP, P_REPEAT = 0.11, 0.15, 0.0045
P_INSTALL_CUSTOMER, P_INSTALL_NEW_BUYER, P_INSTALL_SOCIAL = 0.002, 0.10, 0.04
P_TICKET, P_REFERRAL, P_REVIEW_RECENT = 0.002, 0.0002, 0.008  # review: ~11% of orders
# Rare behaviours happen at least this often per day however small the population, so that a
# short demo still shows every kind of export.
DEMO_FLOOR = 0.5


def _pick(rng: np.random.Generator, table: tuple[tuple[int, float], ...], n: int) -> np.ndarray:
    values, weights = zip(*table, strict=True)
    w = np.asarray(weights, float)
    return rng.choice(np.asarray(values, np.int64), size=n, p=w / w.sum())


def _some(rng: np.random.Generator, n: int, rate: float, eligible: np.ndarray | None = None) -> np.ndarray:
    """Mask of n people, Poisson(max(rate * eligible, DEMO_FLOOR)) of the eligible ones set."""
    pool = np.flatnonzero(eligible) if eligible is not None else np.arange(n)
    k = min(len(pool), int(rng.poisson(max(rate * len(pool), DEMO_FLOOR))))
    mask = np.zeros(n, bool)
    if k:
        mask[rng.choice(pool, size=k, replace=False)] = True
    return mask


def _first_per_person(person: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Indices of the highest-priority row of each person (stable: ties keep the first)."""
    if len(person) == 0:
        return np.zeros(0, np.int64)
    order = np.lexsort((-priority, person))
    ps = person[order]
    keep = np.ones(len(order), bool)
    keep[1:] = ps[1:] != ps[:-1]
    return order[keep]


class Simulation:
    def __init__(self, seed: int, plan: MediaPlan, people: People, fx: FxTable):
        self.seed, self.plan, self.people, self.fx = seed, plan, people, fx
        self.range_start_s, _ = day_bounds(plan.start, NY)
        rng = rngs.stream(seed, rngs.PEOPLE, 1)
        self.pool = rng.permutation(np.flatnonzero(people.stage == UNAWARE))
        self.pool_pos = 0
        self.planned_usd = plan.channel_daily_usd(fx)
        self.curves = self._calibrate()
        self.adstock = dict.fromkeys(self.curves, 0.0)
        self.next_order_id = 5_400_000_001
        self.next_order_number = 1001
        self.next_ticket = 40_001
        self.next_referral = 1
        self.next_review = 1
        self.pending: dict[int, list[WebinarDelivery]] = {}
        self.badges: dict[str, int] = {}
        self.videos = platforms.make_videos(rng)
        self.expected_new = dict.fromkeys(ACQUISITION_ORDER, 0.0)
        self.realised_new = dict.fromkeys((*ACQUISITION_ORDER, "referral"), 0)
        self.orders_first = 0
        self.email_clicks = 0
        self.orders_repeat = 0
        customers = np.flatnonzero(people.stage >= PURCHASE)
        people.last_order_id[customers] = 5_300_000_000 + customers  # their latest pre-range order

    # -----------------------------------------------------------------------------------
    # setup

    def _calibrate(self) -> dict[str, curves.ResponseCurve]:
        per_day = POOL_REACHED * len(self.pool) / max(self.plan.days, POOL_REACH_MIN_DAYS)
        out: dict[str, curves.ResponseCurve] = {}
        self.reference_usd: dict[str, float] = {}
        for ch, (theta, s, saturation, share) in curves.ACQUISITION_SHAPES.items():
            x = self.planned_usd.get(ch, np.zeros(0))
            active = x[x > 0]
            reference = float(active.mean()) if len(active) else 1.0
            self.reference_usd[ch] = reference
            out[ch] = curves.calibrate(reference, max(share * per_day, 1e-3), theta=theta, s=s,
                                       saturation=saturation, unit="new_people")
        theta, s, saturation = curves.EMAIL_SHAPE
        sends = self.email_sends_estimate()
        self.reference_usd["email"] = sends * cat.EMAIL_COST_PER_EMAIL_MICROS / MICRO
        out["email"] = curves.calibrate(
            self.reference_usd["email"], curves.EMAIL_CLICKS_PER_EMAIL * sends,
            theta=theta, s=s, saturation=saturation, unit="email_clickers")
        return out

    def email_sends_estimate(self) -> float:
        """E-mails per day at the start: two list-wide sends a week, promos, automations."""
        return 0.4 * float(self.people.subscribed.sum()) + 1.0

    def _take_pool(self, n: int) -> np.ndarray:
        n = min(n, len(self.pool) - self.pool_pos)
        out = self.pool[self.pool_pos:self.pool_pos + n]
        self.pool_pos += n
        return out

    # -----------------------------------------------------------------------------------
    # the day

    def day(self, i: int) -> Day:
        P, plan = self.people, self.plan
        d = plan.date(i)
        rng = rngs.stream(self.seed, rngs.DAY, i)
        ny0, nylen = day_bounds(d, NY)
        utc0 = epoch_of(d)
        st0 = P.stage.copy()
        fx_micro = {cur: self.fx.micro_rate(cur, i) for cur in self.fx.currencies}
        ad_spend = plan.ad_spend[i]

        new_people, new_traffic, new_by_channel, event_new = self._acquire(i, rng, ad_spend)

        # prospects who were already in the journey come back; some of the considering buy
        pros = np.flatnonzero((st0 == AWARENESS) | (st0 == CONSIDERATION))
        recency = i - P.aware_day[pros]
        p_visit = np.where(st0[pros] == AWARENESS,
                           np.where(recency <= 30, P_RETURN_FRESH, P_RETURN_STALE), P_RETURN_CONSIDERING)
        pros_traffic = self._return_traffic(rng, pros, ad_spend)
        pros_visit = rng.random(len(pros)) < p_visit
        pros_buy = (st0[pros] == CONSIDERATION) & (rng.random(len(pros)) < P_FIRST_PURCHASE)

        cust = np.flatnonzero(st0 >= PURCHASE)
        cust_web = rng.random(len(cust)) < P_CUSTOMER_WEB
        cust_traffic = _pick(rng, CUSTOMER_VISIT, len(cust))
        cust_app = P.installed[cust] & (rng.random(len(cust)) < P_CUSTOMER_APP)
        cust_buy = rng.random(len(cust)) < P_REPEAT
        cust_ticket = _some(rng, len(cust), P_TICKET)
        cust_refer = _some(rng, len(cust), P_REFERRAL)
        cust_review = _some(rng, len(cust), P_REVIEW_RECENT, eligible=(i - P.last_order_day[cust]) <= 14)
        cust_install = _some(rng, len(cust), P_INSTALL_CUSTOMER, eligible=~P.installed[cust])

        # who buys where: the app if they have it (half the time), else the web shop
        buyers = np.concatenate([pros[pros_buy], cust[cust_buy]])
        if len(buyers) == 0:  # the shop never has a day without an order
            buyers = np.array([cust[int(rng.integers(len(cust)))] if len(cust) else 0], np.int64)
        buyers = np.unique(buyers)
        buy_app = P.installed[buyers] & (rng.random(len(buyers)) < 0.5)
        if buy_app.all():
            buy_app[0] = False  # at least one web order a day, so the web always has a session

        # e-mail first: clicks bring people to the site
        campaigns, activity, clicks = self._email(i, d, rng, ny0, nylen, st0)

        # referees: friends of referring customers, straight out of the unaware pool
        referrers = cust[cust_refer]
        referees = self._take_pool(len(referrers))
        referrers = referrers[: len(referees)]
        self.realised_new["referral"] += len(referees)

        sessions = self._sessions(
            i, rng, ny0, nylen, st0, new_people, new_traffic, referees, pros, pros_traffic, pros_visit,
            cust, cust_traffic, cust_web, clicks, buyers[~buy_app])

        installs = self._installs(rng, utc0, cust[cust_install], buyers, st0, new_people, new_traffic, sessions)
        app_events, app_buy_at = self._app_events(rng, utc0, cust[cust_app], buyers[buy_app], installs)
        orders = self._orders(rng, i, st0, buyers, buy_app, sessions, app_buy_at)

        webinars_today = self._webinars(i, rng, st0)
        scans = self._lead_scans(i, rng, event_new)
        tickets = self._tickets(rng, ny0, nylen, cust[cust_ticket])
        referrals = Referrals(
            referral_id=np.arange(self.next_referral, self.next_referral + len(referees), dtype=np.int64),
            referrer=referrers.astype(np.int64), referee=referees.astype(np.int64),
            at_s=ny0 + rng.integers(0, nylen - SESSION_TAIL_S, len(referees)))
        self.next_referral += len(referees)
        reviews = self._reviews(rng, ny0, nylen, cust[cust_review])

        engagement = self._customer_engagement(st0, sessions, activity, app_events, webinars_today)
        # state changes of the day, in story order
        self._advance(i, rng, st0, new_people, referees, event_new, pros, pros_visit, sessions, activity,
                      app_events, webinars_today, orders, tickets, referrers, reviews)

        ads = platforms.ad_rows(rng, ad_spend, sessions, orders)
        youtube = platforms.youtube_rows(rng, self.videos, plan.scale, ad_spend)
        return Day(
            index=i, fx_micro=fx_micro, sessions=sessions, orders=orders, email_campaigns=campaigns,
            email_activity=activity, installs=installs, app_events=app_events, ads=ads, youtube=youtube,
            lead_scans=scans, tickets=tickets, referrals=referrals, reviews=reviews,
            webinars_delivered=self.pending.pop(i, []), new_people=new_by_channel,
            email_spend_micros=sum(c.cost_micros for c in campaigns), customer_engagement=engagement,
        )

    def _customer_engagement(self, st0: Arr, sessions: Sessions, activity: EmailActivity, app_events: AppEvents,
                             webinar_people: Arr) -> dict[str, int]:
        """Touches by people who were already customers, per registry channel: where existing
        customers actually engage (compare with where the money goes)."""
        out: dict[str, int] = {}
        cust = st0[sessions.person] >= PURCHASE
        for t in np.unique(sessions.traffic[cust]).tolist():
            ch = cat.TRAFFIC[t].channel or "ga4"
            out[ch] = out.get(ch, 0) + int((sessions.traffic[cust] == t).sum())
        opened = (activity.action == 1) | (activity.action == 2)
        out["email"] = out.get("email", 0) + int((st0[activity.person[opened]] >= PURCHASE).sum())
        app_people = np.unique(app_events.person)
        out["mmp"] = int((st0[app_people] >= PURCHASE).sum())
        out["webinars"] = int((st0[webinar_people] >= PURCHASE).sum())
        return out

    # -----------------------------------------------------------------------------------
    # acquisition: spend -> adstock -> Hill -> Poisson -> people out of the unaware pool

    def _acquire(self, i: int, rng: np.random.Generator, ad_spend: Arr) -> tuple[Arr, Arr, dict[str, int], Arr]:
        people: list[np.ndarray] = []
        traffic: list[np.ndarray] = []
        by_channel: dict[str, int] = {}
        event_new = np.zeros(0, np.int64)
        for ch in ACQUISITION_ORDER:
            curve = self.curves[ch]
            self.adstock[ch] = curve.adstock(float(self.planned_usd.get(ch, np.zeros(i + 1))[i]),
                                             self.adstock[ch])
            expected = curve.response(self.adstock[ch])
            self.expected_new[ch] += expected
            if ch == "events" and not any(e.start <= i <= e.end for e in self.plan.events):
                expected = 0.0  # people can only be met on event days
            who = self._take_pool(int(rng.poisson(expected)))
            by_channel[ch] = len(who)
            self.realised_new[ch] += len(who)
            if ch == "events":
                event_new = who
                continue
            people.append(who)
            traffic.append(self._acquisition_traffic(rng, ch, len(who), ad_spend))
            lines = traffic[-1] - cat.AD_TRAFFIC_OFFSET
            self.people.ad_line[who] = np.where(lines >= 0, lines, -1)
        return (np.concatenate(people).astype(np.int64), np.concatenate(traffic).astype(np.int64),
                by_channel, event_new.astype(np.int64))

    def _acquisition_traffic(self, rng: np.random.Generator, ch: str, n: int, ad_spend: np.ndarray) -> np.ndarray:
        if ch == "offline":  # TV viewers type the address or search the brand
            return _pick(rng, ((cat.DIRECT, 0.6), (cat.ORGANIC, 0.4)), n)
        if ch == "content":
            return np.full(n, cat.BLOG, np.int64)
        lines = [k for k, a in enumerate(cat.AD_LINES)
                 if a.channel == ch and a.role == "prospecting" and ad_spend[k] > 0]
        if not lines:
            lines = [k for k, a in enumerate(cat.AD_LINES) if a.channel == ch and a.role == "prospecting"]
        w = np.maximum(ad_spend[lines].astype(float), 1.0)
        return cat.AD_TRAFFIC_OFFSET + rng.choice(np.asarray(lines), size=n, p=w / w.sum())

    def _return_traffic(self, rng: np.random.Generator, pros: np.ndarray, ad_spend: np.ndarray) -> np.ndarray:
        t = _pick(rng, PROSPECT_RETURN, len(pros))
        own = self.people.ad_line[pros].astype(np.int64)
        own_live = (own >= 0) & (ad_spend[np.maximum(own, 0)] > 0)
        t = np.where(t == -1, np.where(own_live, cat.AD_TRAFFIC_OFFSET + own, cat.DIRECT), t)
        return t

    # -----------------------------------------------------------------------------------
    # e-mail: campaigns of the day, per-recipient activity, planted clicks

    def _email(self, i: int, d: date, rng: np.random.Generator, ny0: int, nylen: int, st0: Arr
               ) -> tuple[list[EmailCampaign], EmailActivity, tuple[Arr, Arr, Arr]]:
        delivery = mailing.deliver(mailing.todays_sends(self.people, i, d, rng, st0), d, rng, ny0, nylen)
        # planted response: clickers ~ Poisson(Hill(adstock(today's send cost in USD)))
        curve = self.curves["email"]
        self.adstock["email"] = curve.adstock(delivery.cost_micros / MICRO, self.adstock["email"])
        expected = curve.response(self.adstock["email"])
        self.expected_new["email"] = self.expected_new.get("email", 0.0) + expected
        activity, clicks = mailing.add_clicks(rng, delivery, int(rng.poisson(expected)))
        self.email_clicks += len(clicks[0])
        return delivery.campaigns, activity, clicks

    # -----------------------------------------------------------------------------------
    # web sessions: one per person and day, highest-priority reason wins

    def _sessions(self, i: int, rng: np.random.Generator, ny0: int, nylen: int, st0: Arr, new_people: Arr,
                  new_traffic: Arr, referees: Arr, pros: Arr, pros_traffic: Arr, pros_visit: Arr, cust: Arr,
                  cust_traffic: Arr, cust_web: Arr, clicks: tuple[Arr, Arr, Arr], web_buyers: Arr) -> Sessions:
        P = self.people
        click_p, click_c, click_at = clicks
        parts = [
            (new_people, new_traffic, np.full(len(new_people), -1), 3, None),
            (referees, np.full(len(referees), cat.REFERRAL), np.full(len(referees), -1), 3, None),
            (click_p, np.full(len(click_p), cat.EMAIL), click_c, 2, click_at),
            (pros[pros_visit], pros_traffic[pros_visit], np.full(int(pros_visit.sum()), -1), 1, None),
            (cust[cust_web], cust_traffic[cust_web], np.full(int(cust_web.sum()), -1), 1, None),
        ]
        # buyers without another reason to visit come back to buy; prospects the way they return
        fallback = np.full(P.n, cat.DIRECT, np.int64) if len(web_buyers) else None
        if fallback is not None:
            fallback[pros] = pros_traffic
            parts.append((web_buyers, fallback[web_buyers], np.full(len(web_buyers), -1), 0, None))
        person = np.concatenate([p.astype(np.int64) for p, *_ in parts])
        traffic = np.concatenate([t.astype(np.int64) for _, t, *_ in parts])
        campaign = np.concatenate([c.astype(np.int64) for _, _, c, *_ in parts])
        priority = np.concatenate([np.full(len(p), pr) for p, _, _, pr, _ in parts])
        fixed_at = np.concatenate([(a if a is not None else np.full(len(p), -1)).astype(np.int64)
                                   for p, _, _, _, a in parts])
        keep = _first_per_person(person, priority)
        person, traffic, campaign, fixed_at = person[keep], traffic[keep], campaign[keep], fixed_at[keep]
        n = len(person)
        # afternoons and evenings are busier than nights
        random_at = ny0 + (rng.beta(2.4, 1.6, n) * (nylen - SESSION_TAIL_S)).astype(np.int64)
        start_s = np.where(fixed_at >= 0, fixed_at, random_at)
        start_us = start_s * 1_000_000 + rng.integers(0, 1_000_000, n)
        order = np.argsort(start_us, kind="stable")
        person, traffic, campaign, start_us = person[order], traffic[order], campaign[order], start_us[order]

        buying = np.isin(person, web_buyers)
        pages = np.minimum(1 + rng.poisson(1.8, n), 22) + np.where(buying, 3, 0)  # ends < SESSION_TAIL_S
        logged_in = ((st0[person] >= PURCHASE) & (rng.random(n) < 0.8)) | buying
        new_user = P.first_traffic[person] < 0
        P.first_traffic[person[new_user]] = traffic[new_user]
        P.first_seen_s[person[new_user]] = start_us[new_user] // 1_000_000
        P.sessions[person] += 1
        sessions = Sessions(person=person, traffic=traffic, email_campaign=campaign, start_us=start_us,
                            pages=pages.astype(np.int64), logged_in=logged_in, new_user=new_user,
                            session_number=P.sessions[person].astype(np.int64),
                            order=np.full(n, -1, np.int64))
        return sessions

    # -----------------------------------------------------------------------------------
    # the app

    def _installs(self, rng: np.random.Generator, utc0: int, cust_new: Arr, buyers: Arr, st0: Arr,
                  new_people: Arr, new_traffic: Arr, sessions: Sessions) -> Installs:
        P = self.people
        social = np.isin(new_traffic, [cat.AD_TRAFFIC_OFFSET + k for k, a in enumerate(cat.AD_LINES)
                                       if a.channel in ("meta_ads", "tiktok_ads")])
        social_new = new_people[social & (rng.random(len(new_people)) < P_INSTALL_SOCIAL)]
        first_buyers = buyers[(st0[buyers] < PURCHASE) & ~P.installed[buyers]]
        first_buyers = first_buyers[rng.random(len(first_buyers)) < P_INSTALL_NEW_BUYER]
        who = np.unique(np.concatenate([cust_new, first_buyers, social_new]).astype(np.int64))
        who = who[~P.installed[who]]
        n = len(who)
        # attribution: the last web visit today if any, else the channel that found them
        last = np.full(P.n, -1, np.int64)
        last[sessions.person] = sessions.traffic
        traffic = np.where(last[who] >= 0, last[who], P.first_traffic[who].astype(np.int64))
        traffic = np.where(traffic >= 0, traffic, cat.DIRECT)
        at = utc0 + rng.integers(0, 86400 - 3600, n)
        paid = np.array([cat.TRAFFIC[t].app_media_source != "organic" for t in traffic.tolist()], bool)
        touch = np.where(paid, at - rng.integers(60, 6 * 3600, n), 0)
        P.installed[who] = True
        P.install_s[who] = at
        P.app_traffic[who] = traffic
        return Installs(person=who, install_s=at.astype(np.int64), touch_s=touch.astype(np.int64),
                        traffic=traffic.astype(np.int64))

    def _app_events(self, rng: np.random.Generator, utc0: int, openers: Arr, app_buyers: Arr,
                    installs: Installs) -> tuple[AppEvents, dict[int, int]]:
        P = self.people
        who = np.unique(np.concatenate([openers, app_buyers, installs.person]).astype(np.int64))
        if len(who) == 0:
            who = np.array([0], np.int64)  # the app always has its regular
        n = len(who)
        t0 = utc0 + rng.integers(0, 86400 - 1800, n)
        installed_today = np.zeros(P.n, np.int64)
        installed_today[installs.person] = installs.install_s
        t0 = np.where(installed_today[who] > 0, installed_today[who] + rng.integers(10, 300, n), t0)
        t0 = np.minimum(t0, utc0 + 86400 - 1800)
        buying = np.isin(who, app_buyers)
        views = 1 + rng.integers(0, 3, n)
        cart = buying | (rng.random(n) < 0.3)
        rows_p, rows_t, rows_e = [], [], []
        t = t0.copy()
        logged = P.stage[who] >= PURCHASE
        for mask, event in ((logged, 0), (None, 1), (views >= 2, 1), (views >= 3, 1), (cart, 2), (buying, 3)):
            m = np.ones(n, bool) if mask is None else mask
            rows_p.append(who[m])
            rows_t.append(t[m])
            rows_e.append(np.full(int(m.sum()), event))
            t = t + np.where(m, rng.integers(5, 120, n), 0)
        person = np.concatenate(rows_p)
        at = np.concatenate(rows_t)
        event = np.concatenate(rows_e)
        order = np.lexsort((at, person))
        events = AppEvents(person=person[order], at_s=at[order], event=event[order].astype(np.int64),
                           order=np.full(len(order), -1, np.int64))
        buy_at = {int(p): int(a) for p, a, e in zip(events.person, events.at_s, events.event, strict=True)
                  if e == 3}
        return events, buy_at

    # -----------------------------------------------------------------------------------
    # orders

    def _orders(self, rng: np.random.Generator, i: int, st0: Arr, buyers: Arr, buy_app: Arr, sessions: Sessions,
                app_buy_at: dict[int, int]) -> Orders:
        P = self.people
        n = len(buyers)
        created = np.zeros(n, np.int64)
        traffic = np.full(n, cat.DIRECT, np.int64)
        sess_of = {int(p): k for k, p in enumerate(sessions.person.tolist())}
        for j, p in enumerate(buyers.tolist()):
            if buy_app[j]:
                created[j] = app_buy_at[p]
                traffic[j] = P.app_traffic[p] if P.app_traffic[p] >= 0 else cat.DIRECT
            else:
                k = sess_of[p]
                created[j] = sessions.start_us[k] // 1_000_000 + 60 * int(sessions.pages[k]) + 30
                traffic[j] = sessions.traffic[k]
        order = np.argsort(created, kind="stable")
        buyers, buy_app, created, traffic = buyers[order], buy_app[order], created[order], traffic[order]
        first = st0[buyers] < PURCHASE
        subtotal = np.rint(rng.lognormal(np.log(65.0), 0.5, n) * 100).astype(np.int64)
        discount = np.zeros(n, np.int64)
        discount[first & (rng.random(n) < 0.3)] = 1
        discount[(traffic == cat.EMAIL) & (rng.random(n) < 0.4)] = 2
        discount[first & (traffic == cat.REFERRAL)] = 3
        subtotal = subtotal * np.array([100, 90, 85, 80])[discount] // 100
        shipping = np.where(subtotal < 5000, 599, 0)
        tax = subtotal * 8 // 100
        ios = np.array([cat.DEVICES[dv][1] == "iOS" for dv in P.device[buyers].tolist()], bool)
        source = np.where(buy_app, np.where(ios, 1, 2), 0)
        ids = np.arange(self.next_order_id, self.next_order_id + n, dtype=np.int64)
        numbers = np.arange(self.next_order_number, self.next_order_number + n, dtype=np.int64)
        self.next_order_id += n
        self.next_order_number += n
        self.orders_first += int(first.sum())
        self.orders_repeat += int((~first).sum())
        pos = {int(p): k for k, p in enumerate(sessions.person.tolist())}
        for j, p in enumerate(buyers.tolist()):
            if not buy_app[j]:
                sessions.order[pos[p]] = j
        P.orders[buyers] += 1
        P.last_order_day[buyers] = i
        P.last_order_id[buyers] = ids
        P.first_purchase_day[buyers[first]] = i
        return Orders(order_id=ids, order_number=numbers, person=buyers.astype(np.int64),
                      created_s=created, subtotal_c=subtotal, shipping_c=shipping.astype(np.int64),
                      tax_c=tax, discount=discount, source=source.astype(np.int64), first=first,
                      traffic=traffic)

    # -----------------------------------------------------------------------------------
    # webinars, events, support, advocacy

    def _webinars(self, i: int, rng: np.random.Generator, st0: np.ndarray) -> np.ndarray:
        P = self.people
        touched: list[np.ndarray] = []
        for w in (w for w in self.plan.webinars if w.day == i):
            eligible = np.flatnonzero(P.subscribed & (st0 > UNAWARE))
            if len(eligible) == 0:
                eligible = np.array([0], np.int64)
            weight = np.where(st0[eligible] == CONSIDERATION, 3.0, 1.0)
            n = min(len(eligible), max(1, int(rng.poisson(0.02 * len(eligible)))))
            who = np.sort(rng.choice(eligible, size=n, replace=False, p=weight / weight.sum()))
            start_s = local_epoch(self.plan.date(i), w.start_hour, 0, NY)
            lo = np.maximum(np.maximum(P.first_seen_s[who], self.range_start_s), start_s - 21 * 86400)
            hi = start_s - 3600
            lo = np.minimum(lo, hi - 60)
            registered = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
            attended = rng.random(n) < 0.45
            join = start_s + rng.integers(-300, 600, n)
            leave = join + rng.integers(5 * 60, w.duration_minutes * 60, n)
            source = np.where(st0[who] >= PURCHASE, 0, rng.choice(3, size=n, p=[0.5, 0.3, 0.2]))
            self.pending.setdefault(i + 1, []).append(WebinarDelivery(
                webinar=w, person=who, registered_s=registered, source=source.astype(np.int64),
                attended=attended, join_s=join, leave_s=leave))
            touched.append(who)
        return np.concatenate(touched) if touched else np.zeros(0, np.int64)

    def _lead_scans(self, i: int, rng: np.random.Generator, event_new: np.ndarray) -> LeadScans:
        P = self.people
        today = [e for e in self.plan.events if e.start <= i <= e.end]
        if not today:
            return LeadScans([], np.zeros(0, np.int64), [], np.zeros(0, np.int64), np.zeros(0, np.int64),
                             np.zeros(0, np.int64))
        known = np.flatnonzero(P.stage > UNAWARE)
        extra = rng.choice(known, size=min(len(known), int(rng.poisson(0.25 * len(event_new) + 1))),
                           replace=False) if len(known) else np.zeros(0, np.int64)
        who = np.concatenate([event_new, np.sort(extra)]).astype(np.int64)
        which = rng.integers(0, len(today), len(who))
        events, badges, at = [], [], np.zeros(len(who), np.int64)
        for j, k in enumerate(which.tolist()):
            e = today[k]
            seq = self.badges.get(e.event_id, 0) + 1
            self.badges[e.event_id] = seq
            events.append(e)
            badges.append(f"B{e.event_id[-2:]}{seq:05d}")
            local0, _ = day_bounds(self.plan.date(i), e.timezone)
            at[j] = local0 + int(rng.integers(9 * 3600, 18 * 3600))
        return LeadScans(events, who, badges, at, rng.integers(0, len(cat.COMPANIES), len(who)),
                         rng.integers(0, len(cat.JOB_TITLES), len(who)))

    def _tickets(self, rng: np.random.Generator, ny0: int, nylen: int, who: Arr) -> Tickets:
        n = len(who)
        ids = np.arange(self.next_ticket, self.next_ticket + n, dtype=np.int64)
        self.next_ticket += n
        return Tickets(ticket_id=ids, person=who.astype(np.int64), at_s=ny0 + rng.integers(0, nylen, n),
                       subject=rng.integers(0, len(cat.TICKET_SUBJECTS), n),
                       status=rng.choice(4, size=n, p=[0.2, 0.35, 0.15, 0.3]),
                       via=rng.choice(3, size=n, p=[0.6, 0.25, 0.15]),
                       rating=rng.choice(4, size=n, p=[0.5, 0.2, 0.22, 0.08]))

    def _reviews(self, rng: np.random.Generator, ny0: int, nylen: int, who: Arr) -> Reviews:
        n = len(who)
        keys = np.arange(self.next_review, self.next_review + n, dtype=np.int64)
        self.next_review += n
        return Reviews(review_key=keys, person=who.astype(np.int64),
                       order_id=self.people.last_order_id[who].copy(), at_s=ny0 + rng.integers(0, nylen, n),
                       stars=rng.choice(np.arange(1, 6), size=n, p=[0.04, 0.06, 0.12, 0.3, 0.48]))

    # -----------------------------------------------------------------------------------
    # journey state

    def _advance(self, i: int, rng: np.random.Generator, st0: Arr, new_people: Arr, referees: Arr,
                 event_new: Arr, pros: Arr, pros_visit: Arr, sessions: Sessions, activity: EmailActivity,
                 app_events: AppEvents, webinar_people: Arr, orders: Orders, tickets: Tickets, referrers: Arr,
                 reviews: Reviews) -> None:
        P = self.people
        arrived = np.concatenate([new_people, referees, event_new]).astype(np.int64)
        arrived = arrived[st0[arrived] == UNAWARE]
        P.stage[arrived] = AWARENESS
        P.aware_day[arrived] = i
        leads = event_new[rng.random(len(event_new)) < 0.6]
        returning = np.concatenate([pros[pros_visit], webinar_people]).astype(np.int64)
        returning = returning[(st0[returning] == AWARENESS)]
        P.stage[returning] = CONSIDERATION
        signups = returning[rng.random(len(returning)) < 0.3]
        first_buyers = orders.person[orders.first]
        P.stage[first_buyers] = PURCHASE
        buyer_signups = first_buyers[rng.random(len(first_buyers)) < 0.7]
        touched = np.concatenate([sessions.person, activity.person[activity.action != 0], app_events.person,
                                  webinar_people, tickets.person, orders.person[~orders.first]])
        later = touched[(P.stage[touched] == PURCHASE) & (P.first_purchase_day[touched] < i)]
        P.stage[later] = RETENTION
        P.stage[np.concatenate([referrers, reviews.person]).astype(np.int64)] = ADVOCACY
        joined = np.concatenate([leads, signups, buyer_signups]).astype(np.int64)
        joined = joined[~P.subscribed[joined]]
        P.subscribed[joined] = True
        P.subscribed_day[joined] = i
        unsubscribed = activity.person[activity.action == 4]
        P.subscribed[unsubscribed] = False
        P.subscribed_day[unsubscribed] = NEVER
