"""Ingestion: the GE gate, quarantine, ledger, idempotence, PII, single writer.

Every test runs the real loader against a real DuckDB file in a private JOURNEYMART_HOME.
"""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import DEMO, env_for, write
from journeymart import publish, registry, stage
from journeymart.config import PiiKeyMissing
from journeymart.ingest import missing_deliveries, run_window
from journeymart.parsers.base import PARSE_ERROR, ROW_NUMBER
from journeymart.pii import hash_identifier
from journeymart.stage import _mark_exact_duplicates

DAY = date(2026, 1, 5)
GADS_HEADER = ("segments.date,customer.id,customer.descriptive_name,customer.currency_code,"
               "customer.time_zone,campaign.id,campaign.name,campaign.advertising_channel_type,"
               "metrics.impressions,metrics.clicks,metrics.cost_micros,metrics.conversions,"
               "metrics.conversions_value")


def gads_file(home: Path, rows: list[str], day: date = DAY, header: str = GADS_HEADER) -> Path:
    body = "\r\n".join([header, *rows]) + "\r\n"
    return write(home / "landing" / "google_ads" / day.isoformat()
                 / f"campaign_performance_{day.isoformat()}.csv", body)


def gads_row(campaign: int, cost_micros: str = "12340000", impressions: int = 1000,
             clicks: int = 50, day: date = DAY) -> str:
    return (f"{day.isoformat()},123-456-7890,Acme US,USD,America/New_York,{campaign},Campaign {campaign},"
            f"SEARCH,{impressions},{clicks},{cost_micros},1.0,25.50")


def q(home: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def load(day: date = DAY, channels: list[str] | None = None, run_id: str = "test") -> object:
    return run_window(day, day, run_id, channels or ["google_ads"],
                      now=datetime(2026, 1, 6, tzinfo=UTC))  # nothing is past due yet


def test_negative_spend_row_is_quarantined_and_the_rest_loads(jm_home: Path) -> None:
    gads_file(jm_home, [gads_row(1), gads_row(2, cost_micros="-5000000"), gads_row(3)])
    load()
    loaded = q(jm_home, "select campaign_id, cost from raw.google_ads__campaign_stats order by 1")
    assert loaded == [("1", Decimal("12.340000")), ("3", Decimal("12.340000"))]
    [(row_number, reason)] = q(jm_home, "select _row_number, reason from quarantine.google_ads__campaign_stats")
    assert row_number == 2
    assert "expect_column_values_to_be_between(column=cost" in reason and "-5" in reason
    [(status, rows_in, ok, bad)] = q(jm_home, "select status, rows_in, rows_loaded, rows_quarantined "
                                              "from audit.load_ledger")
    assert (status, rows_in, ok, bad) == ("partial", 3, 2, 1)


def test_clicks_above_impressions_and_bad_types_are_quarantined_with_reasons(jm_home: Path) -> None:
    gads_file(jm_home, [gads_row(1), gads_row(2, impressions=10, clicks=50), gads_row(3, cost_micros="\"12,5\""), gads_row(4) + ",extra"])
    load()
    reasons = dict(q(jm_home, "select _row_number, reason from quarantine.google_ads__campaign_stats"))
    assert "expect_column_pair_values_a_to_be_greater_than_b" in reasons[2]
    assert "type_list" in reasons[3] and "12,5" in reasons[3]
    assert 4 in reasons, "a row with more cells than the header must not load"


def test_file_missing_a_required_column_is_quarantined_whole(jm_home: Path) -> None:
    header = GADS_HEADER.replace(",metrics.cost_micros", "")
    rows = [",".join(r.split(",")[:10] + r.split(",")[11:]) for r in (gads_row(1), gads_row(2))]
    src = gads_file(jm_home, rows, header=header)
    load()
    [(status, rows_in, bad, reason)] = q(
        jm_home, "select status, rows_in, rows_quarantined, reason from audit.load_ledger")
    assert status == "quarantined" and rows_in == bad == 2
    assert "cost_micros" in reason
    copies = list((jm_home / "quarantine" / "google_ads" / DAY.isoformat()).iterdir())
    assert any(p.read_bytes() == src.read_bytes() for p in copies)
    assert any(p.name.endswith(".reason.txt") and "cost_micros" in p.read_text() for p in copies)
    assert not q(jm_home, "select * from information_schema.tables where table_schema = 'raw'")


def test_rows_outside_the_partition_window_are_quarantined(jm_home: Path) -> None:
    gads_file(jm_home, [gads_row(1), gads_row(2, day=date(2026, 1, 9))])
    load()
    [(n, reason)] = q(jm_home, "select _row_number, reason from quarantine.google_ads__campaign_stats")
    assert n == 2 and "column_B=date" in reason and "2026, 1, 9" in reason


def test_same_file_twice_loads_once_and_rerun_changes_nothing(jm_home: Path) -> None:
    src = gads_file(jm_home, [gads_row(1), gads_row(2)])
    load(run_id="first")
    before = q(jm_home, "select count(*) from audit.load_ledger")
    load(run_id="rerun")  # the same logical date again
    assert q(jm_home, "select count(*) from audit.load_ledger") == before
    # The same bytes delivered again under another name: recorded, not loaded.
    write(src.with_name("campaign_performance_2026-01-05_copy.csv"), src.read_bytes())
    load(run_id="copy")
    statuses = sorted(r[0] for r in q(jm_home, "select status from audit.load_ledger"))
    assert statuses == ["loaded", "skipped_duplicate"]
    assert q(jm_home, "select count(*) from raw.google_ads__campaign_stats") == [(2,)]


def test_corrected_redelivery_replaces_its_predecessor(jm_home: Path) -> None:
    gads_file(jm_home, [gads_row(1), gads_row(2)])
    load(run_id="first")
    gads_file(jm_home, [gads_row(1, cost_micros="99000000"), gads_row(2), gads_row(3)])
    load(run_id="corrected")
    ledger = q(jm_home, "select status, superseded_by is not null from audit.load_ledger order by started_at")
    assert ledger == [("superseded", True), ("loaded", False)]
    rows = q(jm_home, "select campaign_id, cost from raw.google_ads__campaign_stats order by 1")
    assert rows == [("1", Decimal("99")), ("2", Decimal("12.34")), ("3", Decimal("12.34"))]
    # every raw row traces back to the live load
    assert q(jm_home, """select count(*) from raw.google_ads__campaign_stats r
                         join audit.load_ledger l on l.load_id = r._load_id
                         where l.status = 'loaded' and l.sha256 = r._file_sha256""") == [(3,)]


def _deliver_original_copy_and_correction(home: Path, runs: list[list[str]]) -> list[tuple]:
    """The same day's export three times (the original, a byte-identical copy, a corrected
    re-delivery), published in the runs given by file suffix; the ledger and raw rows after."""
    first = gads_file(home, [gads_row(1), gads_row(2)])
    files = {"": first.read_bytes(), "_copy": first.read_bytes(),
             "_v2": ("\r\n".join([GADS_HEADER, gads_row(1, cost_micros="99000000"), gads_row(2),
                                   gads_row(3)]) + "\r\n").encode()}
    first.unlink()
    for i, suffixes in enumerate(runs):
        for suffix in suffixes:
            write(first.with_name(f"campaign_performance_{DAY.isoformat()}{suffix}.csv"), files[suffix])
        load(run_id=f"run{i}")
    return [*q(home, """select file_name, status, coalesce(reason like 'identical content%', false),
                              superseded_by is not null
                       from audit.load_ledger order by file_name"""),
            *q(home, "select campaign_id, cost from raw.google_ads__campaign_stats order by 1")]


def test_one_publish_applies_a_copy_and_a_correction_as_separate_runs_do(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The publisher answers its ledger questions from one read per publish (LedgerIndex) and
    # keeps that view in step with its own writes: files of one run must meet the same rules
    # (duplicate content skipped, a correction superseding) as files of successive runs.
    results = []
    for name, runs in [("apart", [[""], ["_copy"], ["_v2"]]), ("together", [["", "_copy", "_v2"]])]:
        home = tmp_path / name
        monkeypatch.setenv("JOURNEYMART_HOME", str(home))
        monkeypatch.delenv("JOURNEYMART_LANDING_URL", raising=False)
        monkeypatch.delenv("JOURNEYMART_WAREHOUSE", raising=False)
        results.append(_deliver_original_copy_and_correction(home, runs))
        load(run_id="rerun")
        assert q(home, "select count(*) from audit.load_ledger") == [(3,)]  # the rerun adds nothing
    apart, together = results
    assert together == apart == [
        (f"campaign_performance_{DAY.isoformat()}.csv", "superseded", False, True),
        (f"campaign_performance_{DAY.isoformat()}_copy.csv", "skipped_duplicate", True, False),
        (f"campaign_performance_{DAY.isoformat()}_v2.csv", "loaded", False, False),
        ("1", Decimal("99")), ("2", Decimal("12.34")), ("3", Decimal("12.34"))]


def test_an_order_without_an_email_loads_with_a_null_hash(jm_home: Path) -> None:
    # The e-mail is optional on an order (a till sale has none); its hash column must stay
    # None, not NaN, or the whole file failed its Parquet write ("loader error").
    header = ("Id,Name,Email,Financial Status,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,"
              "Created at,Source,Customer Id")
    rows = ["1001,#1001,ana@example.com,paid,USD,10.00,0.00,0.00,10.00,,2026-01-05 14:03:11 -0500,web,C1",
            "1002,#1002,,paid,USD,20.00,0.00,0.00,20.00,,2026-01-05 15:03:11 -0500,pos,C2"]
    write(jm_home / "landing" / "commerce" / DAY.isoformat() / f"orders_export_{DAY.isoformat()}.csv",
          "\r\n".join([header, *rows]) + "\r\n")
    load(channels=["commerce"])
    assert q(jm_home, "select status, rows_loaded, rows_quarantined from audit.load_ledger") == [("loaded", 2, 0)]
    hashes = dict(q(jm_home, "select order_id, email_hash from raw.commerce__orders"))
    assert hashes["1002"] is None and len(hashes["1001"]) == 64


def test_unknown_file_name_is_quarantined_with_a_reason(jm_home: Path) -> None:
    write(jm_home / "landing" / "google_ads" / DAY.isoformat() / "notes.txt", "hello\n")
    load()
    [(status, reason)] = q(jm_home, "select status, reason from audit.load_ledger")
    assert status == "quarantined" and "matches no export" in reason


def test_missing_daily_delivery_is_recorded_and_a_late_file_loads_next_run(jm_home: Path) -> None:
    late = datetime(2026, 1, 10, tzinfo=UTC)
    missing = missing_deliveries(DAY, DAY, ["google_ads"], now=late)
    assert [(m["channel"], m["entity"], m["partition_date"]) for m in missing] == [
        ("google_ads", "campaign_stats", "2026-01-05")]
    summary = run_window(DAY, DAY, "r1", ["google_ads"], now=late)
    assert summary.missing and "google_ads/campaign_stats" in summary.missing[0] and "2026-01-05" in summary.missing[0]
    assert q(jm_home, "select status, partition_date from audit.load_ledger") == [("missing", DAY)]
    gads_file(jm_home, [gads_row(1)])  # the file arrives late
    summary = run_window(DAY, DAY, "r2", ["google_ads"], now=late)
    assert not summary.missing
    assert sorted(r[0] for r in q(jm_home, "select status from audit.load_ledger")) == ["loaded", "missing"]


def test_ge_gate_fails_a_bad_batch_and_passes_a_good_one() -> None:
    """GE itself decides: a failing expectation fails, a passing one passes (pandas path)."""
    import pandas as pd

    from journeymart.validation import validate

    entity = registry.load().channel("finance").entity("fx_rates")
    good = pd.DataFrame({"rate_date": [DAY], "base_currency": ["EUR"], "quote_currency": ["USD"],
                         "rate": [Decimal("1.08")], "_row_number": [1]}, dtype=object)
    bad = good.copy()
    bad.loc[0, "rate"] = Decimal("-1")
    bad.loc[0, "base_currency"] = "XXX"
    ok, ko = validate(entity, good, DAY), validate(entity, bad, DAY)
    assert ok.summary["success"] and not ok.row_reasons
    assert not ko.summary["success"]
    reasons = " ".join(ko.row_reasons[0])
    assert "column=rate" in reasons and "column=base_currency" in reasons
    assert all(r["success"] for r in ok.results)
    assert not all(r["success"] for r in ko.results)


def test_a_validated_frame_is_not_kept_by_ge() -> None:
    """GE's cached pandas engine held the last batch it validated until the next one: a stage
    worker carried a whole validated week into the parsing of the next (validation._release_batch)."""
    import gc
    import weakref

    import pandas as pd

    from journeymart.validation import validate_batch, with_batch_columns

    entity = registry.load().channel("finance").entity("fx_rates")
    frame = pd.DataFrame({"rate_date": [DAY], "base_currency": ["EUR"], "quote_currency": ["USD"],
                          "rate": [Decimal("1.08")], "_row_number": [1]}, dtype=object)
    batch = with_batch_columns(entity, frame, DAY)
    assert validate_batch(entity, batch).summary["success"]
    ref = weakref.ref(batch)
    del batch
    gc.collect()
    assert ref() is None, "GE still holds the validated batch"


def test_json_columns_must_be_strict_json(demo_landing: Path) -> None:
    """The suites' JSON check is RFC 8259 (what PostgreSQL's json type takes): NaN, which
    json.loads (GE's json_parseable) accepts, fails it, as do broken and trailing text."""
    from journeymart.validation import validate

    entity = registry.load().channel("mmp").entity("in_app_events")
    day = DEMO["start"] + timedelta(days=3)
    path = demo_landing / "mmp" / day.isoformat() / f"in_app_events_{day.isoformat()}.csv"
    frame = entity.parse_function()(path.read_bytes(), path.name, entity, registry.load().channel("mmp")).frame
    assert len(frame) > 5 and frame["event_value"].notna().all()
    nan = '{"af_revenue":NaN}'
    json.loads(nan)  # Python's reading accepts it
    bad = [1, 3, 4, 5]
    frame.loc[bad, "event_value"] = [nan, '{"af_revenue":"1.0"', '{"a":1} trailing', '"\ud800"']
    reasons = validate(entity, frame, day).row_reasons
    assert sorted(reasons) == bad
    assert all(any(r.startswith("event_value is not valid JSON") for r in reasons[i]) for i in reasons)
    assert not validate(entity, frame.drop(index=bad), day).row_reasons


def test_two_parallel_ingest_processes_do_not_collide(jm_home: Path) -> None:
    for d in range(3):
        day = date(2026, 1, 5 + d)
        gads_file(jm_home, [gads_row(1, day=day), gads_row(2, day=day)], day=day)
        write(jm_home / "landing" / "finance" / day.isoformat() / f"fx_rates_{day.isoformat()}.csv",
              f"rate_date,base_currency,quote_currency,rate\n{day},EUR,USD,1.080000\n{day},GBP,USD,1.270000\n")
    code = ("import sys; from datetime import date, datetime, UTC; from journeymart.ingest import run_window;"
            "run_window(date(2026,1,5), date(2026,1,7), sys.argv[1], [sys.argv[1]], now=datetime(2026,1,1,tzinfo=UTC))")
    procs = [subprocess.Popen([sys.executable, "-c", code, ch], env=env_for(jm_home),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for ch in ("google_ads", "finance")]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()[-2000:]
        assert b"lock" not in err.lower() or b"Could not set lock" not in err
    assert q(jm_home, "select channel, count(*) from audit.load_ledger where status = 'loaded' "
                      "group by 1 order by 1") == [("finance", 3), ("google_ads", 3)]


@pytest.mark.slow
def test_demo_landing_loads_with_reconciling_ledger_and_no_email(
        demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Several transactions of several files, and checkpoints between them, as in a backfill
    monkeypatch.setattr(publish, "COMMIT_ROWS", 100)
    monkeypatch.setattr(publish, "CHECKPOINT_ROWS", 500)
    end = date.fromordinal(DEMO["start"].toordinal() + DEMO["days"] - 1)
    summary = run_window(DEMO["start"], end, "demo", now=datetime(2026, 1, 1, tzinfo=UTC))
    rows = q(demo_home, "select sum(rows_in) from audit.load_ledger")[0][0]
    assert 2 <= summary.checkpoints <= rows // 500, (summary.checkpoints, rows)
    assert not (demo_home / "warehouse.duckdb.wal").exists()
    ledger = q(demo_home, "select channel, entity, status, rows_in, rows_loaded, rows_quarantined, reason "
                          "from audit.load_ledger")
    assert ledger
    for ch, ent, status, rows_in, ok, bad, reason in ledger:
        assert rows_in == ok + bad, (ch, ent)
        assert status == "loaded", (ch, ent, status, reason)  # generated demo data is clean
    for e in registry.load().entities:  # every registry entity produced raw rows
        assert q(demo_home, f"select count(*) from raw.{e.table}")[0][0] > 0, e.table
    # lineage on every raw row, and no raw e-mail anywhere in the warehouse
    email = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
    cols = q(demo_home, """select table_schema, table_name, column_name from information_schema.columns
                           where data_type in ('VARCHAR', 'JSON')""")
    assert cols
    for schema, table, col in cols:
        hits = q(demo_home, f'select count(*) from "{schema}"."{table}" where regexp_matches("{col}"::varchar, ?)',
                 [email.pattern])
        assert hits == [(0,)], f"e-mail address found in {schema}.{table}.{col}"
    for e in registry.load().entities:
        assert q(demo_home, f"""select count(*) from raw.{e.table} where _source_file is null
                 or _file_sha256 is null or _row_number is null or _loaded_at is null or _load_id is null""") == [(0,)]
        # Each file's rows carry that file's lineage (the publisher appends many files of a
        # table in one statement): its ledger path and hash, and exactly its loaded rows.
        per_load = q(demo_home, f"""select l.load_id, count(distinct r._row_number), l.rows_loaded,
                                           bool_and(r._source_file = l.source_path and r._file_sha256 = l.sha256)
                                    from raw.{e.table} r join audit.load_ledger l on l.load_id = r._load_id
                                    group by l.load_id, l.rows_loaded""")
        assert per_load and all(rows == loaded and same for _, rows, loaded, same in per_load), e.table
        assert len(per_load) == q(demo_home, "select count(*) from audit.load_ledger "
                                             "where channel || '__' || entity = ?", [e.table])[0][0]
    # JSON text is stored with zstd (warehouse.ZSTD): every stored segment of those columns
    json_cols = [(e.table, c) for e in registry.load().entities for c, t in e.columns.items() if t == "json"]
    assert json_cols
    for table, col in json_cols:
        kinds = q(demo_home, f"select distinct compression from pragma_storage_info('raw.{table}') "
                             f"where column_name = ? and segment_type != 'VALIDITY'", [col])
        assert kinds == [("ZSTD",)], (table, col, kinds)
    from journeymart.gx_docs import docs_index

    assert docs_index().exists()


def test_run_window_covers_the_logical_date_and_the_late_lookback() -> None:
    from journeymart.ingest import LATE_LOOKBACK_DAYS, window

    assert window(DAY) == (date.fromordinal(DAY.toordinal() - LATE_LOOKBACK_DAYS), DAY)
    assert window(DAY, date(2026, 1, 1), date(2026, 1, 31)) == (date(2026, 1, 1), date(2026, 1, 31))


def test_a_late_file_for_an_earlier_date_is_loaded_by_the_next_daily_run(jm_home: Path) -> None:
    from journeymart.ingest import window

    late_day = date(2026, 1, 4)
    gads_file(jm_home, [gads_row(1, day=late_day)], day=late_day)  # arrives after its own run
    start, end = window(DAY)  # the next day's scheduled run
    run_window(start, end, "next-day", ["google_ads"], now=datetime(2026, 1, 4, tzinfo=UTC))
    assert q(jm_home, "select partition_date, status from audit.load_ledger") == [(late_day, "loaded")]


def test_small_files_weeks_are_merged_up_to_a_year(jm_home: Path) -> None:
    from datetime import timedelta

    from journeymart.ingest import MAX_MERGED_BATCHES, plan_exports

    days = MAX_MERGED_BATCHES * 7 + 3
    for n in range(days):
        gads_file(jm_home, [gads_row(1, day=DAY + timedelta(days=n))], day=DAY + timedelta(days=n))
    batches = plan_exports(DAY, DAY + timedelta(days=days - 1), ["google_ads"])
    assert MAX_MERGED_BATCHES == 53 and [len(b["files"]) for b in batches] == [371, 3]
    assert batches[0]["label"] == f"google_ads {DAY}..{DAY + timedelta(days=370)}"


def test_a_small_export_merges_its_weeks_apart_from_its_channels_big_export(
        jm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """E-mail campaigns (a few rows a day) are not validated once per week of e-mail activity:
    their weeks merge on their own and ride in the batch where their merged run starts."""
    from datetime import timedelta

    from journeymart import ingest

    monkeypatch.setattr(ingest, "BATCH_BYTES", 1000)  # two weeks of activity exceed it
    for n in range(21):
        day = DAY + timedelta(days=n)
        folder = jm_home / "landing" / "email" / day.isoformat()
        write(folder / f"recipient_activity_{day.isoformat()}.csv", "a" * 100)
        write(folder / f"campaigns_{day.isoformat()}.csv", "c")
    batches = ingest.plan_exports(DAY, DAY + timedelta(days=20), ["email"])
    names = [[f["name"].split("_2")[0] for f in b["files"]] for b in batches]
    assert [(n.count("recipient_activity"), n.count("campaigns")) for n in names] == [(7, 21), (7, 0), (7, 0)]
    assert [b["label"] for b in batches] == [
        f"email {DAY}..{DAY + timedelta(days=20)}", f"email {DAY + timedelta(days=7)}..{DAY + timedelta(days=13)}",
        f"email {DAY + timedelta(days=14)}..{DAY + timedelta(days=20)}"]
    urls = [f["url"] for b in batches for f in b["files"]]
    assert len(urls) == len(set(urls)) == 42
    # the first batch's files in partition order, as a batch's files always are
    assert [f["partition"] for f in batches[0]["files"]] == sorted(f["partition"] for f in batches[0]["files"])


def test_a_backfill_is_staged_in_week_batches_and_a_daily_window_in_one(
        jm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from journeymart import ingest
    from journeymart.ingest import plan_exports, window

    for n in range(10):
        gads_file(jm_home, [gads_row(1, day=DAY + timedelta(days=n))], day=DAY + timedelta(days=n))
    last = DAY + timedelta(days=9)
    monkeypatch.setattr(ingest, "BATCH_BYTES", 0)  # files too big to merge: a batch per week
    backfill = plan_exports(DAY, last, ["google_ads"])
    assert [len(b["files"]) for b in backfill] == [7, 3]
    assert [b["label"] for b in backfill] == [
        f"google_ads {DAY}..{DAY + timedelta(days=6)}", f"google_ads {DAY + timedelta(days=7)}..{last}"]
    assert [len(b["files"]) for b in plan_exports(*window(last), ["google_ads"])] == [3]
    # every file is planned exactly once
    urls = [f["url"] for b in backfill for f in b["files"]]
    assert len(urls) == len(set(urls)) == 10


def test_data_docs_index_lists_the_newest_validation_results(jm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from journeymart import gx_docs

    monkeypatch.setattr(gx_docs, "DOCS_RESULTS_LIMIT", 2)
    runs = []
    for d in range(3):
        day = DAY + timedelta(days=d)
        gads_file(jm_home, [gads_row(1, day=day)], day=day)
        load(day, run_id=f"day{d}")
        runs.append(f"day{d}")
    stored = sorted(p.relative_to(jm_home / "gx" / "gx" / "uncommitted").with_suffix(".html").as_posix()
                    for p in (jm_home / "gx" / "gx" / "uncommitted" / "validations").rglob("*.json"))
    assert len(stored) == 3 and all(any(f"/{r}/" in p for p in stored) for r in runs)
    listed = set(re.findall(r"validations/[^\"']+\.html", gx_docs.docs_index().read_text()))
    assert listed == {p for p in stored if "/day0/" not in p}  # every result kept, the newest two listed


def test_a_failure_to_keep_the_ge_results_fails_the_run_after_the_publish(
        jm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`publish_run` keeps the GE results after publishing: when that fails the run fails,
    the rows stay published and the staging folder stays for a retry."""
    from journeymart import ingest

    gads_file(jm_home, [gads_row(1), gads_row(2)])
    [batch] = ingest.plan_exports(DAY, DAY, ["google_ads"])
    manifests = ingest.stage_channel(batch, "r1")

    def results_store_down(paths: list[Path], run_id: str) -> None:
        raise RuntimeError("results store down")

    monkeypatch.setattr(ingest, "store_validation_results", results_store_down)
    with pytest.raises(RuntimeError, match="results store down"):
        ingest.publish_run(manifests, [], "r1")
    assert q(jm_home, "select count(*) from raw.google_ads__campaign_stats") == [(2,)]
    assert ingest.staging_dir("r1").exists()
    assert not (jm_home / "gx" / "gx" / "uncommitted" / "validations").exists()


@pytest.fixture(params=["small-file set", "column narrowing"])
def repeat_check(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every repeat test runs through both of `_mark_exact_duplicates`' ways: the small-file set
    of rows first (the default for files up to stage.SMALL_FILE_ROWS), and the narrowing alone."""
    if request.param == "column narrowing":
        monkeypatch.setattr(stage, "SMALL_FILE_ROWS", 0)
    return str(request.param)


def test_exact_repeats_are_marked_among_readable_rows_only(repeat_check: str) -> None:
    entity = registry.load().channel("google_ads").entity("campaign_stats")
    typed = {c: None for c in entity.columns} | {"date": DAY, "campaign_id": "7", "impressions": 10,
                                                 "cost": Decimal("1.500000")}
    as_text = {c: (None if v is None else str(v)) for c, v in typed.items()}  # a ragged row's cells
    rows = [as_text | {PARSE_ERROR: "row 1 has 14 cells but the header has 13"},
            typed, typed, typed | {"impressions": 11}, typed]
    frame = pd.DataFrame([r | {ROW_NUMBER: n} for n, r in enumerate(rows, start=1)], dtype=object)
    frame[PARSE_ERROR] = frame[PARSE_ERROR].astype(object).where(frame[PARSE_ERROR].notna(), None)
    notes = _mark_exact_duplicates(entity, frame)
    # Row 2 prints like the unreadable row 1 but is the first readable copy: it stays;
    # rows 3 and 5 repeat it; row 4 differs in one value.
    assert frame[PARSE_ERROR].tolist() == ["row 1 has 14 cells but the header has 13", None,
                                           "exact duplicate of row 2", None, "exact duplicate of row 2"]
    assert notes == ["2 row(s) repeat an earlier row exactly; quarantined as duplicates"]


def test_repeats_must_share_every_value_and_its_text(repeat_check: str) -> None:
    """Values equal column by column in different rows are no repeat; among rows equal as
    values, the text decides, and a typed value never repeats an uncast text that prints alike."""
    entity = registry.load().channel("google_ads").entity("campaign_stats")
    base = {c: None for c in entity.columns} | {"date": DAY, "campaign_id": "7", "impressions": 10}
    rows = [
        base | {"cost": Decimal("1.500000")},
        base | {"cost": "1.500000"},  # uncast text that prints like row 1
        base | {"campaign_id": "8", "cost": Decimal("2.000000")},  # shares campaign 7's cost...
        base | {"campaign_id": "8", "cost": Decimal("1.500000")},  # ... and row 1's cost: no repeat
        base | {"cost": "1.500000"},  # repeats row 2 (text), not row 1 (typed)
        base | {"cost": Decimal("1.500000")},  # repeats row 1
    ]
    frame = pd.DataFrame([r | {ROW_NUMBER: n, PARSE_ERROR: None} for n, r in enumerate(rows, start=1)],
                         dtype=object)
    frame[PARSE_ERROR] = None
    notes = _mark_exact_duplicates(entity, frame)
    assert frame[PARSE_ERROR].tolist() == [None, None, None, None,
                                           "exact duplicate of row 2", "exact duplicate of row 1"]
    assert notes == ["2 row(s) repeat an earlier row exactly; quarantined as duplicates"]


def test_nan_like_cells_repeat_as_factorize_groups_them(repeat_check: str) -> None:
    """Two NaNs are different keys of a set but one value to pd.factorize: the set must not
    answer "no repeats" for rows equal but for distinct NaN objects."""
    entity = registry.load().channel("google_ads").entity("campaign_stats")
    base = {c: None for c in entity.columns} | {"date": DAY, "campaign_id": "7", "impressions": 10}
    rows = [base | {"cost": float("nan")}, base | {"cost": float("nan")}, base | {"cost": Decimal("1.000000")}]
    frame = pd.DataFrame([r | {ROW_NUMBER: n, PARSE_ERROR: None} for n, r in enumerate(rows, start=1)],
                         dtype=object)
    frame[PARSE_ERROR] = None
    assert _mark_exact_duplicates(entity, frame) == [
        "1 row(s) repeat an earlier row exactly; quarantined as duplicates"]
    assert frame[PARSE_ERROR].tolist() == [None, "exact duplicate of row 1", None]


def test_files_are_parsed_with_the_cycle_collector_paused(jm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    during: list[bool] = []
    real = stage._parse_one

    def parse_one(*args: object, **kwargs: object) -> object:
        during.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(stage, "_parse_one", parse_one)
    gads_file(jm_home, [gads_row(1), gads_row(2)])
    load()
    assert during == [False]  # paused for the parse (stage._gc_paused) ...
    assert gc.isenabled()  # ... and back on after it
    assert q(jm_home, "select status, rows_loaded from audit.load_ledger") == [("loaded", 2)]


def test_a_required_pii_key_that_is_missing_fails_the_batch_and_a_rerun_with_the_key_loads_it(
        jm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A deployment that requires its key gets a failed run with the reason, not a batch hashed
    with the public dev key (whose identities would never stitch to the ones before it)."""
    monkeypatch.delenv("JOURNEYMART_PII_KEY", raising=False)
    monkeypatch.setenv("JOURNEYMART_PII_KEY_REQUIRED", "true")
    write(jm_home / "landing" / "events" / DAY.isoformat() / f"lead_scans_{DAY.isoformat()}.csv",
          "Event ID,Badge ID,Scanned At,Email,Company,Job Title\n"
          f"EV-1,B1,{DAY.isoformat()}T09:03:08+00:00,Ana@Example.com,Acme,CMO\n")
    now = datetime(2026, 1, 9, tzinfo=UTC)
    with pytest.raises(PiiKeyMissing, match="JOURNEYMART_PII_KEY_REQUIRED is set but no PII key"):
        run_window(DAY, DAY, "no-key", ["events"], now=now)
    assert not list((jm_home / "staging").rglob("*.parquet"))
    monkeypatch.setenv("JOURNEYMART_PII_KEY", "deployment-key")
    run_window(DAY, DAY, "with-key", ["events"], now=now)
    assert q(jm_home, "select email_hash from raw.events__lead_scans") == [
        (hash_identifier("Ana@Example.com", b"deployment-key"),)]


def test_a_batch_reads_the_pii_key_once_and_hashes_every_file_with_it(
        jm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a task the key is an Airflow Variable, a request to the API server: one per batch,
    not one per file."""
    reads: list[bytes] = []

    def pii_key() -> bytes:
        reads.append(b"batch-key")
        return reads[-1]

    monkeypatch.setattr(stage, "pii_key", pii_key)
    emails = {}
    for n, day in enumerate([DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]):
        emails[f"B{n}"] = f"Person{n}@Example.com"
        write(jm_home / "landing" / "events" / day.isoformat() / f"lead_scans_{day.isoformat()}.csv",
              "Event ID,Badge ID,Scanned At,Email,Company,Job Title\n"
              f"EV-1,B{n},{day.isoformat()}T09:03:08+00:00,{emails[f'B{n}']},Acme,CMO\n")
    run_window(DAY, DAY + timedelta(days=2), "test", ["events"], now=datetime(2026, 1, 9, tzinfo=UTC))
    assert len(reads) == 1
    assert q(jm_home, "select badge_id, email_hash from raw.events__lead_scans order by 1") == [
        (badge, hash_identifier(email, b"batch-key")) for badge, email in sorted(emails.items())]


def _staged(manifests: list[stage.Manifest]) -> dict[str, dict[str, object]]:
    """Each staged file's outcome: its manifest without ids, times and paths, and its rows."""
    import pyarrow.parquet as pq

    out = {}
    for m in manifests:
        seen = {k: v for k, v in vars(m).items()
                if k not in ("load_id", "run_id", "started_at", "finished_at", "good_parquet", "bad_parquet",
                             "ge_results", "good_rows")}
        good = pq.read_table(m.good_parquet) if m.good_parquet else None
        if good is not None and m.good_rows is not None:  # the file's slice of its batch's Parquet file
            good = good.slice(m.good_rows[0], m.good_rows[1] - m.good_rows[0])
        seen["good"] = good.to_pylist() if good is not None else None
        # a row's reasons in a set: their order follows GE's passes, which a batch with a type
        # failure in another file runs apart (so before batches were prepared together, too)
        seen["bad"] = [r | {"reason": sorted(r["reason"].split("; "))}
                       for r in pq.read_table(m.bad_parquet).to_pylist()] if m.bad_parquet else None
        seen["validation_summary"] = {k: v for k, v in m.validation_summary.items() if k != "files_in_validation_batch"}
        out[m.file_name] = seen
    return out


def test_files_prepared_as_one_batch_stage_as_each_alone(jm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A validation batch's files are hashed, checked for repeats and formulas, and converted to
    Arrow together (stage._prepare_batch, _tables_of_small_files): each file ends as it does
    staged alone. Repeats count within a file only (the same row in two files is none), each
    file gets its own notes, a failing row keeps every file on its own conversion, and a batch
    whose rows all pass is converted once."""
    from journeymart.landing import list_exports

    formula = gads_row(7, day=DAY + timedelta(days=2)).replace("Campaign 7", "=HYPERLINK(\"http://x\")")
    days = {
        DAY: [gads_row(1), gads_row(2), gads_row(1)],  # a repeat within the file
        # row 1 is the day before's row 2 (outside this file's window), rows 2 and 3 a repeat
        DAY + timedelta(days=1): [gads_row(2), gads_row(1, day=DAY + timedelta(days=1)),
                                  gads_row(1, day=DAY + timedelta(days=1))],
        DAY + timedelta(days=2): [formula, gads_row(3, day=DAY + timedelta(days=2))],
        DAY + timedelta(days=3): [gads_row(4, day=DAY + timedelta(days=3), cost_micros="-5000000"),
                                  gads_row(5, day=DAY + timedelta(days=3))],
        DAY + timedelta(days=4): [gads_row(6, day=DAY + timedelta(days=4))],
        DAY + timedelta(days=5): [gads_row(6, day=DAY + timedelta(days=5)), gads_row(8, day=DAY + timedelta(days=5))],
    }
    files = {}
    for day, rows in days.items():
        gads_file(jm_home, rows, day)
        files[day], = list_exports("google_ads", day)
    conversions: list[int] = []
    real = stage._to_arrow
    monkeypatch.setattr(stage, "_to_arrow", lambda *a: conversions.append(len(a[1])) or real(*a))

    def alone(day: date) -> dict[str, dict[str, object]]:
        return _staged(stage.stage_files([files[day]], "alone", jm_home / "staging" / "alone" / day.isoformat()))

    failing = list(days)[:4]  # a repeat and a negative cost fail rows: each file converted alone
    together = _staged(stage.stage_files([files[d] for d in failing], "together", jm_home / "staging" / "t1"))
    assert together == {k: v for d in failing for k, v in alone(d).items()}
    passing = list(days)[2:3] + list(days)[4:]  # a formula is flagged, not failed
    conversions.clear()
    together = _staged(stage.stage_files([files[d] for d in passing], "together", jm_home / "staging" / "t2"))
    assert conversions == [5]  # the batch's 5 rows at once
    assert together == {k: v for d in passing for k, v in alone(d).items()}

    notes = {name: outcome["notes"] for name, outcome in together.items()} | {
        name: outcome["notes"] for d in failing[:2] for name, outcome in alone(d).items()}
    assert notes[files[DAY].name] == ["1 row(s) repeat an earlier row exactly; quarantined as duplicates"]
    assert notes[files[DAY + timedelta(days=1)].name] == [
        "1 row(s) repeat an earlier row exactly; quarantined as duplicates"]
    assert len(notes[files[DAY + timedelta(days=2)].name]) == 1
    assert notes[files[DAY + timedelta(days=2)].name][0].startswith("spreadsheet formula text in 1 cell(s)")
    assert notes[files[DAY + timedelta(days=4)].name] == notes[files[DAY + timedelta(days=5)].name] == []


def test_a_batch_that_fails_to_prepare_is_staged_file_by_file(jm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error while a batch is hashed or checked for repeats and formulas is one file's: the
    batch is staged file by file, that file is quarantined with the loader's error, and the
    others load as they would have."""
    from journeymart.landing import list_exports

    days = [DAY + timedelta(days=i) for i in range(3)]
    for i, day in enumerate(days):
        gads_file(jm_home, [gads_row(10 + i, day=day), gads_row(20 + i, day=day)], day)
    files = [f for day in days for f in list_exports("google_ads", day)]
    real = stage._flag_formulas

    def flag_formulas(entity: registry.Entity, frame: pd.DataFrame, files: int = 1) -> list[list[str]]:
        if "11" in set(frame["campaign_id"]):  # the second file's first campaign
            raise TypeError("an odd cell")
        return real(entity, frame, files)

    monkeypatch.setattr(stage, "_flag_formulas", flag_formulas)
    manifests = {m.file_name: m for m in stage.stage_files(files, "t", jm_home / "staging" / "t")}
    odd = manifests[files[1].name]
    assert (odd.verdict, odd.reason, odd.rows_bad) == (
        "quarantined", "loader error while parsing/validating (TypeError: an odd cell)", 2)
    for f in (files[0], files[2]):
        m = manifests[f.name]
        assert (m.verdict, m.rows_good, m.rows_bad, m.notes) == ("ok", 2, 0, [])
        assert m.validation_summary["files_in_validation_batch"] == 1


def test_a_file_gone_before_it_is_read_is_quarantined_with_the_reason(jm_home: Path) -> None:
    """A file listed and then removed (or made unreadable) before its task reads it ends in the
    ledger as quarantined with the read's error, not as a loader crash; its batch's other
    files load."""
    from journeymart.landing import list_exports

    days = [DAY, DAY + timedelta(days=1)]
    for i, day in enumerate(days):
        gads_file(jm_home, [gads_row(30 + i, day=day)], day)
    files = [f for day in days for f in list_exports("google_ads", day)]
    Path(files[0].url.removeprefix("file://")).unlink()
    gone, kept = stage.stage_files(files, "gone", jm_home / "staging" / "gone")
    assert (gone.verdict, gone.rows_in, kept.verdict, kept.rows_good) == ("quarantined", 0, "ok", 1)
    assert gone.reason.startswith("cannot read file: ") and "No such file" in gone.reason


def test_small_files_that_all_pass_share_one_parquet_file_and_load_as_their_own(jm_home: Path) -> None:
    """A validation batch of small files whose rows all pass is written as one Parquet file,
    each manifest naming its slice of it (`good_rows`). The publisher loads each file's rows
    with its own lineage, a rerun adds nothing, and a corrected re-delivery of one day replaces
    only that day's rows."""
    from journeymart.landing import list_exports

    days = [DAY + timedelta(days=i) for i in range(3)]
    for i, day in enumerate(days):  # 1, 2 and 3 rows
        gads_file(jm_home, [gads_row(10 * i + j, day=day) for j in range(1, i + 2)], day)
    files = [f for day in days for f in list_exports("google_ads", day)]
    out = jm_home / "staging" / "shared"
    manifests = stage.stage_files(files, "shared", out)
    assert len({m.good_parquet for m in manifests}) == 1
    assert [m.good_rows for m in manifests] == [[0, 1], [1, 3], [3, 6]]
    paths = [out / f"{m.load_id}.manifest.json" for m in manifests]
    publish.publish(paths, run_id="shared")
    publish.publish(paths, run_id="again")

    per_file = """select r._source_file, count(*), min(r.date) = max(r.date),
                         bool_and(r._load_id = l.load_id and r._file_sha256 = l.sha256)
                  from raw.google_ads__campaign_stats r join audit.load_ledger l on l.load_id = r._load_id
                  where l.status = 'loaded' group by 1 order by 1"""
    assert q(jm_home, per_file) == [(f.url, n, True, True) for f, n in zip(files, [1, 2, 3], strict=True)]
    assert q(jm_home, "select campaign_id from raw.google_ads__campaign_stats order by 1") == [
        ("1",), ("11",), ("12",), ("21",), ("22",), ("23",)]

    gads_file(jm_home, [gads_row(11, cost_micros="99000000", day=days[1])], days[1])  # day 2, corrected
    publish.publish([out / f"{m.load_id}.manifest.json"
                     for m in stage.stage_files(list_exports("google_ads", days[1]), "fix", out)], run_id="fix")
    assert q(jm_home, "select campaign_id, cost from raw.google_ads__campaign_stats order by 1") == [
        ("1", Decimal("12.34")), ("11", Decimal("99")), ("21", Decimal("12.34")), ("22", Decimal("12.34")),
        ("23", Decimal("12.34"))]


def test_a_batch_file_that_cannot_be_written_leaves_each_file_to_its_own(
        jm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a batch's shared Parquet file cannot be written, each file writes its own, as a file
    of a batch with a failing row does; a file whose own write fails too is quarantined with
    the error, and the task does not crash."""
    from journeymart.landing import list_exports

    days = [DAY + timedelta(days=i) for i in range(3)]
    for i, day in enumerate(days):
        gads_file(jm_home, [gads_row(40 + i, day=day)], day)
    files = [f for day in days for f in list_exports("google_ads", day)]
    real = stage._write_parquet
    calls: list[str] = []

    def refuse(table: object, path: Path) -> None:
        calls.append(path.name)  # the batch's file, then each file's own in order
        if path.name.endswith(".batch.good.parquet") or len(calls) == 3:
            raise OSError("No space left on device")
        real(table, path)  # type: ignore[arg-type]

    monkeypatch.setattr(stage, "_write_parquet", refuse)
    out = jm_home / "staging" / "refused"
    manifests = stage.stage_files(files, "refused", out)
    assert [(m.verdict, m.good_rows) for m in manifests] == [("ok", None), ("quarantined", None), ("ok", None)]
    assert "OSError: No space left on device" in manifests[1].reason
    assert not list(out.glob("*.batch.good.parquet"))
