"""E-mail service provider: campaign sends and Mailchimp-style recipient activity."""

from __future__ import annotations

from journeymart.parsers.base import Parsed, parse_csv
from journeymart.registry import Channel, Entity

CAMPAIGN_FIELDS = {c: c for c in (
    "campaign_id", "campaign_name", "subject_line", "list_id", "send_time", "emails_sent",
    "send_cost", "currency",
)}

# `email_address` is the raw address (PII): it stays under its native name for the loader
# to hash into email_hash.
ACTIVITY_FIELDS = {
    "campaign_id": "campaign_id",
    "email_address": "email_address",
    "action": "action",
    "timestamp": "occurred_at",
    "url": "url",
}


def parse_campaigns(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, CAMPAIGN_FIELDS, tz=channel.timezone)


def parse_recipient_activity(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    # Timestamps carry "Z"; the zone only matters for a naive value, read as the account's.
    return parse_csv(data, name, entity, ACTIVITY_FIELDS, tz=channel.timezone)
