"""Google Ads: campaign report exported with GAQL field names as the header."""

from __future__ import annotations

from journeymart.parsers.base import Parsed, micros_to_decimal, parse_csv
from journeymart.registry import Channel, Entity

FIELDS: dict[str, str | tuple[str, ...]] = {
    "segments.date": "date",
    "customer.id": "customer_id",
    "customer.descriptive_name": "account_name",
    "customer.currency_code": "currency_code",
    "customer.time_zone": "time_zone",
    "campaign.id": "campaign_id",
    "campaign.name": "campaign_name",
    "campaign.advertising_channel_type": "advertising_channel_type",
    "metrics.impressions": "impressions",
    "metrics.clicks": "clicks",
    # Money arrives in micros only: keep the exact integer and derive the Decimal from it.
    "metrics.cost_micros": ("cost_micros", "cost"),
    "metrics.conversions": "conversions",
    "metrics.conversions_value": "conversions_value",
}


def parse_campaign_stats(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, FIELDS, tz=channel.timezone,
                     casts={"cost": micros_to_decimal})
