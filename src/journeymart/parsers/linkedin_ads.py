"""LinkedIn Ads: Campaign Manager CSV export, or the Marketing API /adAnalytics JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from journeymart.parsers.base import (
    Parsed,
    date_cast,
    dig,
    finish,
    json_list,
    json_records,
    load_json,
    parse_csv,
    read_text,
)
from journeymart.registry import Channel, Entity

HEADER_FIRST_CELL = "Start Date (in UTC)"  # title rows come before this line

FIELDS = {
    HEADER_FIRST_CELL: "date",
    "Account Name": "account_name",
    "Currency": "currency",
    "Campaign Group Name": "campaign_group_name",
    "Campaign ID": "campaign_id",
    "Campaign Name": "campaign_name",
    "Campaign Type": "campaign_type",
    "Total Spent": "total_spent",
    "Impressions": "impressions",
    "Clicks": "clicks",
    "Conversions": "conversions",
    "Leads": "leads",
}

CSV_CASTS = {"date": date_cast("%m/%d/%Y", "%Y-%m-%d")}  # M/D/YYYY in the export


def parse_campaign_analytics(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    text = read_text(data, name)
    if text.lstrip().startswith("{"):
        return _parse_api_json(text, entity, channel)
    return parse_csv(data, name, entity, FIELDS, tz=channel.timezone, casts=CSV_CASTS,
                     header_startswith=HEADER_FIRST_CELL)


def _api_date(start: Any) -> date | str | None:
    if not isinstance(start, dict):
        return None
    try:
        return date(int(start["year"]), int(start["month"]), int(start["day"]))
    except (KeyError, TypeError, ValueError):
        return str(start)  # kept visible so the type check names the bad value


def _campaign_id(element: dict[str, Any]) -> Any:
    pivots = element.get("pivotValues") or [element.get("pivotValue")]
    urn = pivots[0] if isinstance(pivots, list) and pivots else None
    # "urn:li:sponsoredCampaign:1111" -> "1111"
    return urn.rsplit(":", 1)[-1] if isinstance(urn, str) else urn


def _parse_api_json(text: str, entity: Entity, channel: Channel) -> Parsed:
    items = json_list(load_json(text), "elements")

    def extract(el: dict[str, Any]) -> dict[str, Any]:
        # Local-currency cost is in the account's currency; costInUsd alone means USD.
        if "costInLocalCurrency" in el:
            spent, currency = el.get("costInLocalCurrency"), channel.currency
        elif "costInUsd" in el:
            spent, currency = el.get("costInUsd"), "USD"
        else:
            spent, currency = None, channel.currency
        return {
            "date": _api_date(dig(el, "dateRange", "start")),
            "currency": currency,
            "campaign_id": _campaign_id(el),
            "total_spent": spent,
            "impressions": el.get("impressions"),
            "clicks": el.get("clicks"),
            "conversions": el.get("externalWebsiteConversions"),
            "leads": el.get("oneClickLeads"),
        }

    # date is built here already; the date cast passes date objects through unchanged.
    records, notes = json_records(entity, items, extract, tz=channel.timezone)
    notes.append("API JSON: account, campaign group and campaign names are not in this shape")
    return finish(entity, records, len(items), notes)
