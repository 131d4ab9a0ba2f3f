"""Ratios, targets and the markdown table from one bench run's raw measurements."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from journeymart import registry as reg

LOADERS = ("duckdb_floor", "journeymart", "pandas_frame_scan", "pandas_to_sql", "dlt")
JM_STAGES = ("parse", "ge_validate", "write_parquet", "publish")
BACKFILL_EVENTS = 10_000_000
ENTITY_ROWS = 6  # tables listed in results.md's per-table breakdown


def _formats() -> dict[str, str]:
    return {e.table: e.format for e in reg.load().entities}


def _ok(c: dict[str, Any], name: str) -> dict[str, Any] | None:
    m = c.get(name)
    return m["result"] if m and m["ok"] else None


def _jm_serial_s(jm: dict[str, Any]) -> float:
    """journeymart's work as if run on one core: the stage tasks' times summed."""
    return jm["walls"]["plan"] + sum(jm["stages"].get("stage_channel", {}).values()) + jm["walls"]["publish"]


def per_format(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per channel format, two ratios to the floor:
    - `x_floor_cpu`: core-seconds against core-seconds. journeymart's CPU in each table's
      stages (parse, GE, Parquet, publish; a worker's or the publisher's process CPU) plus a
      share by rows of what no table owns (interpreters, imports, planning, GE's result
      store), against the floor's process CPU while it read the table (every DuckDB thread).
    - `x_floor`: journeymart's task time summed over tasks against the floor's wall time, the
      figure reported until 2026-12-02. It sets one core's work against two cores' wall time
      (the floor's DuckDB reads use both), so it overstates the ratio up to ~2x.
    A run of one format alone (`bench.run --formats F`) gives the wall-clock ratio in its
    loaders table."""
    floor, jm = _ok(c, "duckdb_floor"), _ok(c, "journeymart")
    if not floor or not jm:
        return {}
    fmt_of = _formats()
    rows_total = sum(floor["rows"].values()) or 1

    def attributed(stages: dict[str, dict[str, float]]) -> dict[str, float]:
        return {t: sum(stages.get(s, {}).get(t, 0.0) for s in JM_STAGES) for t in floor["rows"]}

    wall = attributed(jm["stages"])
    # What no single table owns (planning, batching, GE result store): shared by rows.
    overhead = max(_jm_serial_s(jm) - sum(wall.values()), 0.0)
    cpu = attributed(jm["stages_cpu"]) if "stages_cpu" in jm else None
    floor_cpu = floor.get("cpu_seconds")
    jm_cpu_total, floor_cpu_total = c["journeymart"]["cpu_s"], c["duckdb_floor"]["cpu_s"]
    cpu_overhead = max(jm_cpu_total - sum(cpu.values()), 0.0) if cpu else 0.0
    floor_overhead = max(floor_cpu_total - sum(floor_cpu.values()), 0.0) if floor_cpu else 0.0
    out: dict[str, dict[str, Any]] = {}
    for t, n in floor["rows"].items():
        f = out.setdefault(fmt_of[t], {"rows": 0, "floor_s": 0.0, "journeymart_s": 0.0,
                                       "floor_cpu_s": 0.0, "journeymart_cpu_s": 0.0, "peers": {}})
        f["rows"] += n
        f["floor_s"] += floor["seconds"][t]
        f["journeymart_s"] += wall[t] + overhead * n / rows_total
        if cpu and floor_cpu:
            f["journeymart_cpu_s"] += cpu[t] + cpu_overhead * n / rows_total
            f["floor_cpu_s"] += floor_cpu[t] + floor_overhead * n / rows_total
    for name in ("pandas_frame_scan", "pandas_to_sql", "dlt"):
        r = _ok(c, name)
        if not r:
            continue
        for fmt, f in out.items():
            tables = [t for t in r["rows"] if fmt_of[t] == fmt]
            rows, secs = sum(r["rows"][t] for t in tables), sum(r["seconds"][t] for t in tables)
            f["peers"][name] = rows / secs if secs else None
    for f in out.values():
        f["floor_rows_s"] = f["rows"] / f["floor_s"] if f["floor_s"] else None
        f["journeymart_rows_s"] = f["rows"] / f["journeymart_s"] if f["journeymart_s"] else None
        f["x_floor"] = f["journeymart_s"] / f["floor_s"] if f["floor_s"] else None
        f["x_floor_cpu"] = f["journeymart_cpu_s"] / f["floor_cpu_s"] if f["floor_cpu_s"] else None
    return out


def per_entity(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per table: the floor's own time for its files against journeymart's time spent on it
    (parse, GE, Parquet and publish, summed over tasks; what no table owns is left out), so a
    run shows which tables the ratios are lost on."""
    floor, jm = _ok(c, "duckdb_floor"), _ok(c, "journeymart")
    if not floor or not jm:
        return {}
    fmt_of = _formats()
    out: dict[str, dict[str, Any]] = {}
    for t, n in floor["rows"].items():
        parts = {s: jm["stages"].get(s, {}).get(t, 0.0) for s in JM_STAGES}
        total = sum(parts.values())
        out[t] = {"format": fmt_of[t], "rows": n, "floor_s": floor["seconds"][t], "journeymart_s": total,
                  "stages_s": parts, "us_per_row": total * 1e6 / n if n else None,
                  "x_floor": total / floor["seconds"][t] if floor["seconds"][t] else None}
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["journeymart_s"]))


def loaders(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    floor, jm = _ok(c, "duckdb_floor"), _ok(c, "journeymart")
    full_rows = sum(floor["rows"].values()) if floor else None
    out = {}
    for name in LOADERS:
        m = c.get(name)
        if not m or not m["ok"]:
            continue
        r = m["result"]
        rows = sum(r["rows"].values())
        rps = rows / r["load_s"] if r["load_s"] else None
        sampled = name not in ("duckdb_floor", "journeymart")
        full_s = (full_rows / rps) if sampled and rps and full_rows else r["load_s"]
        out[name] = {"rows": rows, "load_s": r["load_s"], "rows_per_s": rps, "sampled": sampled,
                     "full_s": full_s, "wall_s": m["wall_s"], "cpu_s": m["cpu_s"],
                     "peak_rss_mb": m["peak_rss_mb"],
                     "x_floor": full_s / floor["load_s"] if floor else None,
                     "x_journeymart": full_s / jm["load_s"] if jm else None}
    return out


def metrics(run: dict[str, Any]) -> dict[str, Any]:
    c = run["contenders"]
    out: dict[str, Any] = {"loaders": loaders(c), "formats": per_format(c), "entities": per_entity(c)}
    jm = _ok(c, "journeymart")
    if jm:
        ge = sum(jm["stages"].get("ge_validate", {}).values()) + sum(
            jm["stages"].get("ge_store_results", {}).values())
        serial = _jm_serial_s(jm)
        out["ge"] = {"ge_s": ge, "serial_load_s": serial, "share": ge / serial if serial else None,
                     "stages_s": {s: sum(d.values()) for s, d in jm["stages"].items()}}
        ga4 = jm["rows"].get("ga4__events", 0)
        out["backfill"] = {"ga4_events": ga4, "load_s": jm["load_s"], "measured": ga4 >= BACKFILL_EVENTS,
                           "projected_10m_s": jm["load_s"] * BACKFILL_EVENTS / ga4 if ga4 else None}
        if "peak_rss_mb" in jm:
            out["jm_rss"] = jm["peak_rss_mb"]
    day, short = _ok(c, "journeymart_dbt_day"), _ok(c, "journeymart_short_dbt_day")
    if day:
        out["dbt"] = day
    if day and short:
        out["history"] = {"long_day_run_s": day["day_run_s"], "short_day_run_s": short["day_run_s"],
                          "ratio": day["day_run_s"] / short["day_run_s"], "long": day, "short": short}
    if dags := _ok(c, "dag_parse"):
        out["dags"] = dags
    out["targets"] = targets(out)
    return out


def targets(m: dict[str, Any]) -> list[dict[str, Any]]:
    out = []

    def add(name: str, value: float | None, goal: str, met: bool | None, note: str = "") -> None:
        out.append({"target": name, "value": value, "goal": goal, "met": met, "note": note})

    jm = m["loaders"].get("journeymart")
    formats = m.get("formats", {})
    if len(formats) == 1 and jm:  # one format alone (`--formats`): the wall-clock ratio
        fmt = next(iter(formats))
        add(f"ingest+validate vs floor, {fmt} alone, wall", jm["x_floor"], "≤ 2×", jm["x_floor"] <= 2)
    for fmt, f in sorted(formats.items()):
        x = f["x_floor_cpu"]
        add(f"ingest+validate vs floor, {fmt}, CPU", x, "≤ 2×", x is not None and x <= 2,
            "core-seconds; tasks summed ÷ floor wall: " + _n(f["x_floor"], ".1f") + "×")
    for peer in ("pandas_to_sql", "dlt"):
        p = m["loaders"].get(peer)
        if p and jm:
            add(f"journeymart faster than {peer}", p["x_journeymart"], "≥ 50×",
                p["x_journeymart"] >= 50, "peer extrapolated per row from a sample")
    if ge := m.get("ge"):
        add("GE share of load time", ge["share"], "≤ 30%", ge["share"] is not None and ge["share"] <= 0.3)
    if h := m.get("history"):
        add("one-day run, long vs short history", h["ratio"], "≤ 1.3×", h["ratio"] <= 1.3)
    if (b := m.get("backfill")) and b["ga4_events"]:  # a run without GA4 has no backfill
        s = b["load_s"] if b["measured"] else b["projected_10m_s"]
        add("1-year ≥10M-event backfill", s, "< 300 s", s is not None and s < 300,
            "measured" if b["measured"] else "projected linearly from this run's GA4 rows")
    return out


def _n(v: float | None, fmt: str = ",.0f") -> str:
    return "–" if v is None else format(v, fmt)


def write_markdown(run: dict[str, Any], path: Path) -> None:
    m, p, mc = run["metrics"], run["params"], run["machine"]
    lines = [
        f"Run {run['started_at']} → {run['finished_at']}; `{run['command']}`",
        f"Machine: {mc['cpu']}, {mc['cores']} cores, {mc['mem_gb']} GB RAM, Python {mc['python']}, "
        f"duckdb {mc['duckdb']}, pandas {mc['pandas']}, GE {mc['great_expectations']}; "
        f"load average at start {', '.join(f'{x:.1f}' for x in mc['load_avg_at_start'])}.",
        f"Landing zone: {p['days']} days × {p['customers']:,} customers from {p['start']} "
        f"(seed {p['seed']}); generation {_n(run.get('generate_s'), '.1f')} s (excluded).",
        "",
        "| contender | rows | load s | rows/s | full-zone s | time ÷ floor | time ÷ journeymart | process wall s | process CPU s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in m["loaders"].items():
        label = f"{name} (sample: first {p['sample_files']} files/entity, extrapolated)" if r["sampled"] else name
        lines.append(f"| {label} | {r['rows']:,} | {r['load_s']:.2f} | {_n(r['rows_per_s'])} | "
                     f"{r['full_s']:.1f} | {_n(r['x_floor'], '.1f')} | {_n(r['x_journeymart'], '.2f')} | "
                     f"{r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} |")
    for name, why in run.get("skipped", {}).items():
        lines.append(f"| {name} | skipped: {why} | | | | | | | | |")
    if m["formats"]:
        peers = sorted({k for f in m["formats"].values() for k in f["peers"]})
        lines += ["", "| format | rows | floor rows/s | journeymart rows/s | journeymart × floor, CPU "
                  "| floor CPU s | journeymart CPU s | journeymart task s ÷ floor wall s |"
                  + "".join(f" {k} rows/s (sample) |" for k in peers),
                  "|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(peers)]
        for fmt, f in sorted(m["formats"].items()):
            lines.append(f"| {fmt} | {f['rows']:,} | {_n(f['floor_rows_s'])} | {_n(f['journeymart_rows_s'])} | "
                         f"{_n(f['x_floor_cpu'], '.1f')} | {f['floor_cpu_s']:.1f} | {f['journeymart_cpu_s']:.1f} | "
                         f"{_n(f['x_floor'], '.1f')} |"
                         + "".join(f" {_n(f['peers'].get(k))} |" for k in peers))
    if entities := m.get("entities"):
        top = dict(list(entities.items())[:ENTITY_ROWS])
        lines += ["", f"Tables taking the most journeymart time (parse + GE + Parquet + publish, summed over "
                  f"tasks; top {len(top)} of {len(entities)}):", "",
                  "| table | format | rows | floor s | journeymart s | µs/row | parse s | GE s | Parquet s "
                  "| publish s | × floor |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for t, e in top.items():
            st = e["stages_s"]
            lines.append(f"| {t} | {e['format']} | {e['rows']:,} | {e['floor_s']:.1f} | {e['journeymart_s']:.1f} | "
                         f"{_n(e['us_per_row'], '.1f')} | {st['parse']:.1f} | {st['ge_validate']:.1f} | "
                         f"{st['write_parquet']:.1f} | {st['publish']:.1f} | {_n(e['x_floor'], '.1f')} |")
    if ge := m.get("ge"):
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in ge["stages_s"].items())
        lines += ["", f"journeymart stages (summed over tasks): {stages}. GE (validate + result store) "
                  f"{ge['ge_s']:.1f} s of {ge['serial_load_s']:.1f} s = {ge['share']:.0%}."]
    if rss := m.get("jm_rss"):
        lines += ["", f"journeymart peak RSS by part: largest stage worker {rss['stage_workers']:,.0f} MB; "
                  f"load process {rss['before_publish']:,.0f} MB before publishing, "
                  f"{rss['after_publish']:,.0f} MB after."]
    if d := m.get("dbt"):
        lines += ["", f"dbt build full {d['dbt_full_s']:.1f} s; one more day: ingest {d['day_ingest_s']:.1f} s "
                  f"({d['day_rows']:,} rows) + dbt build incremental {d['dbt_incremental_s']:.1f} s."]
    if h := m.get("history"):
        lines += [f"One-day run at {p['days']} days of history {h['long_day_run_s']:.1f} s vs "
                  f"{p['history_days']} days {h['short_day_run_s']:.1f} s: {h['ratio']:.2f}× "
                  f"(ingest {h['long']['day_ingest_s']:.1f} vs {h['short']['day_ingest_s']:.1f} s, "
                  f"dbt {h['long']['dbt_incremental_s']:.1f} vs {h['short']['dbt_incremental_s']:.1f} s)."]
    if dg := m.get("dags"):
        files = ", ".join(f"{k} {v:.2f} s" for k, v in dg["files"].items())
        lines += ["", f"DAG parse: DagBag {dg['dagbag_s']:.2f} s ({files}; importing Airflow "
                  f"{dg['airflow_import_s']:.1f} s first); {len(dg['dags'])} DAGs, "
                  f"{len(dg['import_errors'])} import errors."]
    lines += ["", "| target | measured | goal | met |", "|---|---:|---|---|"]
    for t in m["targets"]:
        v = t["value"]
        shown = "–" if v is None else (f"{v:.0%}" if "%" in t["goal"] else f"{v:,.2f}" if v < 100
                                       else f"{v:,.0f}")
        note = f" ({t['note']})" if t["note"] else ""
        lines.append(f"| {t['target']}{note} | {shown} | {t['goal']} | {'yes' if t['met'] else 'NO'} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Re-render results.md (and the metrics) from a results.json: `python -m bench.report F`."""
    import json
    import sys

    path = Path((argv or sys.argv[1:])[0])
    run = json.loads(path.read_text())
    run["metrics"] = metrics(run)
    path.write_text(json.dumps(run, indent=1, default=str))
    write_markdown(run, path.with_name("results.md"))
    print(path.with_name("results.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
