"""TV / radio / print: the agency's invoice per flight, on the invoice date after the flight.
US dates (MM/DD/YYYY) and amounts with thousands separators, as agencies send them."""

from __future__ import annotations

from journeymart.generate.activity import Day
from journeymart.generate.catalog import AGENCY
from journeymart.generate.writers.context import Context
from journeymart.generate.writers.files import money

HEADER = ("Invoice No", "Invoice Date", "Agency", "Media Type", "Market", "Station/Publication", "Flight Start",
          "Flight End", "Spots", "GRPs", "Gross Amount", "Agency Commission", "Net Amount", "Currency")


def write(ctx: Context, day: Day) -> None:
    d = ctx.date(day.index)
    rows, spend = [], 0
    for f in (f for f in ctx.plan.flights if f.invoice_day == day.index):
        gross, net = f.gross_micros, f.net_micros
        spend += net
        rows.append([f.invoice_no, d.strftime("%m/%d/%Y"), AGENCY, f.media_type, f.market, f.vehicle,
                     ctx.date(f.start).strftime("%m/%d/%Y"), ctx.date(f.end).strftime("%m/%d/%Y"), f.spots,
                     f"{f.grps_tenths // 10}.{f.grps_tenths % 10}", money(gross, thousands=True),
                     money(gross - net, thousands=True), money(net, thousands=True), "USD"])
    ctx.landing.csv("offline", "agency_invoices", d, f"media_invoice_{d.isoformat()}.csv", HEADER, rows,
                    spend={"USD": spend})
