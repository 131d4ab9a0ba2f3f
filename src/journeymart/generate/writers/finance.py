"""Finance: daily reference FX rates and the (wide) budget plan sheet in USD."""

from __future__ import annotations

from journeymart.generate.activity import Day
from journeymart.generate.fx import MICRO
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import money

FX_HEADER = ("rate_date", "base_currency", "quote_currency", "rate")


def write(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    rows = [[d.isoformat(), cur, "USD", money(ctx.fx.micro_rate(cur, day.index), places=6)]
            for cur in ctx.fx.currencies]
    assert ctx.fx.micro_rate("USD", day.index) == MICRO
    ctx.landing.csv("finance", "fx_rates", d, f"fx_rates_{d.isoformat()}.csv", FX_HEADER, rows)

    for issue in (b for b in ctx.plan.budget if b.day == day.index):
        header = ["Plan Version", "Channel", "Currency", *(m.strftime("%Y-%m") for m in issue.months)]
        rows = [[issue.version, channel, "USD", *(money(v) for v in amounts)]
                for channel, amounts in sorted(issue.amounts.items())]
        ctx.landing.csv("finance", "budget_plan", d, f"budget_plan_{d.isoformat()}.csv", header, rows)
