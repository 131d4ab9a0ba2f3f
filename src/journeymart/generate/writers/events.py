"""In-person events: finance's cost export after each event (in the event's currency) and the
badge scanner's lead export per event day (scan times with the venue's UTC offset)."""

from __future__ import annotations

from journeymart.generate import catalog as cat
from journeymart.generate.activity import Day
from journeymart.generate.timefmt import local_iso
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import money

COSTS_HEADER = ("cost_line_id", "event_id", "event_name", "city", "start_date", "end_date", "cost_category",
                "amount", "currency")
SCANS_HEADER = ("Event ID", "Badge ID", "Scanned At", "Email", "Company", "Job Title")


def write(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    rows, spend = [], {}
    for e in (e for e in ctx.plan.events if e.delivery_day == day.index):
        for line_id, category, per_day in e.cost_lines:
            amount = per_day * e.days  # one cost per event, spread evenly over its days
            spend[e.currency] = spend.get(e.currency, 0) + amount
            rows.append([line_id, e.event_id, e.name, e.city, ctx.date(e.start).isoformat(),
                         ctx.date(e.end).isoformat(), category, money(amount), e.currency])
    ctx.landing.csv("events", "event_costs", d, f"event_costs_{d.isoformat()}.csv", COSTS_HEADER, rows,
                    spend=spend)

    scans = day.lead_scans
    rows = []
    for k, p in enumerate(scans.person.tolist()):
        e = scans.event[k]
        stamp = local_iso(scans.at_s[k:k + 1], e.timezone)[0]
        rows.append([e.event_id, scans.badge[k], stamp, ctx.people.email[p],
                     cat.COMPANIES[int(scans.company[k])], cat.JOB_TITLES[int(scans.title[k])]])
    rows.sort(key=lambda r: (r[0], r[2], r[1]))
    ctx.landing.csv("events", "lead_scans", d, f"lead_scans_{d.isoformat()}.csv", SCANS_HEADER, rows)
