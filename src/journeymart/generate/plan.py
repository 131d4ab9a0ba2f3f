"""The media plan: what the demo company spends, where and when.

Spend is decided up front (it does not depend on customers), so it is planned here for the
whole range: daily budgets of every ad line (always-on with day-to-day noise, budget regimes
and bursts, or on/off flighting), TV/radio/print flights, content production, in-person events,
webinars, and finance's budget plan. Money is integer micros of the account currency; amounts
that the native export shows with 2 decimals are whole cents (multiples of 10,000 micros).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from journeymart.generate import catalog as cat
from journeymart.generate import rng as rngs
from journeymart.generate.fx import MICRO, FxTable
from journeymart.registry import load

CENT = 10_000  # micros per cent
WEEKDAY_FACTOR = np.array([1.05, 1.06, 1.02, 1.0, 0.95, 0.86, 0.9])  # Mon..Sun
INVOICE_LAG_DAYS = (2, 4)  # an agency invoices a flight 2-4 days after it ends
EVENT_COST_LAG_DAYS = 4  # finance exports event costs 4 days after the event
# Channels whose spend is planned (email spend follows the sends, see simulation.py).
PLANNED_CHANNELS = ("google_ads", "meta_ads", "linkedin_ads", "tiktok_ads", "offline", "content",
                    "events", "webinars")
SPENDING_CHANNELS = (*PLANNED_CHANNELS[:4], "email", *PLANNED_CHANNELS[4:])


def to_cents_micros(amount: np.ndarray | float) -> np.ndarray:
    return (np.rint(np.asarray(amount, dtype=float) * 100).astype(np.int64)) * CENT


@dataclass(frozen=True)
class Flight:
    invoice_no: str
    media_type: str
    market: str
    vehicle: str
    start: int  # day index, inclusive
    end: int
    invoice_day: int
    daily_net_micros: int
    spots: int
    grps_tenths: int

    @property
    def net_micros(self) -> int:
        return self.daily_net_micros * (self.end - self.start + 1)

    @property
    def gross_micros(self) -> int:
        # Net is gross less the agency's commission; gross rounds up to the cent so net <= gross.
        net_cents = self.net_micros // CENT
        keep_pct = round((1 - cat.AGENCY_COMMISSION) * 100)
        return -(-net_cents * 100 // keep_pct) * CENT


@dataclass(frozen=True)
class ContentAsset:
    entry_id: str
    asset_id: str
    title: str
    asset_type: str
    vendor: str
    target_stage: str
    start: int  # posting day = period start
    end: int
    daily_micros: int

    @property
    def amount_micros(self) -> int:
        return self.daily_micros * (self.end - self.start + 1)


@dataclass(frozen=True)
class Event:
    event_id: str
    name: str
    city: str
    currency: str
    timezone: str
    start: int
    end: int
    delivery_day: int
    cost_lines: tuple[tuple[str, str, int], ...]  # (cost_line_id, category, micros per event day)

    @property
    def days(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Webinar:
    webinar_id: str
    topic: str
    day: int
    start_hour: int
    duration_minutes: int
    cost_micros: int


@dataclass(frozen=True)
class BudgetIssue:
    day: int
    version: str
    months: tuple[date, ...]
    amounts: dict[str, tuple[int, ...]]  # channel -> planned USD micros per month


@dataclass
class MediaPlan:
    start: date
    days: int
    scale: float  # people / REFERENCE_PEOPLE
    ad_spend: np.ndarray  # [days, len(AD_LINES)] micros, account currency
    flights: list[Flight]
    assets: list[ContentAsset]
    events: list[Event]
    webinars: list[Webinar]
    budget: list[BudgetIssue] = field(default_factory=list)

    def date(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def channel_daily(self) -> dict[str, dict[str, np.ndarray]]:
        """Planned spend per channel, per currency, per day (micros), spread over the days it
        buys: flights over their air dates, content over its period, events over event days."""
        out: dict[str, dict[str, np.ndarray]] = {}

        def add(channel: str, currency: str, start: int, end: int, micros: int) -> None:
            arr = out.setdefault(channel, {}).setdefault(currency, np.zeros(self.days, np.int64))
            arr[start:end + 1] += micros

        for k, line in enumerate(cat.AD_LINES):
            arr = out.setdefault(line.channel, {}).setdefault(_currency(line.channel),
                                                              np.zeros(self.days, np.int64))
            arr += self.ad_spend[:, k]
        for f in self.flights:
            add("offline", "USD", f.start, f.end, f.daily_net_micros)
        for a in self.assets:
            add("content", "USD", a.start, a.end, a.daily_micros)
        for e in self.events:
            add("events", e.currency, e.start, e.end, sum(m for _, _, m in e.cost_lines))
        for w in self.webinars:
            add("webinars", "USD", w.day, w.day, w.cost_micros)
        return out

    def channel_daily_usd(self, fx: FxTable) -> dict[str, np.ndarray]:
        usd: dict[str, np.ndarray] = {}
        rate = {cur: (fx.rates[cur] / MICRO if cur != "USD" else np.ones(self.days))
                for cur in fx.currencies}
        for channel, by_cur in self.channel_daily().items():
            usd[channel] = sum(arr / MICRO * rate[cur] for cur, arr in by_cur.items())
        return usd


def _currency(channel: str) -> str:
    """The ad account's currency, as the registry declares it."""
    return load().channel(channel).currency


# ---------------------------------------------------------------------------------------
# spend shapes


def _onoff(rng: np.random.Generator, days: int, on: tuple[int, int], off: tuple[int, int]) -> np.ndarray:
    """Flighting: bursts of `on` days separated by dark `off` days, starting on air."""
    mask = np.zeros(days, bool)
    t = 0
    while t < days:
        length = int(rng.integers(on[0], on[1] + 1))
        mask[t:t + length] = True
        t += length + int(rng.integers(off[0], off[1] + 1))
    return mask


def _daily_budget(rng: np.random.Generator, days: int, weekdays: np.ndarray, line: cat.AdLine,
                  scale: float) -> np.ndarray:
    """Daily spend of one ad line: base x weekday x budget regime x noise x bursts.

    The regimes (two-week blocks at 0.5-1.7x) and bursts give each channel enough spread of
    spend levels that a saturation curve can be fitted later, not just a point estimate.
    """
    blocks = -(-days // 14)
    regime = np.repeat(rng.uniform(0.5, 1.7, size=blocks), 14)[:days]
    noise = rng.lognormal(0.0, 0.25, size=days)
    burst = np.where(rng.random(blocks) < 0.25, 1.7, 1.0)
    level = line.base_daily * scale * WEEKDAY_FACTOR[weekdays] * regime * noise
    level *= np.repeat(burst, 14)[:days]
    if line.flighted:
        level *= _onoff(rng, days, (5, 14), (3, 10))
    return level


def _ad_spend(rng: np.random.Generator, start: date, days: int, scale: float) -> np.ndarray:
    weekdays = np.array([(start + timedelta(days=i)).weekday() for i in range(days)])
    spend = np.zeros((days, len(cat.AD_LINES)), np.int64)
    for k, line in enumerate(cat.AD_LINES):
        level = _daily_budget(rng, days, weekdays, line, scale)
        if line.channel == "google_ads":
            micros = np.rint(level * MICRO).astype(np.int64)  # Google bills in micros
            floor = MICRO // 100
        else:
            micros = to_cents_micros(level)
            floor = CENT
        if not line.flighted:
            micros = np.maximum(micros, floor)  # always-on lines never go dark
        spend[:, k] = micros
    return spend


def _flights(rng: np.random.Generator, start: date, days: int, scale: float) -> list[Flight]:
    raw: list[tuple[int, int, int, str, str, str, int, int, int]] = []
    for media_type, market, vehicles, level, length_rng, gap_rng, spots_per_day, cpp in cat.OFFLINE_VEHICLES:
        t = int(rng.integers(0, 3))
        k = 0
        while True:
            lag = int(rng.integers(INVOICE_LAG_DAYS[0], INVOICE_LAG_DAYS[1] + 1))
            length = int(rng.integers(length_rng[0], length_rng[1] + 1))
            end = min(t + length - 1, days - 1 - lag)
            if end - t + 1 < 2:  # nothing left that could still be invoiced inside the range
                break
            net_daily = float(level * scale * rng.lognormal(0.0, 0.3))
            cents = max(int(round(net_daily * 100)), 1)
            n = end - t + 1
            spots = max(1, int(round(spots_per_day * n * rng.uniform(0.8, 1.2))))
            grps = int(round(cents / 100 / (cpp * scale) * 10)) * n
            raw.append((end + lag, t, end, media_type, market, vehicles[k % len(vehicles)], cents * CENT,
                        spots, grps))
            k += 1
            t = end + 1 + int(rng.integers(gap_rng[0], gap_rng[1] + 1))
    raw.sort(key=lambda r: (r[0], r[3], r[1]))
    return [
        Flight(invoice_no=f"NS-{(start + timedelta(days=inv)).year}-{n + 1:04d}", media_type=mt,
               market=market, vehicle=vehicle, start=s, end=e, invoice_day=inv, daily_net_micros=daily,
               spots=spots, grps_tenths=grps)
        for n, (inv, s, e, mt, market, vehicle, daily, spots, grps) in enumerate(raw)
    ]


def _assets(rng: np.random.Generator, days: int, scale: float) -> list[ContentAsset]:
    assets: list[ContentAsset] = []
    t = 0
    while t < days:
        n = len(assets) + 1
        end = min(days - 1, t + int(rng.integers(14, 46)) - 1)
        kind = cat.CONTENT_TYPES[int(rng.integers(len(cat.CONTENT_TYPES)))]
        topic = cat.CONTENT_TOPICS[int(rng.integers(len(cat.CONTENT_TOPICS)))]
        stage = ("awareness", "consideration", "retention")[int(rng.choice(3, p=[0.5, 0.3, 0.2]))]
        daily = max(1, int(round(rng.uniform(250, 700) * scale * 100))) * CENT
        assets.append(ContentAsset(
            entry_id=f"JE-{n:06d}", asset_id=f"AST-{n:04d}", title=f"{topic}: {kind.replace('_', ' ')} #{n}",
            asset_type=kind, vendor=cat.CONTENT_VENDORS[int(rng.integers(len(cat.CONTENT_VENDORS)))],
            target_stage=stage, start=t, end=end, daily_micros=daily,
        ))
        t += int(rng.integers(5, 13))
    return assets


def _events(rng: np.random.Generator, start: date, days: int, scale: float) -> list[Event]:
    events: list[Event] = []
    t = int(rng.integers(1, 4))
    while True:
        length = int(rng.integers(1, 4))
        end = t + length - 1
        if end + EVENT_COST_LAG_DAYS > days - 1:
            break
        n = len(events)
        city, currency, tz = cat.EVENT_CITIES[n % len(cat.EVENT_CITIES)]
        year = (start + timedelta(days=t)).year
        event_id = f"EV-{year}-{n + 1:02d}"
        per_day = cat.EVENT_DAILY_COST * scale * rng.lognormal(0.0, 0.25)
        lines = tuple(
            (f"{event_id}-{k + 1}", category, max(1, int(round(per_day * share * 100))) * CENT)
            for k, (category, share) in enumerate(cat.EVENT_COST_SPLIT)
        )
        events.append(Event(event_id, f"{cat.EVENT_NAMES[n % len(cat.EVENT_NAMES)]} {city} {year}", city,
                            currency, tz, t, end, end + EVENT_COST_LAG_DAYS, lines))
        t = end + int(rng.integers(35, 71))
    return events


def _webinars(rng: np.random.Generator, start: date, days: int) -> list[Webinar]:
    first = (2 - start.weekday()) % 7  # first Wednesday
    out = []
    for n, day in enumerate(range(first, days - 1, 14)):  # delivered the day after
        topic = cat.WEBINAR_TOPICS[n % len(cat.WEBINAR_TOPICS)]
        cost = (150_00 if rng.random() < 0.6 else 190_00) * CENT
        out.append(Webinar(f"8{int(rng.integers(10**9, 10**10 - 1))}", topic, day, 13, int(rng.choice([45, 60])), cost))
    return out


# ---------------------------------------------------------------------------------------
# finance's plan


def _months(first: date, last: date) -> list[date]:
    out, m = [], date(first.year, first.month, 1)
    while m <= last:
        out.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def _month_days(m: date) -> int:
    nxt = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return (nxt - m).days


def budget_plan(plan: MediaPlan, fx: FxTable, email_daily_usd: float, rng: np.random.Generator) -> list[BudgetIssue]:
    """One plan issued on the start date covering every month the range touches and the rest
    of that year; if the range runs into months that a plan issued then could not reach within
    the registry's 400-day window, finance re-issues on 1 January of the later year."""
    usd = plan.channel_daily_usd(fx)
    usd["email"] = np.full(plan.days, email_daily_usd)
    end = plan.date(plan.days - 1)
    months = _months(plan.start, max(end, date(plan.start.year, 12, 31)))
    bias = {ch: rng.uniform(0.85, 1.2) for ch in SPENDING_CHANNELS}  # plans are never the actuals
    issues: list[BudgetIssue] = []
    remaining = months
    issue_day = 0
    while remaining:
        issued = plan.date(issue_day)
        covered = tuple(m for m in remaining if (m - issued).days <= 400)
        amounts: dict[str, tuple[int, ...]] = {}
        for ch in SPENDING_CHANNELS:
            daily = usd.get(ch, np.zeros(plan.days))
            mean = float(daily.mean()) if plan.days else 0.0
            vals = []
            for m in covered:
                idx = [i for i in range(plan.days) if plan.date(i).replace(day=1) == m]
                per_day = float(daily[idx].mean()) if idx else mean
                vals.append(int(round(per_day * _month_days(m) * bias[ch] * 100)) * CENT)
            amounts[ch] = tuple(vals)
        issues.append(BudgetIssue(issue_day, f"FY{issued.year} v{len(issues) + 1}", covered, amounts))
        remaining = [m for m in remaining if m not in covered]
        if remaining:
            jan = date(remaining[0].year, 1, 1)
            issue_day = max((jan - plan.start).days, issue_day + 1)
            if issue_day >= plan.days:
                break
    return issues


def make_plan(seed: int, start: date, days: int, people: int) -> MediaPlan:
    rng = rngs.stream(seed, rngs.PLAN)
    scale = people / cat.REFERENCE_PEOPLE
    return MediaPlan(
        start=start, days=days, scale=scale,
        ad_spend=_ad_spend(rng, start, days, scale),
        flights=_flights(rng, start, days, scale),
        assets=_assets(rng, days, scale),
        events=_events(rng, start, days, scale),
        webinars=_webinars(rng, start, days),
    )
