"""TV / radio / print: agency invoices by flight (US dates, thousands-grouped amounts)."""

from __future__ import annotations

from journeymart.parsers.base import Parsed, date_cast, parse_csv
from journeymart.registry import Channel, Entity

FIELDS = {
    "Invoice No": "invoice_number",
    "Invoice Date": "invoice_date",
    "Agency": "agency",
    "Media Type": "media_type",
    "Market": "market",
    "Station/Publication": "vehicle",
    "Flight Start": "flight_start",
    "Flight End": "flight_end",
    "Spots": "spots",
    "GRPs": "grps",
    "Gross Amount": "gross_amount",
    "Agency Commission": "agency_commission",
    "Net Amount": "net_amount",
    "Currency": "currency",
}

# MM/DD/YYYY; ISO accepted too so a re-saved sheet does not fail. Money like "12,345.00" is
# handled by the shared decimal cast (strict thousands grouping only).
US_DATE = date_cast("%m/%d/%Y", "%Y-%m-%d")
CASTS = {c: US_DATE for c in ("invoice_date", "flight_start", "flight_end")}


def parse_agency_invoices(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, FIELDS, tz=channel.timezone, casts=CASTS)
