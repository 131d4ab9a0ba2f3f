"""YouTube Reporting API bulk report channel_basic_a2 (date as YYYYMMDD)."""

from __future__ import annotations

from journeymart.parsers.base import Parsed, parse_csv
from journeymart.registry import Channel, Entity

# Report columns the warehouse does not keep (dislikes, annotation_impressions, ...) are
# simply not mapped.
FIELDS = {c: c for c in (
    "date", "channel_id", "video_id", "live_or_on_demand", "subscribed_status", "country_code",
    "views", "likes", "shares", "comments", "watch_time_minutes",
    "average_view_duration_seconds", "subscribers_gained", "subscribers_lost",
)}


def parse_channel_basic(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, FIELDS, tz=channel.timezone)
