"""What every native-format writer needs to turn a simulated day into files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from journeymart.generate import rng as rngs
from journeymart.generate.fx import MICRO, FxTable
from journeymart.generate.plan import MediaPlan
from journeymart.generate.population import People
from journeymart.generate.writers.files import Landing


@dataclass
class Context:
    landing: Landing
    plan: MediaPlan
    people: People
    fx: FxTable
    seed: int

    def rng(self, day: int, family: int) -> np.random.Generator:
        """A writer's own stream (ids, cursors, small cosmetic jitter), apart from the story's."""
        return rngs.stream(self.seed, rngs.WRITE, day, family)

    def date(self, day: int) -> date:
        return self.plan.date(day)

    def usd_cents_to(self, currency: str, day: int, usd_cents: int) -> int:
        """USD cents -> cents of `currency` at the day's reference rate (rounded half up)."""
        if currency == "USD":
            return int(usd_cents)
        rate = self.fx.micro_rate(currency, day)
        return (int(usd_cents) * MICRO * 2 + rate) // (2 * rate)
