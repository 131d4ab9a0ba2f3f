"""`generate_landing`: the demo landing zone, written day by day."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

from tqdm import tqdm

from journeymart.generate import catalog as cat
from journeymart.generate import rng as rngs
from journeymart.generate import truth
from journeymart.generate.fx import MICRO, random_walk
from journeymart.generate.plan import budget_plan, make_plan
from journeymart.generate.population import make_people
from journeymart.generate.simulation import Simulation
from journeymart.generate.timefmt import day_bounds
from journeymart.generate.writers import Context, write_day
from journeymart.generate.writers.files import Landing
from journeymart.registry import load

TRUTH_FILE = "_truth.json"


def generate_landing(landing: Path, start: date, days: int, customers: int, seed: int,
                     progress: bool = True) -> dict[str, Any]:
    """Write every registry channel's native exports for `days` days from `start` into
    `landing/<channel>/<YYYY-MM-DD>/`, plus `landing/_truth.json`.

    Same arguments, same bytes. Memory stays flat in `days`: only per-person state is kept
    between days; each day's activity is written and dropped.
    """
    if days < 1 or customers < 1:
        raise ValueError("days and customers must be at least 1")
    began = time.perf_counter()
    landing = Path(landing)
    landing.mkdir(parents=True, exist_ok=True)
    registry = load()

    plan = make_plan(seed, start, days, customers)
    fx = random_walk(seed, days)
    people = make_people(seed, customers, day_bounds(start, cat.NY)[0])
    initial_stages = people.stage_counts()
    sim = Simulation(seed, plan, people, fx)
    email_usd = sim.email_sends_estimate() * cat.EMAIL_COST_PER_EMAIL_MICROS / MICRO
    plan.budget = budget_plan(plan, fx, email_usd, rngs.stream(seed, rngs.PLAN, 1))

    out = Landing(landing)
    ctx = Context(out, plan, people, fx, seed)
    recorder = truth.TruthRecorder(plan)
    for i in tqdm(range(days), desc="demo exports", unit="day", disable=not progress):
        day = sim.day(i)
        write_day(ctx, day, sim.videos)
        recorder.observe(i, day.email_spend_micros, day.customer_engagement)
        del day

    _check_against_registry(out, registry)
    doc = recorder.build(seed=seed, customers=customers, registry=registry, fx=fx, sim=sim, landing=out,
                         people=people, initial_stages=initial_stages)
    truth.write(landing / TRUTH_FILE, doc)
    return {
        "landing": str(landing),
        "files": out.files_written,
        "rows": {table: t.rows for table, t in sorted(out.tallies.items())},
        "orders": doc["orders"],
        "seconds": round(time.perf_counter() - began, 2),
    }


def _check_against_registry(out: Landing, registry) -> None:
    known = {e.table for e in registry.entities}
    unknown = set(out.tallies) - known
    if unknown:
        raise RuntimeError(f"generator wrote entities the registry does not know: {sorted(unknown)}")
