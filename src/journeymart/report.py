"""The budget report: one self-contained HTML file per transform run, and its terminal headline.

Written to $JOURNEYMART_HOME/reports/journeymart_report_<as-of date>.html (and latest.html)
after every release of the marts. Everything is inline (CSS, SVG charts, a few lines of JS for
the contents list): the file opens offline, from a mail attachment or a file share, with no CDN.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from journeymart import config
from journeymart.report_charts import funnel, grouped_bars, line_chart

STAGES = ("awareness", "consideration", "purchase", "retention", "advocacy")
ATTRIBUTION_MODELS = ("first_touch", "last_touch", "linear", "position_based", "time_decay", "markov")


@dataclass
class ReportData:
    as_of: str | None
    stage_shares: list[dict[str, Any]]
    channel_shares: list[dict[str, Any]]
    funnel: list[dict[str, Any]]
    attribution: list[dict[str, Any]]
    curves: list[dict[str, Any]]
    recommendation: list[dict[str, Any]]
    pacing: list[dict[str, Any]]
    missing: list[str] = field(default_factory=list)


def _rows(con: Any, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _relations(con: Any, schema: str) -> set[str]:
    return {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [schema]).fetchall()}


def load(con: Any, schema: str = "marts") -> ReportData:
    """Read what the report shows from the released marts (any DB-API connection whose
    `execute` returns a cursor with `description`: DuckDB here)."""
    have = _relations(con, schema)
    missing = [m for m in ("mart_budget_allocation", "mart_journey_funnel", "mart_attribution",
                           "mart_channel_response_curves", "mart_budget_recommendation",
                           "mart_budget_pacing") if m not in have]

    def q(mart: str, sql: str) -> list[dict[str, Any]]:
        return _rows(con, sql.replace("{m}", f"{schema}.{mart}")) if mart in have else []

    stage_shares = q("mart_budget_allocation", """
        select stage, min(stage_rank) as stage_rank, sum(spend_usd) as spend_usd,
               sum(spend_usd) / nullif(sum(sum(spend_usd)) over (), 0) as spend_share,
               1.0 * sum(touches) / nullif(sum(sum(touches)) over (), 0) as engagement_share,
               sum(attributed_revenue_usd) / nullif(sum(sum(attributed_revenue_usd)) over (), 0)
                   as attributed_revenue_share,
               sum(recommended_spend_usd) as recommended_spend_usd,
               sum(shift_usd) as shift_usd
        from {m} group by stage order by stage_rank""")
    channel_shares = q("mart_budget_allocation", """
        select channel_id, sum(spend_usd) as spend_usd,
               sum(spend_usd) / nullif(sum(sum(spend_usd)) over (), 0) as spend_share,
               1.0 * sum(touches) / nullif(sum(sum(touches)) over (), 0) as engagement_share,
               sum(recommended_spend_usd) as recommended_spend_usd, sum(shift_usd) as shift_usd,
               sum(attributed_revenue_usd) / nullif(sum(spend_usd), 0) as roas
        from {m} group by channel_id order by spend_usd desc""")
    funnel_rows = q("mart_journey_funnel", """
        select stage, min(stage_rank) as stage_rank, sum(entered) as entered,
               sum(progressed) as progressed
        from {m} group by stage order by stage_rank""")
    credit_sums = ", ".join(f"sum(credit_{m}) as {m}" for m in ATTRIBUTION_MODELS)
    attribution = q("mart_attribution", f"""
        select channel_id, count(distinct conversion_id) as conversions_touched, {credit_sums}
        from {{m}} group by channel_id order by markov desc""")
    curves = q("mart_channel_response_curves", "select * from {m} order by channel_id")
    recommendation = q("mart_budget_recommendation", "select * from {m} order by channel_id")
    pacing = q("mart_budget_pacing", """
        select * from {m} order by budget_month desc, channel_id""")
    as_of = pacing[0]["as_of_date"].isoformat() if pacing and pacing[0].get("as_of_date") else None
    return ReportData(as_of, stage_shares, channel_shares, funnel_rows, attribution, curves,
                      recommendation, pacing, missing)


def _money(v: Any) -> str:
    if v is None:
        return "–"
    d = Decimal(v)
    return f"{'-' if d < 0 else ''}${abs(d):,.0f}"


def _num(v: Any) -> str:
    return "–" if v is None else f"{float(v):,.1f}"


def _pct(v: Any) -> str:
    return "–" if v is None else f"{float(v) * 100:.1f}%"


def headline(data: ReportData) -> list[str]:
    """Over- and under-funded stages and channels, the recommended shift: for the terminal."""
    lines: list[str] = []
    if data.stage_shares:
        lines.append("Does the budget follow the customer? (all months, marketing channels)")
        lines.append(f"  {'stage':<14}{'spend':>8}{'engaged':>9}{'revenue':>9}   verdict")
        for r in data.stage_shares:
            gap = float(r["spend_share"] or 0) - float(r["engagement_share"] or 0)
            verdict = "over-funded" if gap > 0.05 else "under-funded" if gap < -0.05 else "in line"
            lines.append(f"  {r['stage']:<14}{_pct(r['spend_share']):>8}{_pct(r['engagement_share']):>9}"
                         f"{_pct(r['attributed_revenue_share']):>9}   {verdict}")
    shifts = [r for r in data.channel_shares if r["shift_usd"] is not None]
    if shifts:
        give = sorted((r for r in shifts if r["shift_usd"] < 0), key=lambda r: r["shift_usd"])[:3]
        take = sorted((r for r in shifts if r["shift_usd"] > 0), key=lambda r: -r["shift_usd"])[:3]
        lines.append("Recommended shift (same total; budget follows engagement and attributed revenue):")
        lines.append("  over-funded:  " + ", ".join(f"{r['channel_id']} {_money(r['shift_usd'])}" for r in give))
        lines.append("  under-funded: " + ", ".join(f"{r['channel_id']} +{_money(r['shift_usd'])}" for r in take))
    rec = [r for r in data.recommendation if r.get("is_optimised")]
    if data.recommendation and not rec:
        lines.append("Response curves: no channel carries enough signal to fit yet (see the report); "
                     "the bounded split keeps every channel's spend")
    if rec:
        moves = sorted(rec, key=lambda r: float(r["recommended_spend_usd"]) - float(r["current_spend_usd"]))
        down, up = moves[0], moves[-1]
        lift = next((r.get("total_expected_lift_pct") for r in rec
                     if r.get("total_expected_lift_pct") is not None), None)
        lines.append("Response curves: move budget from "
                     f"{down['channel_id']} ({_money(down['current_spend_usd'])} → {_money(down['recommended_spend_usd'])}) "
                     f"to {up['channel_id']} ({_money(up['current_spend_usd'])} → {_money(up['recommended_spend_usd'])})"
                     + (f"; expected lift {float(lift) * 100:+.1f}% more {rec[0].get('outcome_unit') or 'outcome'}"
                        if lift is not None else ""))
    if data.missing:
        lines.append("Not in this run: " + ", ".join(data.missing))
    return lines


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str, Any]]) -> str:
    head = "".join(f"<th>{escape(title)}</th>" for _, title, _ in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(fmt(r.get(key)))}</td>" for key, _, fmt in columns)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _curve_points(r: dict[str, Any], x_max: float) -> list[tuple[float, float]]:
    theta, k, s, beta = (float(r[c]) for c in ("adstock_theta", "half_saturation_usd", "hill_shape",
                                                "max_response_per_day"))

    def steady(x: float) -> float:  # steady daily spend x: adstock = x / (1 - theta)
        a = x / (1.0 - theta)
        return 0.0 if a <= 0 else beta * a**s / (a**s + k**s)

    return [(x_max * i / 40, steady(x_max * i / 40)) for i in range(41)]


def render(data: ReportData, *, run_id: str = "") -> str:
    sections: list[tuple[str, str, str]] = []
    stages = [r["stage"] for r in data.stage_shares]
    if data.stage_shares:
        sections.append(("follow", "Does the budget follow the customer?", grouped_bars(
            stages, {"spend share": [float(r["spend_share"] or 0) for r in data.stage_shares],
                     "engagement share": [float(r["engagement_share"] or 0) for r in data.stage_shares],
                     "attributed revenue share": [float(r["attributed_revenue_share"] or 0)
                                                  for r in data.stage_shares]},
            fmt=lambda v: f"{v * 100:.1f}%", title="share by journey stage") + _table(
            data.stage_shares, [("stage", "stage", str), ("spend_usd", "spend", _money),
                                ("recommended_spend_usd", "recommended", _money), ("shift_usd", "shift", _money)])
            + "<h3>By channel</h3>" + _table(
            data.channel_shares, [("channel_id", "channel", str), ("spend_usd", "spend", _money),
                                  ("spend_share", "spend share", _pct),
                                  ("engagement_share", "engagement share", _pct),
                                  ("roas", "ROAS", lambda v: "–" if v is None else f"{float(v):.2f}"),
                                  ("recommended_spend_usd", "recommended", _money),
                                  ("shift_usd", "shift", _money)])))
    if data.funnel:
        sections.append(("funnel", "The journey funnel", funnel(
            [r["stage"] for r in data.funnel], [int(r["entered"] or 0) for r in data.funnel])))
    if data.attribution:
        chans = [r["channel_id"] for r in data.attribution]
        sections.append(("attribution", "Attribution by model, side by side", grouped_bars(
            chans, {m: [float(r[m] or 0) for r in data.attribution] for m in ATTRIBUTION_MODELS},
            fmt=lambda v: f"{v:,.1f}", title="conversions credited", bar_h=9)
            + "<p>Conversions are our own orders, deduplicated; each model's credits per conversion "
              "sum to 1, so every column sums to the number of conversions.</p>"))
    if data.curves:
        charts = []
        rec = {r["channel_id"]: r for r in data.recommendation}
        for r in data.curves:
            if not r.get("is_identifiable"):
                charts.append(f'<div class="curve na"><b>{escape(r["channel_id"])}</b>: not identifiable '
                              f'({escape(str(r.get("not_identifiable_reason") or ""))})</div>')
                continue
            cur = float(r["current_daily_spend_usd"] or 0)
            recd = rec.get(r["channel_id"], {})
            days = float(recd.get("budget_window_days") or 0)
            new = float(recd["recommended_spend_usd"]) / days if days and recd.get("recommended_spend_usd") else cur
            pts = _curve_points(r, max(cur, new) * 2 or 1.0)
            marks = {"current": [(cur, _curve_points(r, cur * 2 or 1.0)[20][1], f"current ${cur:,.0f}/day")],
                     "recommended": [(new, _curve_points(r, new * 2 or 1.0)[20][1],
                                      f"recommended ${new:,.0f}/day")]}
            charts.append(line_chart({"expected outcome": pts}, markers=marks, title=r["channel_id"],
                                     x_label="USD per day", y_label=str(r.get("outcome_unit") or "outcome")))
            if r.get("parameters_not_identifiable_reason"):  # the curve holds near current spend only
                charts.append(f'<div class="curve na"><b>{escape(r["channel_id"])}</b>: curve trusted within the '
                              f'split\'s bounds; {escape(str(r["parameters_not_identifiable_reason"]))}</div>')
        sections.append(("curves", "Response curves: current vs recommended spend",
                         '<div class="grid">' + "".join(charts) + "</div>" + _table(
                             data.recommendation,
                             [("channel_id", "channel", str), ("current_spend_usd", "current", _money),
                              ("recommended_spend_usd", "recommended", _money),
                              ("spend_change_pct", "change", lambda v: "–" if v is None else f"{float(v) * 100:+.1f}%"),
                              ("kept_because", "kept because", lambda v: v or ""),
                              ("expected_outcome_current", "outcome now", _num),
                              ("expected_outcome_recommended", "outcome recommended", _num)])))
    if data.pacing:
        latest = data.pacing[0]["budget_month"]
        month = [r for r in data.pacing if r["budget_month"] == latest]
        sections.append(("pacing", f"Pacing ({latest:%B %Y}, as of {data.as_of})", grouped_bars(
            [r["channel_id"] for r in month],
            {"plan": [float(r["plan_usd"] or 0) for r in month],
             "actual": [float(r["actual_usd"] or 0) for r in month],
             "forecast": [float(r["forecast_usd"] or 0) for r in month]},
            fmt=lambda v: f"${v:,.0f}", title="plan vs actual vs forecast", bar_h=10) + _table(
            month, [("channel_id", "channel", str), ("plan_usd", "plan", _money),
                    ("actual_usd", "actual", _money), ("forecast_usd", "forecast", _money),
                    ("pace_ratio", "pace", _pct), ("pacing_status", "status", str)])))
    nav = "".join(f'<li><a href="#{sid}">{escape(title)}</a></li>' for sid, title, _ in sections)
    body = "".join(f'<section id="{sid}"><h2>{escape(title)}</h2>{html}</section>'
                   for sid, title, html in sections)
    head_lines = "\n".join(headline(data))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>journeymart budget report {escape(data.as_of or "")}</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#1a202c}}
h1{{margin-bottom:0}} .meta{{color:#718096}} pre{{background:#f7fafc;padding:12px;white-space:pre-wrap}}
table{{border-collapse:collapse;margin:8px 0 16px}} td,th{{border-bottom:1px solid #e2e8f0;padding:3px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}} .grid{{display:flex;flex-wrap:wrap;gap:8px}}
.curve.na{{width:340px;padding:8px;color:#718096;border:1px dashed #cbd5e0}}
</style></head><body>
<h1>journeymart: does the budget follow the customer?</h1>
<p class="meta">Data as of {escape(data.as_of or "–")} · generated {generated} · run {escape(run_id)}</p>
<nav><ol id="toc">{nav}</ol></nav>
<pre id="headline">{escape(head_lines)}</pre>
{body}
<script>
// Number the sections and mark the one in view in the contents list.
document.querySelectorAll("section h2").forEach(function (h, i) {{ h.textContent = (i + 1) + ". " + h.textContent; }});
document.body.dataset.rendered = String(document.querySelectorAll("svg.chart").length);
</script>
</body></html>
"""


def write_report(con: Any, *, run_id: str = "", schema: str = "marts") -> tuple[Path, list[str]]:
    """Render the report from the released marts; returns its path and the headline lines."""
    data = load(con, schema)
    out_dir = config.paths().reports
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"journeymart_report_{data.as_of or 'empty'}.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render(data, run_id=run_id), encoding="utf-8")
    tmp.replace(path)  # readers never see half a report
    shutil.copyfile(path, out_dir / "latest.html")
    return path, headline(data)

