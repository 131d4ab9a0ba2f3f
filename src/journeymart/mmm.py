"""Media-mix response curves: geometric adstock + Hill saturation, fitted per channel, and the
budget split that maximises the expected outcome for the same total spend.

    a_t = x_t + theta * a_{t-1}                      (x_t = USD spend on day t, a_{-1} = 0)
    mu_t = beta * a_t^s / (a_t^s + K^s)              (expected outcomes on day t)
    y_t ~ Poisson(mu_t)

Pure numpy/scipy so it runs wherever Python does (dbt Python models, tests, notebooks). The fit
is a Poisson maximum-likelihood fit: a grid over (theta, s) with K fitted on a bounded 1-D search
and beta in closed form (for fixed theta, s, K the Poisson MLE of beta is sum(y) / sum(h)), then
a joint polish. Uncertainty is a seeded parametric bootstrap, so results are deterministic.

Two levels of trust, because they answer different questions:
- the *curve* is identifiable when its data pins down what the budget decision uses: the
  marginal return (and so the response) across the range the split may move spend in
  (default 0.5..1.5 x current). Only then does a channel get a curve and enter the optimiser;
  otherwise it is flagged with a reason and gets no parameters (NULL in the marts).
- the *parameters* are identifiable when each of theta, K, s and beta is pinned down on its
  own. A nearly linear channel (spend far below its half-saturation point) has a sharp
  marginal return but no sharp K (only beta / K is visible there): its curve is trusted within
  the range, its parameters are published with their intervals and flagged as not pinned down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np
from scipy import optimize, signal

THETA_GRID = np.round(np.arange(0.0, 0.91, 0.1), 2)  # coarse: the joint polish refines it
S_GRID = np.array([0.7, 1.0, 1.4, 2.0, 2.8])
THETA_MAX = 0.95
S_BOUNDS = (0.5, 3.5)


@dataclass(frozen=True)
class Rules:
    """When a channel's curve is trusted. Defaults are documented in docs/budget_models.md."""

    min_active_days: int = 28  # days with spend > 0
    min_spend_cv: float = 0.10  # coefficient of variation of spend on active days
    min_total_outcome: float = 100.0  # outcomes summed over the panel
    max_rel_ci: float = 0.25  # bootstrap 90% CI half-width / estimate, for K, s and beta
    max_theta_ci: float = 0.30  # bootstrap 90% CI width of theta (absolute: theta may be 0)
    # the curve: 90% CI half-width / estimate of the marginal return at each decision point
    max_marginal_rel_ci: float = 0.25
    decision_range: tuple[float, float] = (0.5, 1.5)  # x current daily spend, as the optimiser's bounds
    bootstrap: int = 40
    seed: int = 20260101


@dataclass
class CurveFit:
    """One channel's fit. Parameters are None when the channel is not identifiable."""

    identifiable: bool
    reason: str | None
    n_days: int
    active_days: int
    spend_cv: float
    total_outcome: float
    theta: float | None = None
    K: float | None = None
    s: float | None = None
    beta: float | None = None
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    parameters_identifiable: bool = False
    parameters_reason: str | None = None  # which parameter is not pinned down, when the curve is
    current_daily_spend: float | None = None  # where the decision range is centred
    marginal_ci: dict[str, tuple[float, float]] = field(default_factory=dict)  # lower/current/upper
    deviance_explained: float | None = None  # 1 - deviance / null deviance (Poisson)
    mape_weekly: float | None = None  # mean abs. % error of weekly sums, fitted vs observed

    def response(self, daily_spend: float | np.ndarray) -> np.ndarray:
        """Expected outcomes per day at a steady daily spend (a = x / (1 - theta))."""
        assert self.theta is not None and self.K is not None and self.s is not None and self.beta is not None
        a = np.asarray(daily_spend, float) / (1.0 - self.theta)
        return hill(a, self.K, self.s, self.beta)

    def marginal(self, daily_spend: float) -> float:
        """d(outcomes per day) / d(USD per day) at a steady daily spend."""
        assert self.theta is not None and self.K is not None and self.s is not None and self.beta is not None
        a = max(daily_spend, 0.0) / (1.0 - self.theta)
        if a <= 0.0:
            return self.beta / self.K / (1.0 - self.theta) if self.s == 1.0 else 0.0
        return float(steady_marginal(daily_spend, self.theta, self.K, self.s, self.beta))


def steady_marginal(x: float, theta: Any, K: Any, s: Any, beta: Any) -> Any:
    """d(outcomes per day) / d(USD per day) at a steady daily spend x > 0; the parameters may be
    numbers or arrays (bootstrap draws)."""
    a = x / (1.0 - theta)
    a_s, k_s = a**s, K**s
    return beta * s * a ** (s - 1.0) * k_s / (a_s + k_s) ** 2 / (1.0 - theta)


def adstock(x: np.ndarray, theta: float) -> np.ndarray:
    """a_t = x_t + theta * a_{t-1}, a_{-1} = 0 (a first-order IIR filter)."""
    return signal.lfilter([1.0], [1.0, -theta], np.asarray(x, float))


def hill(a: np.ndarray, K: float, s: float, beta: float) -> np.ndarray:
    a = np.maximum(np.asarray(a, float), 0.0)
    # a^s / (a^s + K^s) = 1 / (1 + (K/a)^s), written to stay finite for a = 0
    with np.errstate(divide="ignore", over="ignore"):
        h = np.where(a > 0, 1.0 / (1.0 + (K / np.where(a > 0, a, 1.0)) ** s), 0.0)
    return beta * h


def _nll(y: np.ndarray, mu: np.ndarray) -> float:
    mu = np.maximum(mu, 1e-12)
    return float(np.sum(mu - y * np.log(mu)))


def _profile_beta(y: np.ndarray, h: np.ndarray) -> float:
    return float(y.sum() / max(h.sum(), 1e-12))


def _h(a: np.ndarray, log_k: float, s: float) -> np.ndarray:
    return hill(a, float(np.exp(log_k)), s, 1.0)


def _best_k(y: np.ndarray, a: np.ndarray, s: float, log_k_bounds: tuple[float, float]) -> tuple[float, float]:
    def nll(log_k: float) -> float:
        h = _h(a, log_k, s)
        return _nll(y, _profile_beta(y, h) * h)

    r = optimize.minimize_scalar(nll, bounds=log_k_bounds, method="bounded", options={"xatol": 1e-3})
    return float(r.x), float(r.fun)


def _log_k_bounds(x: np.ndarray) -> tuple[float, float]:
    active = x[x > 0]
    lo = float(np.log(max(active.min(), 1e-6) * 0.02))
    hi = float(np.log(active.max() * 50.0 / (1.0 - THETA_MAX)))
    return lo, hi


def _polish(y: np.ndarray, x: np.ndarray, start: tuple[float, float, float],
            log_k_bounds: tuple[float, float]) -> tuple[float, float, float, float]:
    """Joint bounded fit of (theta, s, log K), beta profiled; returns theta, K, s, beta."""

    def nll(p: np.ndarray) -> float:
        h = _h(adstock(x, p[0]), p[2], p[1])
        return _nll(y, _profile_beta(y, h) * h)

    r = optimize.minimize(nll, np.asarray(start), method="L-BFGS-B",
                          bounds=[(0.0, THETA_MAX), S_BOUNDS, log_k_bounds])
    theta, s, log_k = (float(v) for v in r.x)
    h = _h(adstock(x, theta), log_k, s)
    return theta, float(np.exp(log_k)), s, _profile_beta(y, h)


def _fit_mle(y: np.ndarray, x: np.ndarray) -> tuple[float, float, float, float]:
    bounds = _log_k_bounds(x)
    best = (np.inf, 0.0, 1.0, 0.0)
    for theta in THETA_GRID:
        a = adstock(x, theta)
        for s in S_GRID:
            log_k, value = _best_k(y, a, s, bounds)
            if value < best[0]:
                best = (value, float(theta), float(s), log_k)
    return _polish(y, x, best[1:], bounds)


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    mu = np.maximum(mu, 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2.0 * np.sum(term - (y - mu)))


def fit(spend: np.ndarray, outcome: np.ndarray, rules: Rules | None = None,
        current_daily: float | None = None) -> CurveFit:
    """Fit one channel's daily spend (USD) → daily outcome counts, or say why it cannot be.
    `current_daily` centres the decision range (default: mean spend on active days)."""
    rules = rules or Rules()
    x = np.asarray(spend, float)
    y = np.asarray(outcome, float)
    active = x[x > 0]
    cv = float(active.std() / active.mean()) if len(active) > 1 and active.mean() > 0 else 0.0
    base = CurveFit(identifiable=False, reason=None, n_days=len(x), active_days=len(active),
                    spend_cv=cv, total_outcome=float(y.sum()))
    if len(active) < rules.min_active_days:
        base.reason = f"too few days with spend ({len(active)} < {rules.min_active_days})"
    elif cv < rules.min_spend_cv:
        base.reason = f"too little spend variation (CV {cv:.3f} < {rules.min_spend_cv})"
    elif y.sum() < rules.min_total_outcome:
        base.reason = f"too few outcomes ({y.sum():.0f} < {rules.min_total_outcome:.0f})"
    if base.reason:
        return base

    theta, K, s, beta = _fit_mle(y, x)
    mu = hill(adstock(x, theta), K, s, beta)
    null = _deviance(y, np.full_like(y, y.mean()))
    weeks = len(y) // 7 * 7
    wy, wm = y[:weeks].reshape(-1, 7).sum(1), mu[:weeks].reshape(-1, 7).sum(1)
    draws = _bootstrap(x, mu, (theta, s, np.log(K)), rules)
    base.ci = _percentiles(draws)
    base.current_daily_spend = current = float(current_daily if current_daily else active.mean())
    base.marginal_ci, reason = _marginal_check(draws, (theta, K, s, beta), current, rules)
    if reason:
        base.reason = reason
        return base
    base.identifiable = True
    base.theta, base.K, base.s, base.beta = theta, K, s, beta
    base.parameters_reason = _ci_reason(base.ci, {"theta": theta, "K": K, "s": s, "beta": beta}, rules)
    base.parameters_identifiable = base.parameters_reason is None
    base.deviance_explained = 1.0 - _deviance(y, mu) / null if null > 0 else None
    base.mape_weekly = float(np.mean(np.abs(wm - wy) / np.maximum(wy, 1.0))) if weeks else None
    return base


def _bootstrap(x: np.ndarray, mu: np.ndarray, start: tuple[float, float, float], rules: Rules) -> np.ndarray:
    """Parametric bootstrap: redraw Poisson outcomes from the fitted curve and refit (seeded).
    One row per draw: theta, K, s, beta."""
    rng = np.random.default_rng(rules.seed)
    bounds = _log_k_bounds(x)
    return np.array([_polish(rng.poisson(mu).astype(float), x, start, bounds) for _ in range(rules.bootstrap)])


def _percentiles(draws: np.ndarray) -> dict[str, tuple[float, float]]:
    lo, hi = np.percentile(draws, [5, 95], axis=0)
    return {name: (float(lo[i]), float(hi[i])) for i, name in enumerate(("theta", "K", "s", "beta"))}


def _marginal_check(draws: np.ndarray, est: tuple[float, float, float, float], current: float,
                    rules: Rules) -> tuple[dict[str, tuple[float, float]], str | None]:
    """90% intervals of the marginal return at the lower bound, current spend and upper bound
    of the decision range, and the first point where it is too wide (or None)."""
    out: dict[str, tuple[float, float]] = {}
    reason = None
    points = {"lower": rules.decision_range[0], "current": 1.0, "upper": rules.decision_range[1]}
    for name, factor in points.items():
        x = current * factor
        value = float(steady_marginal(x, *(np.asarray(v) for v in est)))
        lo, hi = (float(v) for v in np.percentile(steady_marginal(x, *draws.T), [5, 95]))
        out[name] = (lo, hi)
        if reason is None and not (value > 0 and (hi - lo) / 2.0 <= rules.max_marginal_rel_ci * value):
            reason = (f"marginal return not pinned down at {factor:g} x current spend "
                      f"(90% CI {lo * 1000:.4g}..{hi * 1000:.4g} around {value * 1000:.4g} per 1000 USD)")
    return out, reason


def _ci_reason(ci: dict[str, tuple[float, float]], est: dict[str, float], rules: Rules) -> str | None:
    lo, hi = ci["theta"]
    if hi - lo > rules.max_theta_ci:
        return f"adstock not pinned down (theta 90% CI {lo:.2f}..{hi:.2f})"
    for name in ("K", "s", "beta"):
        lo, hi = ci[name]
        if (hi - lo) / 2.0 > rules.max_rel_ci * est[name]:
            return f"{name} not pinned down (90% CI {lo:.4g}..{hi:.4g} around {est[name]:.4g})"
    return None


@dataclass(frozen=True)
class Allocation:
    spend: dict[str, float]  # recommended daily spend per channel
    expected_current: float  # expected outcomes per day at current spend (optimised channels)
    expected_recommended: float


def optimise(fits: dict[str, CurveFit], current: dict[str, float],
             bounds: tuple[float, float] = (0.5, 1.5)) -> Allocation:
    """Split the same total daily spend to maximise the expected outcome of the identifiable
    channels, each within [lower, upper] x its current spend; other channels keep theirs."""
    movable = [ch for ch in sorted(current) if fits.get(ch) and fits[ch].identifiable and current[ch] > 0]
    fixed = {ch: v for ch, v in current.items() if ch not in movable}
    x0 = np.array([current[ch] for ch in movable])
    if not movable:
        return Allocation(spend=dict(current), expected_current=0.0, expected_recommended=0.0)
    scale = x0.sum()

    def total(z: np.ndarray) -> float:
        return float(sum(fits[ch].response(v * scale) for ch, v in zip(movable, z, strict=True)))

    def grad(z: np.ndarray) -> np.ndarray:
        return np.array([fits[ch].marginal(v * scale) * scale for ch, v in zip(movable, z, strict=True)])

    z0 = x0 / scale
    r = optimize.minimize(lambda z: -total(z), z0, jac=lambda z: -grad(z), method="SLSQP",
                          bounds=[(bounds[0] * v, bounds[1] * v) for v in z0],
                          constraints=[{"type": "eq", "fun": lambda z: z.sum() - 1.0, "jac": lambda z: np.ones_like(z)}],
                          options={"ftol": 1e-12, "maxiter": 500})
    z = r.x if r.success and total(r.x) >= total(z0) else z0
    spend = {**fixed, **{ch: float(v * scale) for ch, v in zip(movable, z, strict=True)}}
    return Allocation(spend=spend, expected_current=total(z0), expected_recommended=total(z))


def to_cents(total: Decimal, shares: dict[str, float]) -> dict[str, Decimal]:
    """Split an exact total by float shares into cents that add up to the total exactly: each
    line rounded half-even, the remainder on the largest line."""
    cent = Decimal("0.01")
    weight = sum(shares.values())
    out = {ch: (total * Decimal(repr(v / weight))).quantize(cent, ROUND_HALF_EVEN) for ch, v in shares.items()}
    largest = max(out, key=lambda ch: (out[ch], ch))
    out[largest] += total - sum(out.values(), Decimal(0))
    return out
