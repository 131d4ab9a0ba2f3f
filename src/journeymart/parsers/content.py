"""Content production: AP ledger lines for content assets."""

from __future__ import annotations

from journeymart.parsers.base import Parsed, parse_csv
from journeymart.registry import Channel, Entity

FIELDS = {c: c for c in (
    "entry_id", "posting_date", "asset_id", "asset_title", "asset_type", "vendor",
    "period_start", "period_end", "target_stage", "amount", "currency",
)}


def parse_production_costs(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, FIELDS, tz=channel.timezone)
