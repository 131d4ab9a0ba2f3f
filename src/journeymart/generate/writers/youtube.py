"""YouTube Reporting API bulk report `channel_basic_a2`: one row per video, subscription status
and country with views that day. No spend here: promotion is bought through Google Ads."""

from __future__ import annotations

from journeymart.generate import catalog as cat
from journeymart.generate.activity import Day
from journeymart.generate.platforms import YOUTUBE_COUNTRIES, Video
from journeymart.generate.writers.context import Context

HEADER = ("date", "channel_id", "video_id", "live_or_on_demand", "subscribed_status", "country_code", "views",
          "comments", "likes", "dislikes", "shares", "watch_time_minutes", "average_view_duration_seconds",
          "average_view_duration_percentage", "annotation_impressions", "subscribers_gained", "subscribers_lost")


def _tenths(numerator: int, denominator: int) -> str:
    """numerator / denominator with one decimal, rounded half up, in integer arithmetic."""
    t = (20 * numerator + denominator) // (2 * denominator)
    return f"{t // 10}.{t % 10}"


def write(ctx: Context, day: Day, videos: list[Video]) -> None:
    d = ctx.date(day.index)
    y = day.youtube
    rows = []
    for k in range(len(y.views)):
        video_id, length_s, _ = videos[int(y.video[k])]
        views, watch_s = int(y.views[k]), int(y.watch_s[k])
        rows.append([d.strftime("%Y%m%d"), cat.ACCOUNTS["youtube"]["id"], video_id, "on_demand",
                     "subscribed" if y.subscribed[k] else "not_subscribed", YOUTUBE_COUNTRIES[int(y.country[k])][0],
                     views, int(y.comments[k]), int(y.likes[k]), 0, int(y.shares[k]), _tenths(watch_s, 60),
                     _tenths(watch_s, views), _tenths(watch_s * 100, views * length_s), 0,
                     int(y.subscribers_gained[k]), int(y.subscribers_lost[k])])
    rows.sort(key=lambda r: (r[2], r[4], r[5]))
    ctx.landing.csv("youtube", "channel_basic", d, f"channel_basic_a2_{d.isoformat()}.csv", HEADER, rows)
