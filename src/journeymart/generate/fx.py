"""Daily reference FX rates: a small random walk, kept as integer micro-rates.

Rates are exact 6-decimal numbers (what finance publishes), so converting with them in the
warehouse reproduces the generator's own conversions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from journeymart.generate import rng as rngs

# 1 unit of the currency = this many USD on the first day.
START_RATES = {"EUR": 1.085, "GBP": 1.268}
DAILY_VOLATILITY = 0.003
MICRO = 1_000_000


@dataclass(frozen=True)
class FxTable:
    """micro-rates per currency: rates[cur][day] = USD per 1 cur, times 1e6."""

    rates: dict[str, np.ndarray]

    def micro_rate(self, currency: str, day: int) -> int:
        if currency == "USD":
            return MICRO
        return int(self.rates[currency][day])

    def to_usd(self, currency: str, day: int, micros: int | np.ndarray) -> float | np.ndarray:
        """Approximate USD (float) of an amount in micros; for curves and plans, not for
        money that is written out."""
        return micros * (self.micro_rate(currency, day) / MICRO) / MICRO

    @property
    def currencies(self) -> list[str]:
        return ["EUR", "GBP", "USD"]


def random_walk(seed: int, days: int) -> FxTable:
    rng = rngs.stream(seed, rngs.FX)
    rates: dict[str, np.ndarray] = {}
    for cur in sorted(START_RATES):
        steps = rng.normal(0.0, DAILY_VOLATILITY, size=days)
        steps[0] = 0.0
        path = START_RATES[cur] * np.exp(np.cumsum(steps))
        rates[cur] = np.rint(path * MICRO).astype(np.int64)
    return FxTable(rates)
