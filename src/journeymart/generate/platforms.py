"""What the ad platforms and YouTube report for a day, given what the people did.

Platform numbers are aggregates the simulation does not track person by person: impressions
follow spend (at each line's CPM), clicks are the web sessions the line brought plus a few that
never loaded a page, conversions are the day's orders whose last click was the line.
"""

from __future__ import annotations

import numpy as np

from journeymart.generate import catalog as cat
from journeymart.generate.activity import AdRows, Orders, Sessions, YoutubeRows
from journeymart.generate.fx import MICRO

YOUTUBE_COUNTRIES = (("US", 0.6), ("DE", 0.18), ("GB", 0.15), ("CA", 0.07))
ORGANIC_VIEWS = 180.0  # views a day at the reference population, before promotion
PROMOTED_VIEW_COST = 0.05  # USD per view bought through the Google Ads video campaign

Video = tuple[str, int, float]  # (video id, length in seconds, share of the channel's views)


def make_videos(rng: np.random.Generator, n: int = 6) -> list[Video]:
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
    popularity = rng.dirichlet(np.ones(n) * 1.5)
    return [("".join(rng.choice(alphabet, 11)), int(rng.integers(90, 600)), float(p)) for p in popularity]


def _per_line(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Sum weights by AD_LINES index; `values` are TRAFFIC indices (non-ad traffic ignored)."""
    n = len(cat.AD_LINES)
    line = values - cat.AD_TRAFFIC_OFFSET
    return np.bincount(np.maximum(line, 0), weights=np.where(line >= 0, weights, 0), minlength=n)[:n]


def ad_rows(rng: np.random.Generator, ad_spend: np.ndarray, sessions: Sessions, orders: Orders) -> AdRows:
    n = len(cat.AD_LINES)
    sess = _per_line(sessions.traffic, np.ones(len(sessions))).astype(np.int64)
    live = ad_spend > 0
    cpm = np.array([a.cpm for a in cat.AD_LINES])
    impressions = np.rint(ad_spend / MICRO / cpm * 1000 * rng.lognormal(0, 0.1, n)).astype(np.int64)
    clicks = np.where(live, sess + rng.poisson(0.15 * sess + 0.3), 0)
    impressions = np.where(live, np.maximum(np.maximum(impressions, clicks), 1), 0)
    reach = np.where(live, np.maximum(1, (impressions / rng.uniform(1.3, 2.2, n)).astype(np.int64)), 0)
    conversions = _per_line(orders.traffic, np.ones(len(orders)))
    value = _per_line(orders.traffic, orders.total_c.astype(float))
    leads = np.where(live, rng.poisson(0.05 * clicks), 0)
    return AdRows(spend_micros=ad_spend.astype(np.int64), impressions=impressions, clicks=clicks.astype(np.int64),
                  reach=reach.astype(np.int64), conversions=conversions.astype(np.int64),
                  conversion_value_c=np.rint(value).astype(np.int64), leads=leads.astype(np.int64))


def youtube_rows(rng: np.random.Generator, videos: list[Video], scale: float, ad_spend: np.ndarray) -> YoutubeRows:
    video_line = next(k for k, a in enumerate(cat.AD_LINES) if a.type == "VIDEO")
    total = ORGANIC_VIEWS * scale * rng.lognormal(0.0, 0.2) + ad_spend[video_line] / MICRO / PROMOTED_VIEW_COST
    grid = [(v, sub, c) for v in range(len(videos)) for sub in (True, False) for c in range(len(YOUTUBE_COUNTRIES))]
    video = np.array([g[0] for g in grid])
    subscribed = np.array([g[1] for g in grid])
    country = np.array([g[2] for g in grid])
    expected = np.array([total * videos[v][2] * (0.15 if sub else 0.85) * YOUTUBE_COUNTRIES[c][1]
                         for v, sub, c in grid])
    views = rng.poisson(expected)
    if views.sum() == 0:
        views[int(np.argmax(expected))] = 1  # the channel never has a day without a view
    keep = views > 0
    video, subscribed, country, views = video[keep], subscribed[keep], country[keep], views[keep]
    length = np.array([videos[v][1] for v in video.tolist()])
    avg = (length * rng.uniform(0.3, 0.6, len(views))).astype(np.int64)
    return YoutubeRows(
        video=video, subscribed=subscribed, country=country, views=views,
        likes=rng.binomial(views, np.where(subscribed, 0.06, 0.03)), shares=rng.binomial(views, 0.004),
        comments=rng.binomial(views, 0.003), watch_s=views * avg,
        subscribers_gained=rng.binomial(views, np.where(subscribed, 0.0, 0.004)),
        subscribers_lost=rng.binomial(views, np.where(subscribed, 0.0005, 0.0)),
    )
