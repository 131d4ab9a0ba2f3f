"""TikTok Ads: Business API /report/integrated/get response (daily or hourly rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from journeymart.parsers.base import (
    Parsed,
    StructuralError,
    finish,
    json_list,
    json_records,
    load_json,
    read_text,
    to_local_timestamp,
    to_str,
)
from journeymart.registry import Channel, Entity

METRICS = ("ad_name", "adgroup_name", "campaign_id", "campaign_name", "spend", "impressions",
           "clicks", "reach", "conversion")


def parse_ad_reports(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    doc = load_json(read_text(data, name))
    # The API answers HTTP 200 with a non-zero code on errors; such a body is not a report.
    if isinstance(doc, dict) and doc.get("code") not in (0, None):
        raise StructuralError(f"TikTok API error response: code {doc.get('code')}, "
                              f"message {doc.get('message')!r}")
    items = json_list(doc, "data", "list")

    def extract(row: dict[str, Any]) -> dict[str, Any]:
        dims = row.get("dimensions") if isinstance(row.get("dimensions"), dict) else {}
        metrics = row.get("metrics") if isinstance(row.get("metrics"), dict) else {}
        stat = dims.get("stat_time_day", dims.get("stat_time_hour"))
        # Wall-clock time in the advertiser's zone: stays naive, the zone goes beside it.
        stat_time = to_local_timestamp(stat)
        values = {m: metrics.get(m) for m in METRICS}
        values |= {
            "stat_time": stat_time,
            "stat_date": stat_time.date() if isinstance(stat_time, datetime) else stat_time,
            # The hourly shape puts advertiser_id beside dimensions; daily may put it inside.
            "advertiser_id": row.get("advertiser_id", dims.get("advertiser_id", metrics.get("advertiser_id"))),
            "account_timezone": channel.timezone,
            "ad_id": dims.get("ad_id"),
            # Reports without a currency metric (or with "-") are in the account currency.
            "currency": to_str(metrics.get("currency")) or channel.currency,
        }
        return values

    records, notes = json_records(entity, items, extract, tz=channel.timezone)
    return finish(entity, records, len(items), notes)
