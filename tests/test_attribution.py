"""Multi-touch attribution (mart_attribution and friends) on a real demo warehouse.

Once per module: the demo landing zone (conftest) is loaded by the real loader into a private
JOURNEYMART_HOME, `dbt build` builds the attribution models with everything upstream (models
and seeds: the upstream models' own tests belong to tests/test_dbt.py and would double this
module's time), then `dbt test` runs the attribution models' data tests, singular tests and
unit tests. The tests then check the conservation laws
(credits sum to 1 per conversion and model, conversions = commerce orders), recompute the
paths and the rule-based models in Python from fct_touchpoints, check the unrolled Markov
absorption against numpy's exact linear solve, and show that ad platforms' self-reported
conversions cannot reach the attribution sums.
"""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from conftest import DEMO, load_landing
from test_dbt import dbt  # the one in-process dbt runner of the test suite

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt")]

PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
MODELS = ("first_touch", "last_touch", "linear", "position_based", "time_decay", "markov")
SELECTION = ("+mart_attribution", "+mart_platform_reported_conversions", "+dim_customers", "+fct_touchpoints")
ATTRIBUTION_MODELS = ("int_attribution__conversions", "int_attribution__touch_paths",
                      "int_attribution__path_transitions", "int_attribution__markov_transitions",
                      "int_attribution__markov_removal_effects", "mart_attribution",
                      "mart_platform_reported_conversions")
LOOKBACK = timedelta(days=30)  # var('attribution_lookback_days') default
AD_PLATFORMS = {"google_ads", "meta_ads", "linkedin_ads", "tiktok_ads"}


def results(run: Any) -> dict[str, str]:
    return {r.node.name: str(r.status) for r in (getattr(run.result, "results", None) or [])
            if r.node.resource_type != "operation"}


def summary(run: Any) -> str:
    bad = {r.node.name: f"{r.status}: {r.message}" for r in (getattr(run.result, "results", None) or [])
           if str(r.status) not in ("success", "pass")}
    return f"success={run.success} exception={run.exception!r} not passing={bad}"


def query(db: Path, sql: str) -> list[tuple]:
    # read-write like dbt-duckdb's own connection, which stays open in this process
    with duckdb.connect(str(db)) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, demo_landing: Path) -> tuple[Path, Any]:
    home = tmp_path_factory.mktemp("attribution") / "jm"
    load_landing(home, DEMO["start"], DEMO["days"], "attribution-test", landing=demo_landing)
    build = dbt(home, "build", "--select", *SELECTION, "--resource-type", "model", "--resource-type", "seed")
    assert build.success, summary(build)
    return home, dbt(home, "test", "--select", *ATTRIBUTION_MODELS)


@pytest.fixture(scope="module")
def db(built) -> Path:
    home, run = built
    assert run.success, summary(run)
    return home / "warehouse.duckdb"


def credit_rows(db: Path) -> list[dict[str, Any]]:
    cols = ["conversion_id", "customer_key", "converted_at", "conversion_type", "revenue_usd", "channel_id",
            "touches_in_window", *(f"credit_{m}" for m in MODELS), *(f"attributed_revenue_{m}_usd" for m in MODELS)]
    return [dict(zip(cols, row, strict=True))
            for row in query(db, f"select {', '.join(cols)} from marts.mart_attribution")]


def test_data_tests_and_unit_tests_pass(built) -> None:
    _, run = built
    assert run.success, summary(run)
    done = results(run)
    assert set(done.values()) <= {"success", "pass"}, summary(run)
    assert len(done) > 40
    for node in ("assert_attribution_credits_sum_to_one",
                 "assert_attribution_conversions_are_commerce_orders", "attribution_credits_by_hand",
                 "markov_removal_effects_by_hand"):
        assert node in done, f"{node} did not run"


def test_credits_sum_to_one_per_conversion_and_model(db: Path) -> None:
    rows = credit_rows(db)
    assert rows
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    revenue: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in rows:
        for m in MODELS:
            assert Decimal(0) <= r[f"credit_{m}"] <= Decimal(1), r
            sums[r["conversion_id"], m] += r[f"credit_{m}"]
            revenue[r["conversion_id"], m] += r[f"attributed_revenue_{m}_usd"]
    order_revenue = {r["conversion_id"]: r["revenue_usd"] for r in rows}
    assert {k: v for k, v in sums.items() if v != 1} == {}
    assert {k: v for k, v in revenue.items() if v != order_revenue[k[0]]} == {}
    conversions = len(order_revenue)
    for m in MODELS:
        total = sum((r[f"credit_{m}"] for r in rows), Decimal(0))
        assert total == conversions, (m, total)


def test_conversions_are_the_commerce_orders_once(db: Path) -> None:
    orders = [str(o) for (o,) in query(db, "select order_id from raw.commerce__orders")]
    conversions = [c for (c,) in query(db, "select distinct conversion_id from marts.mart_attribution")]
    assert len(orders) == len(set(orders)) > 0
    assert sorted(conversions) == sorted(orders)
    truth = json.loads((db.parent / "landing" / "_truth.json").read_text())
    assert len(conversions) == truth["orders"]["total"]


def test_first_and_repeat_purchases(db: Path) -> None:
    """first_purchase = the customer's earliest order, unless dim_customers knows them as a
    customer from before the data; every later order is a repeat (checked from raw orders)."""
    conv = {c: (k, at, t) for c, k, at, t in query(
        db, "select distinct conversion_id, customer_key, converted_at, conversion_type from marts.mart_attribution")}
    before_data = dict(query(db, "select customer_key, bought_before_data from marts.dim_customers"))
    earliest: dict[str, tuple[datetime, str]] = {}
    for c, (k, at, _) in conv.items():
        earliest[k] = min(earliest.get(k, (at, c)), (at, c))
    for c, (k, _, kind) in conv.items():
        expected = "first_purchase" if earliest[k][1] == c and not before_data[k] else "repeat_purchase"
        assert kind == expected, (c, k)
    by_raw_customer: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for o, cust, at in query(db, "select order_id, customer_id, created_at from raw.commerce__orders "
                                 "where customer_id is not null"):
        by_raw_customer[cust].append((at, str(o)))
    later_orders = [o for orders in by_raw_customer.values() for _, o in sorted(orders)[1:]]
    assert later_orders, "the demo should hold customers with several orders"
    assert all(conv[o][2] == "repeat_purchase" for o in later_orders)
    kinds = [t for _, _, t in conv.values()]
    assert "first_purchase" in kinds and "repeat_purchase" in kinds


def test_paths_and_rule_based_credits_recomputed_from_fct_touchpoints(db: Path) -> None:
    """Lookback paths and first/last/linear credits rebuilt in Python from the published
    touch fact: marketing touches of the customer strictly before the order, within 30 days."""
    marketing = {c for (c,) in query(db, "select channel_id from marts.dim_channels where is_marketing_channel")}
    touches: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    orders = []
    for tp, kind, at, cust, ch, order in query(
            db, "select touchpoint_id, touch_type, touched_at, customer_key, channel_id, order_id "
                "from marts.fct_touchpoints"):
        if kind == "order":
            orders.append((order, cust, at))
        elif ch in marketing:
            touches[cust].append((at, tp, ch))
    expected: dict[tuple[str, str], dict[str, Decimal]] = {}
    for order, cust, at in orders:
        path = [ch for t_at, _, ch in sorted(touches[cust]) if at - LOOKBACK <= t_at < at]
        if not path:
            expected[order, "direct"] = {"touches": Decimal(0), "first_touch": Decimal(1), "last_touch": Decimal(1),
                                         "linear": Decimal(1)}
            continue
        for i, ch in enumerate(path):
            cell = expected.setdefault((order, ch), defaultdict(Decimal))
            cell["touches"] += 1
            cell["first_touch"] += i == 0
            cell["last_touch"] += i == len(path) - 1
            cell["linear"] += Decimal(1) / len(path)
    actual = {(r["conversion_id"], r["channel_id"]): r for r in credit_rows(db)}
    assert set(actual) == set(expected)
    assert any(k[1] != "direct" for k in actual), "the demo should hold touched conversions"
    for key, exp in expected.items():
        row = actual[key]
        assert row["touches_in_window"] == exp["touches"], key
        assert row["credit_first_touch"] == exp["first_touch"], key
        assert row["credit_last_touch"] == exp["last_touch"], key
        assert abs(row["credit_linear"] - exp["linear"]) <= Decimal("1e-9"), key


def absorption(transitions: list[tuple[str, str, int]], removed: str | None = None) -> float:
    """P(absorbed in '(conversion)' from '(start)'), exactly: solve (I - Q) x = R."""
    out_of: dict[str, int] = defaultdict(int)
    for f, _, n in transitions:
        out_of[f] += n
    transient = sorted({f for f, _, _ in transitions} | {t for _, t, _ in transitions}
                       - {"(conversion)", "(null)"})
    at = {s: i for i, s in enumerate(transient)}
    q, r = np.zeros((len(at), len(at))), np.zeros(len(at))
    for f, t, n in transitions:
        if t == "(conversion)":
            r[at[f]] += n / out_of[f]
        elif t not in ("(null)", removed):
            q[at[f], at[t]] += n / out_of[f]
    return float(np.linalg.solve(np.eye(len(at)) - q, r)[at["(start)"]])


def test_markov_unrolled_squarings_match_the_exact_linear_solve(db: Path) -> None:
    transitions = [(f, t, int(n)) for f, t, n in query(
        db, "select from_state, to_state, transitions from intermediate.int_attribution__markov_transitions")]
    effects = query(db, "select channel_id, removal_effect, conversion_probability, "
                        "conversion_probability_without_channel, unabsorbed_probability "
                        "from intermediate.int_attribution__markov_removal_effects")
    channels = {f for f, _, _ in transitions} - {"(start)"}
    assert {c for c, *_ in effects} == channels and len(channels) >= 3
    base = absorption(transitions)
    assert 0 < base < 1
    # a cycle between channels is what makes a fixed number of steps an approximation
    assert any(f in channels and t in channels for f, t, _ in transitions)
    for channel, effect, p, p_without, unabsorbed in effects:
        without = absorption(transitions, removed=channel)
        assert abs(float(p) - base) < 1e-9, channel
        assert abs(float(p_without) - without) < 1e-9, channel
        assert abs(float(effect) - (1 - without / base)) < 1e-9, channel
        assert abs(unabsorbed) < 1e-9, channel
    # credit_markov follows the removal effects: per conversion, proportional to them
    re = {c: float(e) for c, e, *_ in effects}
    by_conversion: dict[str, dict[str, float]] = defaultdict(dict)
    for r in credit_rows(db):
        if r["channel_id"] != "direct":
            by_conversion[r["conversion_id"]][r["channel_id"]] = float(r["credit_markov"])
    for conversion, credits in by_conversion.items():
        total = sum(re[c] for c in credits)
        for c, credit in credits.items():
            expected = re[c] / total if total > 0 else 1 / len(credits)
            assert abs(credit - expected) < 1e-8, (conversion, c)


def test_platform_reported_conversions_never_enter_attribution(built, db: Path) -> None:
    home, _ = built
    manifest = json.loads((home / "target" / "manifest.json").read_text())
    nodes = {**manifest["nodes"], **manifest["sources"]}
    upstream, todo = set(), ["model.journeymart.mart_attribution"]
    while todo:
        for parent in nodes[todo.pop()].get("depends_on", {}).get("nodes", []):
            if parent not in upstream:
                upstream.add(parent)
                todo.append(parent)
    assert "model.journeymart.mart_platform_reported_conversions" not in upstream
    # the attribution chain reads touches and channels only (ad platforms' staging is further
    # upstream for campaign names, never for their conversion counts: see the inflation below)
    chain = {f"model.journeymart.{m}" for m in ATTRIBUTION_MODELS[:6]}
    parents = {p for n in chain for p in nodes[n]["depends_on"]["nodes"]} - chain
    assert parents == {"model.journeymart.int_touchpoints__stage_assigned", "model.journeymart.dim_channels"}

    # The comparison mart shows the warehouse's credits per channel and day beside the claims.
    platform = query(db, "select channel_id, reporting_date, attributed_conversions_markov, "
                         "attributed_conversions_last_touch, platform_reported_conversions "
                         "from marts.mart_platform_reported_conversions")
    assert {c for c, *_ in platform} == AD_PLATFORMS
    credited = {(c, d): (m, lt) for c, d, m, lt in query(
        db, "select channel_id, conversion_date, sum(credit_markov), sum(credit_last_touch) "
            "from marts.mart_attribution group by 1, 2")}
    for channel, day, markov, last_touch, _ in platform:
        assert (markov, last_touch) == credited.get((channel, day), (0, 0)), (channel, day)
    assert any(reported for *_, reported in platform), "the demo's platforms should claim conversions"

    # Inflating every platform's claim changes the comparison mart, not the attribution.
    altered = home / "inflated" / "warehouse.duckdb"  # same file name: same catalog name in views
    altered.parent.mkdir()
    query(db, "checkpoint")
    shutil.copy(db, altered)
    with duckdb.connect(str(altered)) as con:
        con.execute("update raw.google_ads__campaign_stats set conversions = conversions + 100")
        con.execute("update raw.meta_ads__ads_insights set purchases = purchases + 100")
    before = sorted(query(altered, "select * from marts.mart_attribution"))
    claimed_before = query(altered, "select sum(platform_reported_conversions) from marts.mart_platform_reported_conversions")
    rerun = dbt(home, "run", "--select", *ATTRIBUTION_MODELS, warehouse=altered, target="target-inflated")
    assert rerun.success, summary(rerun)
    assert {"mart_attribution", "mart_platform_reported_conversions"} <= set(results(rerun))
    assert sorted(query(altered, "select * from marts.mart_attribution")) == before
    claimed_after = query(altered, "select sum(platform_reported_conversions) from marts.mart_platform_reported_conversions")
    assert claimed_after[0][0] > claimed_before[0][0]


def test_conservation_test_fails_when_a_credit_moves(built, db: Path) -> None:
    home, _ = built
    altered = home / "tampered" / "warehouse.duckdb"
    altered.parent.mkdir()
    query(db, "checkpoint")
    shutil.copy(db, altered)
    with duckdb.connect(str(altered)) as con:
        conversion, channel = con.execute(
            "select conversion_id, channel_id from marts.mart_attribution where credit_time_decay > 0.5 "
            "order by 1, 2 limit 1").fetchone()
        [(changed,)] = con.execute(
            "update marts.mart_attribution set credit_time_decay = credit_time_decay - 0.0000000001 "
            "where conversion_id = ? and channel_id = ?", [conversion, channel]).fetchall()
    assert changed == 1
    failed = dbt(home, "test", "--select", "assert_attribution_credits_sum_to_one", warehouse=altered,
                 target="target-tampered")
    assert not failed.success
    assert results(failed) == {"assert_attribution_credits_sum_to_one": "fail"}, summary(failed)
