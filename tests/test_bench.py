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


def run_bench(tmp_path: Path, *args: str) -> dict:
    """`bench.run` on a one-day zone of 30 customers, one worker; its results.json."""
    out = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--days", "1", "--customers", "30", "--out", str(out),
         "--workers", "1", *args],
        cwd=REPO, env=env_for(tmp_path / "home"), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads((out / "results.json").read_text())


def test_bench_harness_writes_well_formed_results(tmp_path: Path) -> None:
    # google_ads: CSV, meta_ads: JSON document, ga4: gzipped NDJSON
    run = run_bench(tmp_path, "--channels", "google_ads,meta_ads,ga4", "--sample-files", "1",
                    "--skip", "dbt,history,dags")
    out = tmp_path / "bench"
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
    formats = run["metrics"]["formats"]
    assert set(formats) == {"csv", "json", "ndjson"}
    for f in formats.values():  # both ratios: core-seconds, and tasks summed against floor wall
        assert f["floor_cpu_s"] > 0 and f["journeymart_cpu_s"] > 0 and f["x_floor_cpu"] > 0, f
        assert f["x_floor"] > 0, f
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
        "ingest+validate vs floor, csv, CPU", "GE share of load time"}
    md = (out / "results.md").read_text()
    assert "| journeymart |" in md and "| ga4__events | ndjson |" in md


def test_bench_formats_loads_one_formats_files_alone(tmp_path: Path) -> None:
    """`--formats json`: the floor and journeymart load only the JSON entities' files, and the
    targets carry that format's wall-clock ratio."""
    run = run_bench(tmp_path, "--channels", "google_ads,meta_ads", "--formats", "json",
                    "--skip", "peers,dbt,history,dags")
    floor = run["contenders"]["duckdb_floor"]["result"]["rows"]
    assert set(floor) == {"meta_ads__ads_insights"} and floor["meta_ads__ads_insights"] > 0
    assert run["contenders"]["journeymart"]["result"]["rows"] == floor
    wall = {t["target"]: t for t in run["metrics"]["targets"]}["ingest+validate vs floor, json alone, wall"]
    assert wall["value"] == pytest.approx(run["metrics"]["loaders"]["journeymart"]["x_floor"])


def test_bench_formats_needs_dbt_skipped(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bench.run", "--formats", "csv", "--out", str(tmp_path)],
                          cwd=REPO, env=env_for(tmp_path / "home"), capture_output=True, text=True)
    assert proc.returncode == 2 and "--skip dbt,history" in proc.stderr
