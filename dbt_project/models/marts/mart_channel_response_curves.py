"""Response curves per spending channel: geometric adstock + Hill saturation fitted on
int_channel_daily_response (journeymart.mmm), with fit quality and the marginal return at the
current spend. Channels whose data cannot pin the curve down over the decision range (the
recommendation's bounds around current spend) are flagged with a reason and get NULL
parameters; a trusted curve whose parameters are not each pinned down says which one. DuckDB only (dbt-duckdb runs Python models in-process); see
_marts__budget_models.yml and docs/budget_models.md."""

from decimal import Decimal

import numpy as np
import pandas as pd

from journeymart import mmm

COLUMNS = {
    "channel_id": "varchar", "outcome_unit": "varchar", "is_identifiable": "boolean",
    "not_identifiable_reason": "varchar", "are_parameters_identifiable": "boolean",
    "parameters_not_identifiable_reason": "varchar", "panel_start_date": "date", "panel_end_date": "date",
    "panel_days": "integer", "active_days": "integer", "spend_cv": "double", "total_outcomes": "bigint",
    "adstock_theta": "double", "half_saturation_usd": "double", "hill_shape": "double",
    "max_response_per_day": "double",
    "adstock_theta_ci_low": "double", "adstock_theta_ci_high": "double",
    "half_saturation_usd_ci_low": "double", "half_saturation_usd_ci_high": "double",
    "hill_shape_ci_low": "double", "hill_shape_ci_high": "double",
    "max_response_per_day_ci_low": "double", "max_response_per_day_ci_high": "double",
    "deviance_explained": "double", "weekly_mape": "double",
    "budget_window_start_date": "date", "budget_window_days": "integer",
    "current_spend_usd": "decimal(18, 2)", "current_daily_spend_usd": "decimal(18, 2)",
    "expected_response_per_day": "double", "marginal_response_per_1000_usd": "double",
    "marginal_response_per_1000_usd_ci_low": "double", "marginal_response_per_1000_usd_ci_high": "double",
    "marginal_response_per_1000_usd_at_lower_bound": "double",
    "marginal_response_per_1000_usd_at_upper_bound": "double",
}
CI_NAMES = {"theta": "adstock_theta", "K": "half_saturation_usd", "s": "hill_shape", "beta": "max_response_per_day"}


def rules(dbt) -> mmm.Rules:
    # dbt finds config keys by reading literal dbt.config.get("...") calls: keep them spelled out
    return mmm.Rules(min_active_days=int(dbt.config.get("min_active_days")),
                     min_spend_cv=float(dbt.config.get("min_spend_cv")),
                     min_total_outcome=float(dbt.config.get("min_total_outcome")),
                     max_rel_ci=float(dbt.config.get("max_rel_ci")),
                     max_theta_ci=float(dbt.config.get("max_theta_ci")),
                     max_marginal_rel_ci=float(dbt.config.get("max_marginal_rel_ci")),
                     decision_range=(float(dbt.config.get("lower_bound")), float(dbt.config.get("upper_bound"))),
                     bootstrap=int(dbt.config.get("bootstrap")), seed=int(dbt.config.get("seed")))


def fit_row(channel: str, days: pd.DataFrame, window_days: int, fit_rules: mmm.Rules) -> dict:
    days = days.sort_values("response_date")
    x = days["spend_usd"].astype(float).to_numpy()
    unit = days["outcome_unit"].iloc[0]
    window = days.tail(window_days)
    current = sum((Decimal(v) for v in window["spend_text"]), Decimal(0))  # exact: text, not float
    daily = float(current) / len(window)
    row = {"channel_id": channel, "outcome_unit": unit,
           "panel_start_date": days["response_date"].iloc[0], "panel_end_date": days["response_date"].iloc[-1],
           "budget_window_start_date": window["response_date"].iloc[0], "budget_window_days": len(window),
           "current_spend_usd": str(current), "current_daily_spend_usd": f"{daily:.2f}"}
    if not isinstance(unit, str):
        active = x[x > 0]
        return row | {"is_identifiable": False, "panel_days": len(x), "active_days": len(active),
                      "not_identifiable_reason": "no person-level outcome measured for this channel"}
    fit = mmm.fit(x, days["outcomes"].astype(float).to_numpy(), fit_rules, current_daily=daily)
    row |= {"is_identifiable": fit.identifiable, "not_identifiable_reason": fit.reason,
            "panel_days": fit.n_days, "active_days": fit.active_days, "spend_cv": fit.spend_cv,
            "total_outcomes": int(fit.total_outcome)}
    if fit.identifiable:
        lower, upper = (daily * f for f in fit_rules.decision_range)
        row |= {"are_parameters_identifiable": fit.parameters_identifiable,
                "parameters_not_identifiable_reason": fit.parameters_reason,
                "marginal_response_per_1000_usd_ci_low": fit.marginal_ci["current"][0] * 1000.0,
                "marginal_response_per_1000_usd_ci_high": fit.marginal_ci["current"][1] * 1000.0,
                "marginal_response_per_1000_usd_at_lower_bound": fit.marginal(lower) * 1000.0,
                "marginal_response_per_1000_usd_at_upper_bound": fit.marginal(upper) * 1000.0,
                "adstock_theta": fit.theta, "half_saturation_usd": fit.K, "hill_shape": fit.s,
                "max_response_per_day": fit.beta, "deviance_explained": fit.deviance_explained,
                "weekly_mape": fit.mape_weekly,
                "expected_response_per_day": float(fit.response(daily)),
                "marginal_response_per_1000_usd": fit.marginal(daily) * 1000.0}
        for key, name in CI_NAMES.items():
            row[f"{name}_ci_low"], row[f"{name}_ci_high"] = fit.ci[key]
    return row


def model(dbt, session):
    dbt.config(materialized="table")
    # DECIMAL would arrive in pandas as float: carry the exact spend as text beside it
    panel = dbt.ref("int_channel_daily_response").project(
        "response_date, channel_id, cast(spend_usd as double) as spend_usd, "
        "cast(spend_usd as varchar) as spend_text, outcome_unit, outcomes").df()
    window_days = int(dbt.config.get("budget_window_days"))
    fit_rules = rules(dbt)
    rows = [fit_row(ch, days, window_days, fit_rules) for ch, days in panel.groupby("channel_id", sort=True)]
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).replace({np.nan: None})
    frame = frame.astype({c: "object" for c in frame.columns})
    session.register("response_curve_rows", frame)
    casts = ", ".join(f"cast({c} as {t}) as {c}" for c, t in COLUMNS.items())
    return session.sql(f"select {casts} from response_curve_rows")

