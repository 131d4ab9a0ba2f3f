"""Finance: daily reference FX rates and the (wide) budget plan sheet in USD."""

from __future__ import annotations

from datetime import timedelta

from journeymart.generate.activity import Day
from journeymart.generate.fx import MICRO
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import money

FX_HEADER = ("rate_date", "base_currency", "quote_currency", "rate")


def write(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    rows = [[d.isoformat(), cur, "USD", money(ctx.fx.micro_rate(cur, day.index), places=6)]
            for cur in ctx.fx.currencies]
    if day.index == 0:
        # The rate history starts the day before the data: app events are stamped in UTC,
        # and those in the first hours of day 0 fall on the day before in America/New_York,
        # the reporting zone, where they need a rate (the walk starts flat: day 0's rate).
        before = (d - timedelta(days=1)).isoformat()
        rows = [[before, cur, "USD", money(ctx.fx.micro_rate(cur, 0), places=6)]
                for cur in ctx.fx.currencies] + rows
    assert ctx.fx.micro_rate("USD", day.index) == MICRO
    ctx.landing.csv("finance", "fx_rates", d, f"fx_rates_{d.isoformat()}.csv", FX_HEADER, rows)

    for issue in (b for b in ctx.plan.budget if b.day == day.index):
        header = ["Plan Version", "Channel", "Currency", *(m.strftime("%Y-%m") for m in issue.months)]
        rows = [[issue.version, channel, "USD", *(money(v) for v in amounts)]
                for channel, amounts in sorted(issue.amounts.items())]
        ctx.landing.csv("finance", "budget_plan", d, f"budget_plan_{d.isoformat()}.csv", header, rows)
