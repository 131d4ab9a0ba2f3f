"""In-person events: finance cost lines and badge-scanner lead exports."""

from __future__ import annotations

from journeymart.parsers.base import Parsed, parse_csv
from journeymart.registry import Channel, Entity

COST_FIELDS = {c: c for c in (
    "cost_line_id", "event_id", "event_name", "city", "start_date", "end_date",
    "cost_category", "amount", "currency",
)}

SCAN_FIELDS = {
    "Event ID": "event_id",
    "Badge ID": "badge_id",
    "Scanned At": "scanned_at",
    "Email": "email",
    "Company": "company",
    "Job Title": "job_title",
}


def parse_event_costs(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, COST_FIELDS, tz=channel.timezone)


def parse_lead_scans(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, SCAN_FIELDS, tz=channel.timezone)
