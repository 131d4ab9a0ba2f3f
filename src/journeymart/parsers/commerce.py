"""Commerce and CRM: Shopify orders, Zendesk tickets, referrals and product reviews."""

from __future__ import annotations

from typing import Any

from journeymart.parsers.base import (
    Parsed,
    dig,
    finish,
    json_list,
    json_records,
    load_json,
    parse_csv,
    read_text,
)
from journeymart.registry import Channel, Entity

ORDER_FIELDS = {
    "Id": "order_id",
    "Name": "order_name",
    "Email": "email",
    "Financial Status": "financial_status",
    "Currency": "currency",
    "Subtotal": "subtotal",
    "Shipping": "shipping",
    "Taxes": "taxes",
    "Total": "total",
    "Discount Code": "discount_code",
    "Created at": "created_at",  # "2026-01-05 14:03:11 -0500": carries its offset
    "Source": "source_name",
    "Customer Id": "customer_id",
}

REFERRAL_FIELDS = {c: c for c in (
    "referral_id", "referred_at", "referrer_customer_id", "referrer_email", "referee_email",
    "referral_code",
)}


def parse_orders(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, ORDER_FIELDS, tz=channel.timezone)


def parse_referrals(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, REFERRAL_FIELDS, tz=channel.timezone)


def _ticket(t: dict[str, Any]) -> dict[str, Any]:
    # satisfaction_rating is an object ({"score": "good"}) or null when never offered.
    return {
        "ticket_id": t.get("id"),
        "created_at": t.get("created_at"),
        "requester_email": dig(t, "requester", "email"),
        "customer_id": t.get("external_id"),
        "subject": t.get("subject"),
        "status": t.get("status"),
        "via_channel": dig(t, "via", "channel"),
        "satisfaction_rating": dig(t, "satisfaction_rating", "score"),
    }


def _review(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "review_id": r.get("id"),
        "created_at": r.get("createdAt"),
        "customer_id": dig(r, "consumer", "customerId"),
        "reviewer_email": dig(r, "consumer", "email"),
        "order_id": r.get("orderId"),
        "rating": r.get("stars"),
        "title": r.get("title"),
    }


def parse_support_tickets(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    items = json_list(load_json(read_text(data, name)), "tickets")
    records, notes = json_records(entity, items, _ticket, tz=channel.timezone)
    return finish(entity, records, len(items), notes)


def parse_reviews(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    items = json_list(load_json(read_text(data, name)), "reviews")
    records, notes = json_records(entity, items, _review, tz=channel.timezone)
    return finish(entity, records, len(items), notes)
