"""Mobile measurement partner (AppsFlyer raw-data exports). Times are UTC by definition."""

from __future__ import annotations

from journeymart.parsers.base import Parsed, parse_csv
from journeymart.registry import Channel, Entity

# AppsFlyer raw data is documented as UTC whatever the app's zone, so naive times are UTC.
APPSFLYER_TZ = "UTC"

INSTALL_FIELDS = {
    "AppsFlyer ID": "appsflyer_id",
    "Customer User ID": "customer_user_id",
    "Install Time": "install_time",
    "Attributed Touch Type": "attributed_touch_type",
    "Attributed Touch Time": "attributed_touch_time",
    "Media Source": "media_source",
    "Channel": "channel",
    "Campaign": "campaign",
    "Platform": "platform",
    "Country Code": "country_code",
    "App ID": "app_id",
}

EVENT_FIELDS = {
    "AppsFlyer ID": "appsflyer_id",
    "Customer User ID": "customer_user_id",
    "Event Time": "event_time",
    "Event Name": "event_name",
    "Event Value": "event_value",  # JSON text as exported; kept verbatim
    "Event Revenue": "event_revenue",  # in the user's currency, not USD
    "Event Revenue Currency": "event_revenue_currency",
    "Media Source": "media_source",
    "Campaign": "campaign",
    "Platform": "platform",
    "App ID": "app_id",
}


def parse_installs(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, INSTALL_FIELDS, tz=APPSFLYER_TZ)


def parse_in_app_events(data: bytes, name: str, entity: Entity, channel: Channel) -> Parsed:
    return parse_csv(data, name, entity, EVENT_FIELDS, tz=APPSFLYER_TZ)
