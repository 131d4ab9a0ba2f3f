"""One simulated day's activity, as column arrays: the hand-off from simulation to writers.

Times are int64 epoch seconds (web sessions: microseconds). Person columns index `People`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from journeymart.generate.plan import Event, Webinar

ORDER_SOURCES = ("web", "iphone", "android")
EMAIL_ACTIONS = ("sent", "open", "click", "bounce", "unsubscribe")
APP_EVENTS = ("af_login", "af_content_view", "af_add_to_cart", "af_purchase")


@dataclass
class Sessions:
    """One GA4 web session per row (at most one per person and day)."""

    person: np.ndarray
    traffic: np.ndarray  # TRAFFIC index
    email_campaign: np.ndarray  # index into the day's e-mail campaigns (traffic EMAIL), else -1
    start_us: np.ndarray
    pages: np.ndarray
    logged_in: np.ndarray  # bool
    new_user: np.ndarray  # bool: first_visit
    session_number: np.ndarray
    order: np.ndarray  # index into the day's orders bought in this session, else -1

    def __len__(self) -> int:
        return len(self.person)


@dataclass
class Orders:
    order_id: np.ndarray
    order_number: np.ndarray
    person: np.ndarray
    created_s: np.ndarray
    subtotal_c: np.ndarray  # cents, USD
    shipping_c: np.ndarray
    tax_c: np.ndarray
    discount: np.ndarray  # index into DISCOUNT_CODES
    source: np.ndarray  # index into ORDER_SOURCES
    first: np.ndarray  # bool: the person's first order ever
    traffic: np.ndarray  # TRAFFIC index of the session it came through (last click)

    @property
    def total_c(self) -> np.ndarray:
        return self.subtotal_c + self.shipping_c + self.tax_c

    def __len__(self) -> int:
        return len(self.order_id)


@dataclass(frozen=True)
class EmailCampaign:
    campaign_id: str
    name: str
    subject: str
    send_s: int
    emails_sent: int
    cost_micros: int


@dataclass
class EmailActivity:
    campaign: np.ndarray  # index into the day's campaigns
    person: np.ndarray
    action: np.ndarray  # index into EMAIL_ACTIONS
    at_s: np.ndarray


@dataclass
class Installs:
    person: np.ndarray
    install_s: np.ndarray
    touch_s: np.ndarray  # 0 = organic (no attributed touch)
    traffic: np.ndarray


@dataclass
class AppEvents:
    person: np.ndarray
    at_s: np.ndarray
    event: np.ndarray  # index into APP_EVENTS
    order: np.ndarray  # index into the day's orders for af_purchase, else -1


@dataclass
class AdRows:
    """Per AD_LINES row: what the platform reports for the day."""

    spend_micros: np.ndarray
    impressions: np.ndarray
    clicks: np.ndarray
    reach: np.ndarray
    conversions: np.ndarray
    conversion_value_c: np.ndarray  # USD cents; writers convert to the account currency
    leads: np.ndarray


@dataclass
class WebinarDelivery:
    webinar: Webinar
    person: np.ndarray
    registered_s: np.ndarray
    source: np.ndarray  # index into REGISTRATION_SOURCES
    attended: np.ndarray
    join_s: np.ndarray
    leave_s: np.ndarray


REGISTRATION_SOURCES = ("email", "website", "linkedin")


@dataclass
class LeadScans:
    event: list[Event]  # per row
    person: np.ndarray
    badge: list[str]
    at_s: np.ndarray
    company: np.ndarray
    title: np.ndarray


@dataclass
class Tickets:
    ticket_id: np.ndarray
    person: np.ndarray
    at_s: np.ndarray
    subject: np.ndarray
    status: np.ndarray
    via: np.ndarray
    rating: np.ndarray


@dataclass
class Referrals:
    referral_id: np.ndarray
    referrer: np.ndarray
    referee: np.ndarray
    at_s: np.ndarray


@dataclass
class Reviews:
    review_key: np.ndarray  # int64 turned into a hex id by the writer
    person: np.ndarray
    order_id: np.ndarray
    at_s: np.ndarray
    stars: np.ndarray


@dataclass
class YoutubeRows:
    video: np.ndarray
    subscribed: np.ndarray  # bool
    country: np.ndarray  # index into YOUTUBE_COUNTRIES
    views: np.ndarray
    likes: np.ndarray
    shares: np.ndarray
    comments: np.ndarray
    watch_s: np.ndarray  # total seconds watched
    subscribers_gained: np.ndarray
    subscribers_lost: np.ndarray


@dataclass
class Day:
    index: int
    fx_micro: dict[str, int]  # USD per unit, micro-rate
    sessions: Sessions
    orders: Orders
    email_campaigns: list[EmailCampaign]
    email_activity: EmailActivity
    installs: Installs
    app_events: AppEvents
    ads: AdRows
    youtube: YoutubeRows
    lead_scans: LeadScans
    tickets: Tickets
    referrals: Referrals
    reviews: Reviews
    webinars_delivered: list[WebinarDelivery] = field(default_factory=list)
    new_people: dict[str, int] = field(default_factory=dict)
    email_spend_micros: int = 0
    customer_engagement: dict[str, int] = field(default_factory=dict)

