"""Webinars (Zoom-style summary and registration/attendee reports; naive account-zone times)."""

from __future__ import annotations

from journeymart.parsers.base import Parsed, parse_csv
from journeymart.registry import Channel, Entity

SESSION_FIELDS = {
    "Webinar ID": "webinar_id",
    "Topic": "topic",
    "Start Time": "start_time",
    "Duration (Minutes)": "duration_minutes",
    "# Registered": "registrants",
    "# Attended": "attendees",
    "Platform Cost": "platform_cost",
    "Currency": "currency",
}

# First/Last Name are PII the warehouse has no use for: not mapped, so never loaded.
REGISTRANT_FIELDS = {
    "Webinar ID": "webinar_id",
    "Email": "email",
    "Registration Time": "registration_time",
    "Source": "source",
    "Attended": "attended",  # Yes/No
    "Join Time": "join_time",
    "Leave Time": "leave_time",
    "Time in Session (minutes)": "time_in_session_minutes",
}


def parse_sessions(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, SESSION_FIELDS, tz=channel.timezone)


def parse_registrants(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, REGISTRANT_FIELDS, tz=channel.timezone)
