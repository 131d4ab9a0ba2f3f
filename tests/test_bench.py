"""Smoke test of the benchmark harness (`make bench`): a tiny zone, one channel per format,
every contender in its own process. Checks the result is well formed, not how fast it is."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import env_for

REPO = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("bench")]
PEER_MODULES = {"pandas_to_sql": ("sqlalchemy", "duckdb_engine"), "pandas_frame_scan": (),
                "dlt": ("dlt",)}


def test_bench_harness_writes_well_formed_results(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    # google_ads: CSV, meta_ads: JSON document, ga4: gzipped NDJSON
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--days", "1", "--customers", "30", "--out", str(out),
         "--channels", "google_ads,meta_ads,ga4", "--workers", "1", "--sample-files", "1",
         "--skip", "dbt,history,dags"],
        cwd=REPO, env=env_for(tmp_path / "home"), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    run = json.loads((out / "results.json").read_text())
    loaders = run["metrics"]["loaders"]

    expected = {"duckdb_floor", "journeymart"} | {
        name for name, mods in PEER_MODULES.items()
        if all(importlib.util.find_spec(m) for m in mods)}
    assert expected <= set(loaders), loaders.keys()
    for name in set(PEER_MODULES) - expected:
        assert name in run["skipped"]
    for name in expected:
        r = loaders[name]
        assert r["rows"] > 0 and r["rows_per_s"] > 0 and r["peak_rss_mb"] > 0, (name, r)
        assert r["sampled"] == (name in PEER_MODULES)

    # Every contender loaded every row of the files it was given: same counts as the floor.
    floor = run["contenders"]["duckdb_floor"]["result"]["rows"]
    assert set(floor) == {"google_ads__campaign_stats", "meta_ads__ads_insights", "ga4__events"}
    assert run["contenders"]["journeymart"]["result"]["rows"] == floor
    assert set(run["metrics"]["formats"]) == {"csv", "json", "ndjson"}
    # Per table: journeymart's time is its stages' times, and the tables are listed slowest first.
    entities = run["metrics"]["entities"]
    assert set(entities) == set(floor)
    stages = run["contenders"]["journeymart"]["result"]["stages"]
    for table, e in entities.items():
        assert e["journeymart_s"] == pytest.approx(sum(stages[s].get(table, 0.0) for s in
                                                       ("parse", "ge_validate", "write_parquet", "publish")))
        assert e["journeymart_s"] > 0 and e["rows"] == floor[table]
    times = [e["journeymart_s"] for e in entities.values()]
    assert times == sorted(times, reverse=True)
    assert 0 < run["metrics"]["ge"]["share"] < 1
    assert {t["target"] for t in run["metrics"]["targets"]} >= {
        "ingest+validate vs floor, csv", "GE share of load time"}
    md = (out / "results.md").read_text()
    assert "| journeymart |" in md and "| ga4__events | ndjson |" in md
