"""Native export writers, one module per channel family."""

from __future__ import annotations

from journeymart.generate.activity import Day
from journeymart.generate.platforms import Video
from journeymart.generate.writers import (
    ads,
    commerce,
    content,
    email,
    events,
    finance,
    ga4,
    mmp,
    offline,
    webinars,
    youtube,
)
from journeymart.generate.writers.context import Context


def write_day(ctx: Context, day: Day, videos: list[Video]) -> None:
    """Every export whose partition date is this day."""
    ads.write(ctx, day)
    email.write(ctx, day)
    ga4.write(ctx, day)
    mmp.write(ctx, day)
    youtube.write(ctx, day, videos)
    webinars.write(ctx, day)
    events.write(ctx, day)
    content.write(ctx, day)
    offline.write(ctx, day)
    commerce.write(ctx, day)
    finance.write(ctx, day)


__all__ = ["Context", "write_day"]
