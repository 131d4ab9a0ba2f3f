"""Planted media response curves: geometric adstock followed by Hill saturation.

These are the "known answers" a media-mix model fitted on the demo data should recover, so
the formulas here are the ones written to `_truth.json` and documented in docs/demo_data.md:

    a_t = x_t + theta * a_{t-1}                       (adstock, x_t = spend that day in USD)
    response_t = beta * a_t**s / (a_t**s + K**s)      (expected responses that day)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ResponseCurve:
    theta: float  # adstock carry-over per day, 0 <= theta < 1
    K: float  # half-saturation adstocked spend, USD/day
    s: float  # Hill shape (> 1: S-shaped)
    beta: float  # ceiling: expected responses per day at infinite spend
    unit: str  # what one response is: "new_people" or "email_clickers"

    def adstock(self, spend: float, carried: float) -> float:
        return spend + self.theta * carried

    def response(self, adstocked: float) -> float:
        if adstocked <= 0.0:
            return 0.0
        a_s = adstocked**self.s
        return self.beta * a_s / (a_s + self.K**self.s)

    def marginal(self, daily_spend: float) -> float:
        """d(response)/d(spend) at a steady daily spend: a = x / (1 - theta), so a dollar more
        per day lifts the adstock by 1 / (1 - theta)."""
        a = daily_spend / (1.0 - self.theta)
        if a <= 0.0:
            return self.beta / self.K / (1.0 - self.theta) if self.s == 1.0 else 0.0
        a_s, k_s = a**self.s, self.K**self.s
        return self.beta * self.s * a ** (self.s - 1.0) * k_s / (a_s + k_s) ** 2 / (1.0 - self.theta)

    def as_truth(self) -> dict[str, float | str]:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def calibrate(reference_spend: float, reference_response: float, *, theta: float, s: float,
              saturation: float, unit: str) -> ResponseCurve:
    """A curve that yields `reference_response` per day at a steady `reference_spend` and sits
    at `saturation` = a_ref / K on its Hill curve (0.3: nearly linear, 4: flat).

    Calibrating this way keeps the story independent of the population size: spend and
    response both scale with it, the shape (and so the ranking of marginal returns) does not.
    """
    a_ref = max(reference_spend, 1e-9) / (1.0 - theta)
    k = a_ref / saturation
    r_s = saturation**s
    beta = reference_response * (1.0 + r_s) / r_s
    return ResponseCurve(theta=theta, K=k, s=s, beta=beta, unit=unit)


# The planted shapes, per channel: (theta, s, saturation = a_ref / K, share of the day's new
# people this channel brings at its reference spend). Offline and Meta sit far up their curves
# (saturated: the next dollar buys little), Google search and the small channels low on theirs.
ACQUISITION_SHAPES: dict[str, tuple[float, float, float, float]] = {
    "offline": (0.70, 1.2, 4.0, 0.20),
    "meta_ads": (0.30, 1.0, 3.0, 0.24),
    "tiktok_ads": (0.20, 1.3, 1.2, 0.10),
    "linkedin_ads": (0.25, 1.1, 1.0, 0.06),
    "content": (0.60, 1.2, 0.8, 0.08),
    "events": (0.00, 1.0, 0.5, 0.60),  # only on event days, hence the large daily share
    "google_ads": (0.10, 1.0, 0.3, 0.22),
}
# E-mail does not find new people; its planted response is recipients who click, and at
# reference spend 3.5% of the e-mails sent lead to a click.
EMAIL_SHAPE = (0.0, 1.0, 0.25)
EMAIL_CLICKS_PER_EMAIL = 0.035
