"""Content production: AP ledger lines posted that day; each covers its asset's period."""

from __future__ import annotations

from journeymart.generate.activity import Day
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import money

HEADER = ("entry_id", "posting_date", "asset_id", "asset_title", "asset_type", "vendor", "period_start",
          "period_end", "target_stage", "amount", "currency")


def write(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    rows, spend = [], 0
    for a in (a for a in ctx.plan.assets if a.start == day.index):
        spend += a.amount_micros
        rows.append([a.entry_id, d.isoformat(), a.asset_id, a.title, a.asset_type, a.vendor,
                     ctx.date(a.start).isoformat(), ctx.date(a.end).isoformat(), a.target_stage,
                     money(a.amount_micros), "USD"])
    ctx.landing.csv("content", "production_costs", d, f"content_cost_ledger_{d.isoformat()}.csv", HEADER, rows,
                    spend={"USD": spend})
