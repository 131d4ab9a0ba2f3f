"""The same total budget split to maximise expected new people: mart_channel_response_curves'
identifiable new-people channels move within [lower, upper] x their current spend over the
budget window; every other channel (not identifiable, another outcome unit such as e-mail
clickers, or no curve) keeps its current spend. The recommended split adds up to the current
total to the cent (the rounding remainder goes to the largest line). DuckDB only; see
_marts__budget_models.yml and docs/budget_models.md."""

from decimal import Decimal

import numpy as np
import pandas as pd

from journeymart import mmm

OPTIMISED_UNIT = "new_people"
COLUMNS = {
    "channel_id": "varchar", "outcome_unit": "varchar", "is_optimised": "boolean", "kept_because": "varchar",
    "budget_window_start_date": "date", "budget_window_days": "integer",
    "current_spend_usd": "decimal(18, 2)", "recommended_spend_usd": "decimal(18, 2)",
    "spend_change_usd": "decimal(18, 2)", "spend_change_pct": "double",
    "lower_bound_usd": "decimal(18, 2)", "upper_bound_usd": "decimal(18, 2)",
    "marginal_response_per_1000_usd_current": "double", "marginal_response_per_1000_usd_recommended": "double",
    "expected_outcome_current": "double", "expected_outcome_recommended": "double",
    "total_expected_outcome_current": "double", "total_expected_outcome_recommended": "double",
    "total_expected_lift": "double", "total_expected_lift_pct": "double",
}


def curve(row: pd.Series) -> mmm.CurveFit:
    return mmm.CurveFit(identifiable=True, reason=None, n_days=int(row["panel_days"]),
                        active_days=int(row["active_days"]), spend_cv=float(row["spend_cv"]),
                        total_outcome=float(row["total_outcomes"]), theta=float(row["adstock_theta"]),
                        K=float(row["half_saturation_usd"]), s=float(row["hill_shape"]),
                        beta=float(row["max_response_per_day"]))


def kept_because(row: pd.Series) -> str | None:
    if not row["is_identifiable"]:
        return f"not identifiable: {row['not_identifiable_reason']}"
    if row["outcome_unit"] != OPTIMISED_UNIT:
        return f"outcome is {row['outcome_unit']}, not {OPTIMISED_UNIT}"
    if Decimal(row["current_spend_text"]) <= 0:
        return "no current spend"
    return None


def model(dbt, session):
    dbt.config(materialized="table")
    lower, upper = float(dbt.config.get("lower_bound")), float(dbt.config.get("upper_bound"))
    curves = dbt.ref("mart_channel_response_curves").project(
        "*, cast(current_spend_usd as varchar) as current_spend_text").df().sort_values("channel_id")
    curves["kept_because"] = [kept_because(r) for _, r in curves.iterrows()]
    movable = curves[curves["kept_because"].isna()]
    fits = {r["channel_id"]: curve(r) for _, r in movable.iterrows()}
    days = {r["channel_id"]: int(r["budget_window_days"]) for _, r in curves.iterrows()}
    current = {r["channel_id"]: Decimal(r["current_spend_text"]) for _, r in curves.iterrows()}
    # the optimiser works on steady daily spend; the window total is daily x days
    daily = {ch: float(current[ch]) / days[ch] for ch in fits}
    allocation = mmm.optimise(fits, daily, (lower, upper))
    movable_total = sum((current[ch] for ch in fits), Decimal(0))
    split = mmm.to_cents(movable_total, allocation.spend) if fits else {}
    cent = Decimal("0.01")

    rows = []
    for _, r in curves.iterrows():
        ch = r["channel_id"]
        recommended = split.get(ch, current[ch])
        row = {"channel_id": ch, "outcome_unit": r["outcome_unit"], "is_optimised": ch in fits,
               "kept_because": r["kept_because"], "budget_window_start_date": r["budget_window_start_date"],
               "budget_window_days": days[ch], "current_spend_usd": str(current[ch]),
               "recommended_spend_usd": str(recommended), "spend_change_usd": str(recommended - current[ch]),
               "spend_change_pct": float((recommended - current[ch]) / current[ch]) if current[ch] else None}
        if ch in fits:
            fit, n = fits[ch], days[ch]
            now, new = daily[ch], float(recommended) / n
            row |= {"lower_bound_usd": str((current[ch] * Decimal(repr(lower))).quantize(cent)),
                    "upper_bound_usd": str((current[ch] * Decimal(repr(upper))).quantize(cent)),
                    "marginal_response_per_1000_usd_current": fit.marginal(now) * 1000.0,
                    "marginal_response_per_1000_usd_recommended": fit.marginal(new) * 1000.0,
                    "expected_outcome_current": float(fit.response(now)) * n,
                    "expected_outcome_recommended": float(fit.response(new)) * n}
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    total_now = frame["expected_outcome_current"].sum(min_count=1)
    total_new = frame["expected_outcome_recommended"].sum(min_count=1)
    frame["total_expected_outcome_current"] = total_now
    frame["total_expected_outcome_recommended"] = total_new
    frame["total_expected_lift"] = total_new - total_now
    frame["total_expected_lift_pct"] = (total_new - total_now) / total_now if total_now else np.nan
    frame = frame.astype(object).replace({np.nan: None})
    session.register("budget_recommendation_rows", frame)
    casts = ", ".join(f"cast({c} as {t}) as {c}" for c, t in COLUMNS.items())
    return session.sql(f"select {casts} from budget_recommendation_rows")
