"""The people of the demo: identities and journey state, as flat numpy arrays.

Everyone simulated has a stable CRM id (`C000123`) and a raw e-mail from the start; before the
range begins about 40% are customers (retention, a few already advocates), a few percent are
mid-journey prospects, and the rest are not yet aware of the brand: the pool that paid media
draws new people from. Person 0 is always an app-using, subscribed customer so that even a tiny
population has someone to keep the daily exports non-empty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from journeymart.generate import catalog as cat
from journeymart.generate import rng as rngs

UNAWARE, AWARENESS, CONSIDERATION, PURCHASE, RETENTION, ADVOCACY = range(6)
STAGE_NAMES = ("unaware", "awareness", "consideration", "purchase", "retention", "advocacy")
NEVER = -(10**6)  # day index meaning "never"

# Traffic that brought pre-range people in (first touch), with weights.
PRE_RANGE_FIRST_TOUCH = ((cat.DIRECT, 0.3), (cat.ORGANIC, 0.3), (cat.BLOG, 0.1),
                         (cat.AD_TRAFFIC_OFFSET + 0, 0.15), (cat.AD_TRAFFIC_OFFSET + 4, 0.15))


@dataclass
class People:
    n: int
    customer_id: list[str]
    email: list[str]
    first_name: np.ndarray  # index into FIRST_NAMES
    last_name: np.ndarray
    country: np.ndarray  # index into COUNTRIES
    device: np.ndarray  # index into DEVICES
    stage: np.ndarray  # int8, UNAWARE..ADVOCACY
    aware_day: np.ndarray  # day index they became aware (negative: before the range)
    first_purchase_day: np.ndarray
    last_order_day: np.ndarray
    orders: np.ndarray
    last_order_id: np.ndarray  # int64, 0 = none
    first_traffic: np.ndarray  # TRAFFIC index of their first web visit, -1 = not yet
    first_seen_s: np.ndarray  # epoch seconds of that visit (GA4 user_first_touch_timestamp)
    pseudo_id: np.ndarray  # int64: the random half of the GA4 client id
    sessions: np.ndarray  # GA4 session counter
    subscribed: np.ndarray  # bool: on the e-mail list
    subscribed_day: np.ndarray
    installed: np.ndarray  # bool: has the app
    install_s: np.ndarray  # epoch seconds of install
    af_random: np.ndarray  # int64: the random half of the AppsFlyer id
    app_traffic: np.ndarray  # TRAFFIC index the install was attributed to
    ad_line: np.ndarray  # AD_LINES index that brought them in, -1 = none

    def full_name(self, i: int) -> tuple[str, str]:
        return (cat.FIRST_NAMES[self.first_name[i]].capitalize(),
                cat.LAST_NAMES[self.last_name[i]].capitalize())

    def appsflyer_id(self, i: int) -> str:
        return f"{self.install_s[i] * 1000 + (self.af_random[i] % 1000)}-{self.af_random[i]}"

    def stage_counts(self) -> dict[str, int]:
        counts = np.bincount(self.stage, minlength=len(STAGE_NAMES))
        return {name: int(c) for name, c in zip(STAGE_NAMES, counts, strict=True)}


def make_people(seed: int, n: int, start_epoch: int) -> People:
    rng = rngs.stream(seed, rngs.PEOPLE)
    n = max(int(n), 1)
    width = max(6, len(str(n)))
    first = rng.integers(0, len(cat.FIRST_NAMES), n).astype(np.int16)
    last = rng.integers(0, len(cat.LAST_NAMES), n).astype(np.int16)
    customer_id = [f"C{i + 1:0{width}d}" for i in range(n)]
    email = [f"{cat.FIRST_NAMES[f]}.{cat.LAST_NAMES[ln]}{i + 1}@example.com"
             for i, (f, ln) in enumerate(zip(first.tolist(), last.tolist(), strict=True))]
    country = rng.choice(len(cat.COUNTRIES), size=n, p=[c[3] for c in cat.COUNTRIES]).astype(np.int8)
    device = rng.choice(len(cat.DEVICES), size=n, p=[0.45, 0.25, 0.22, 0.08]).astype(np.int8)

    u = rng.random(n)
    stage = np.full(n, UNAWARE, np.int8)
    stage[u < 0.46] = CONSIDERATION
    stage[u < 0.43] = AWARENESS
    stage[u < 0.40] = RETENTION
    stage[u < 0.04] = ADVOCACY
    stage[0] = RETENTION
    known = stage > UNAWARE
    customer = stage >= PURCHASE

    aware_day = np.where(known, -rng.integers(1, 720, n), NEVER).astype(np.int32)
    prospect = known & ~customer
    aware_day[prospect] = -rng.integers(1, 25, int(prospect.sum()))
    first_purchase = np.where(customer, np.minimum(aware_day + rng.integers(1, 60, n), -1), NEVER)
    last_order = np.where(customer, -rng.integers(1, 240, n), NEVER).astype(np.int32)
    last_order = np.maximum(last_order, first_purchase).astype(np.int32)
    orders = np.where(customer, rng.integers(1, 7, n), 0).astype(np.int32)

    touch_idx, touch_w = zip(*PRE_RANGE_FIRST_TOUCH, strict=True)
    first_traffic = np.where(known, rng.choice(np.array(touch_idx), size=n, p=touch_w), -1).astype(np.int16)
    first_seen = np.where(known, start_epoch + aware_day.astype(np.int64) * 86400
                          + rng.integers(0, 86400, n), 0).astype(np.int64)

    subscribed = (customer & (rng.random(n) < 0.85)) | ((stage == CONSIDERATION) & (rng.random(n) < 0.4))
    subscribed[0] = True
    installed = customer & (rng.random(n) < 0.30)
    installed[0] = True
    install_s = np.where(installed, first_seen + rng.integers(86400, 200 * 86400, n), 0)
    install_s = np.where(installed, np.minimum(install_s, start_epoch - 3600), 0).astype(np.int64)

    return People(
        n=n, customer_id=customer_id, email=email, first_name=first, last_name=last, country=country,
        device=device, stage=stage, aware_day=aware_day, first_purchase_day=first_purchase.astype(np.int32),
        last_order_day=last_order, orders=orders, last_order_id=np.zeros(n, np.int64),
        first_traffic=first_traffic, first_seen_s=first_seen,
        pseudo_id=rng.integers(10**8, 2 * 10**9, n).astype(np.int64), sessions=np.where(
            known, rng.integers(1, 30, n), 0).astype(np.int32),
        subscribed=subscribed, subscribed_day=np.where(subscribed, -30, NEVER).astype(np.int32),
        installed=installed, install_s=install_s,
        af_random=rng.integers(10**18, 9 * 10**18, n, dtype=np.int64),
        app_traffic=np.where(installed, cat.DIRECT, -1).astype(np.int16),
        ad_line=np.full(n, -1, np.int16),
    )
