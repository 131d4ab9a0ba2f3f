"""`landing/_truth.json`: the planted answers, for known-answer tests only.

The pipeline never reads this file. Money in it is exact decimal text: totals are the sums of
what the files themselves carry (tallied by `Landing` as the files are written), daily spend is
the plan's spend spread over the days it bought, in each account's own currency.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import numpy as np

from journeymart.generate.fx import MICRO, FxTable
from journeymart.generate.plan import SPENDING_CHANNELS, MediaPlan
from journeymart.generate.population import People
from journeymart.generate.simulation import Simulation
from journeymart.generate.writers.files import Landing, money
from journeymart.registry import Registry

# Google bills in micros; everyone else in cents.
SPEND_PLACES = {"google_ads": 6}
FORMULA = ("a_t = x_t + theta * a_{t-1}; response_t = beta * a_t^s / (a_t^s + K^s); "
           "draw ~ Poisson(response_t)")
SPEND_BASIS = ("x_t = the channel's spend on day t converted to USD at that day's fx rate; offline, "
               "content and events spend spread evenly over flight/period/event days")


def _dec(micros: int, places: int) -> str:
    return money(int(micros), places)


class TruthRecorder:
    """Collects per-day facts that are not in the plan (e-mail spend, engagement)."""

    def __init__(self, plan: MediaPlan) -> None:
        self.plan = plan
        self.email_daily = np.zeros(plan.days, np.int64)
        self.engagement: dict[str, int] = {}

    def observe(self, day_index: int, email_micros: int, engagement: dict[str, int]) -> None:
        self.email_daily[day_index] = email_micros
        for ch, n in engagement.items():
            self.engagement[ch] = self.engagement.get(ch, 0) + n

    def daily_spend(self) -> dict[str, dict[str, np.ndarray]]:
        daily = self.plan.channel_daily()
        daily["email"] = {"USD": self.email_daily.copy()}
        return daily

    def build(self, *, seed: int, customers: int, registry: Registry, fx: FxTable, sim: Simulation,
              landing: Landing, people: People, initial_stages: dict[str, int]) -> dict[str, Any]:
        plan = self.plan
        dates = [plan.date(i).isoformat() for i in range(plan.days)]
        daily = self.daily_spend()
        spend: dict[str, Any] = {}
        usd_total: dict[str, Decimal] = {}
        for ch in SPENDING_CHANNELS:
            places = SPEND_PLACES.get(ch, 2)
            by_cur = daily.get(ch, {})
            files = landing.spend.get(ch, {})
            totals: dict[str, int] = {}
            for by_entity in files.values():
                for cur, m in by_entity.items():
                    totals[cur] = totals.get(cur, 0) + m
            usd = Decimal(0)
            for cur, arr in by_cur.items():
                rates = fx.rates[cur] if cur != "USD" else np.full(plan.days, MICRO)
                usd += sum((Decimal(int(m)) * Decimal(int(r)) for m, r in zip(arr, rates, strict=True)),
                           Decimal(0)) / Decimal(MICRO) / Decimal(MICRO)
            usd_total[ch] = usd
            spend[ch] = {
                "totals": {cur: _dec(m, places) for cur, m in sorted(totals.items())},
                "entities": {ent: {cur: _dec(m, places) for cur, m in sorted(c.items())}
                             for ent, c in sorted(files.items())},
                "usd_at_daily_rates": str(usd.quantize(Decimal("0.01"), ROUND_HALF_EVEN)),
                "daily": {cur: dict(zip(dates, (_dec(int(m), places) for m in arr), strict=True))
                          for cur, arr in sorted(by_cur.items())},
            }
        all_usd = sum(usd_total.values(), Decimal(0)) or Decimal(1)
        engaged = sum(sim_n for sim_n in self.engagement.values()) or 1

        curves: dict[str, Any] = {}
        for ch in SPENDING_CHANNELS:
            curve = sim.curves.get(ch)
            if curve is None:
                curves[ch] = None  # spends, but no planted response (fixed platform fee)
                continue
            ref = sim.reference_usd[ch]
            curves[ch] = {
                **curve.as_truth(),
                "reference_daily_spend_usd": round(ref, 2),
                "avg_response_per_1000_usd": round(curve.response(ref / (1 - curve.theta)) / ref * 1000, 6),
                "marginal_response_per_1000_usd": round(curve.marginal(ref) * 1000, 6),
                "expected_total": round(sim.expected_new.get(ch, 0.0), 3),
                "realised_total": int(sim.realised_new.get(ch, 0)) if ch != "email" else sim.email_clicks,
            }
        ranked = sorted((ch for ch, c in curves.items() if c and c["unit"] == "new_people"),
                        key=lambda ch: -curves[ch]["marginal_response_per_1000_usd"])

        first_start = plan.start
        return {
            "generator": {"seed": seed, "start": first_start.isoformat(), "days": plan.days,
                          "end": (first_start + timedelta(days=plan.days - 1)).isoformat(), "customers": customers},
            "reporting_currency": registry.reporting_currency,
            "accounts": {c.id: {"currency": c.currency, "timezone": c.timezone} for c in registry.channels},
            "fx_rates": {"quote_currency": "USD",
                         "rates": {cur: dict(zip(dates, (money(int(r), 6) for r in (
                             fx.rates[cur] if cur != "USD" else np.full(plan.days, MICRO))), strict=True))
                                   for cur in fx.currencies}},
            "response_curves": {"formula": FORMULA, "spend_basis": SPEND_BASIS, "channels": curves,
                                "marginal_rank_new_people": ranked},
            "spend": spend,
            "spend_share_usd": {ch: str((usd_total[ch] / all_usd).quantize(Decimal("0.0001")))
                                for ch in SPENDING_CHANNELS},
            "customer_engagement": {
                "touches": dict(sorted(self.engagement.items())),
                "share": {ch: round(n / engaged, 4) for ch, n in sorted(self.engagement.items())},
            },
            "stages": {"initial": initial_stages, "final": people.stage_counts()},
            "new_people": {"by_channel": dict(sim.realised_new), "total": int(sum(sim.realised_new.values()))},
            "orders": {"first": sim.orders_first, "repeat": sim.orders_repeat,
                       "total": sim.orders_first + sim.orders_repeat},
            "rows": {table: {"files": t.files, "rows": t.rows} for table, t in sorted(landing.tallies.items())},
            "files": landing.files_written,
        }


def write(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

