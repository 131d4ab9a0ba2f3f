"""Bad-input corpus (issue 7, Hardening 1): every way an export can arrive broken.

A tiny good landing zone (3 days, 30 customers) is generated and loaded once by the real
loader. Each case then copies that home, drops its bad file(s) into day 3 beside one good
companion file of another channel (finance FX rates), ingests, and checks: the ledger row's
status and a reason in plain words, rows_in = rows_loaded + rows_quarantined, quarantined
files/rows carrying the reason, the companion loaded, and raw tables for good data unchanged
(row counts, money sums and a content hash, lineage excluded). Bad rows are always *added* to
an otherwise clean copy of the day-3 file, so a file that partly loads re-delivers exactly the
good rows it replaces.

The whole corpus at once goes through the Airflow DAG (`journeymart ingest --date`, dag.test)
between two dbt builds, whose marts must match (row counts and money sums).

Spreadsheet formulas (`=cmd|...`) are kept verbatim in raw and flagged in the ledger's notes
(see docs/export_formats.md, "Bad input").
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import env_for
from journeymart import registry

pytestmark = pytest.mark.xdist_group("bad_inputs")  # one worker: one base load

START, DAY = date(2026, 1, 1), date(2026, 1, 3)
NOW = datetime(2026, 1, 1, tzinfo=UTC)  # nothing is past due: the ledger holds file rows only
COMPANION = ("finance", f"fx_rates_{DAY.isoformat()}.csv")
GADS = "google_ads"
LINEAGE = ("_source_file", "_file_sha256", "_row_number", "_loaded_at", "_load_id")
FORMULA = "=cmd|' /C calc'!A0"
CLEAN = {GADS: f"campaign_performance_{DAY.isoformat()}.csv",  # the generator's day-3 files
         "linkedin_ads": f"campaign_performance_report_{DAY.isoformat()}.csv",
         "meta_ads": f"ads_insights_{DAY.isoformat()}.json", "ga4": f"events_{DAY:%Y%m%d}.ndjson.gz"}


# ---------------------------------------------------------------------------------------
# the corpus


@dataclass
class Bad:
    """One bad file a case drops, and what the ledger must say about it."""

    name: str  # file name as the ledger records it
    status: str
    reason: str = ""  # regex (case-insensitive) in the ledger reason, or the notes when loaded
    rows: tuple[int, int, int] | None = None  # rows_in, rows_loaded, rows_quarantined
    row_reason: str | None = None  # regex every quarantined row's reason matches


class Zone:
    """Day 3 of one channel in a home's landing zone, with the clean files as templates."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def folder(self, channel: str) -> Path:
        return self.home / "landing" / channel / DAY.isoformat()

    def good(self, channel: str) -> bytes:
        return (self.folder(channel) / CLEAN[channel]).read_bytes()

    def put(self, channel: str, name: str | bytes, data: bytes) -> str:
        """Write a file (a bytes name may be invalid UTF-8); returns the name the ledger shows."""
        raw = name if isinstance(name, bytes) else name.encode()
        with open(os.path.join(os.fsencode(self.folder(channel)), raw), "wb") as fh:
            fh.write(data)
        return raw.decode("utf-8", "backslashreplace")


def gads(z: Zone) -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(z.good(GADS).decode(), newline="")))
    return header, rows


def to_csv(header: list[str], rows: list[list[str]], terminator: str = "\r\n") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=terminator).writerows([header, *rows])
    return out.getvalue().encode()


def gads_with(z: Zone, extra: Callable[[list[str], list[str]], list[str]] | None = None,
              column: tuple[str, Callable[[str], str]] | None = None) -> tuple[bytes, int]:
    """The clean Google Ads file with one extra row (derived from row 1) and/or one column
    rewritten on every row; returns (bytes, clean row count)."""
    header, rows = gads(z)
    n = len(rows)
    if column:
        i = header.index(column[0])
        rows = [[*r[:i], column[1](r[i]), *r[i + 1:]] for r in rows]
    if extra:
        rows.append(extra(header, list(rows[0])))
    return to_csv(header, rows), n


def set_cells(header: list[str], row: list[str], **cells: str) -> list[str]:
    for col, v in cells.items():
        row[header.index(col.replace("__", "."))] = v
    return row


def gads_name(case: str) -> str:
    return f"campaign_performance_{DAY.isoformat()}_{case}.csv"


def truncated_csv(z: Zone) -> list[Bad]:
    data, n = gads_with(z)
    return [Bad(z.put(GADS, gads_name("truncated"), data[:-30]), "quarantined",
                r"file is truncated: its last line .* no line ending", (n, 0, n))]


def wrong_delimiter(z: Zone) -> list[Bad]:
    data, n = gads_with(z)
    return [Bad(z.put(GADS, gads_name("semicolons"), data.replace(b",", b";")), "quarantined",
                r"wrong delimiter.*semicolons", (n, 0, n))]


def utf16(z: Zone) -> list[Bad]:
    data, n = gads_with(z)
    return [Bad(z.put(GADS, gads_name("utf16"), data.decode().encode("utf-16")), "quarantined",
                r"wrong encoding: file is UTF-16", (n, 0, n)),
            Bad(z.put(GADS, gads_name("utf16le_nobom"), data.decode().encode("utf-16-le")), "quarantined",
                r"wrong encoding.*NUL bytes.*UTF-16")]


def latin1(z: Zone) -> list[Bad]:
    data, n = gads_with(z)
    bad = data.replace(b"Journeymart US", "Journeymart Caf\u00e9".encode("latin-1"))
    return [Bad(z.put(GADS, gads_name("latin1"), bad), "quarantined",
                r"wrong encoding: file is not valid UTF-8 \(byte 0xe9.*Latin-1", (n, 0, n))]


def bom(z: Zone) -> list[Bad]:
    data, n = gads_with(z)
    return [Bad(z.put(GADS, gads_name("bom"), b"\xef\xbb\xbf" + data), "loaded", "", (n, n, 0))]


def decimal_commas(z: Zone) -> list[Bad]:
    text = z.good("linkedin_ads").decode("utf-8-sig")
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Start Date"))
    rows = [ln for ln in lines[at + 1:] if ln]
    cells = next(csv.reader([rows[0]]))
    cells[4], cells[7] = "699999999", "12,50"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    bad = "\n".join(lines[:at + 1 + len(rows)]) + "\n" + out.getvalue()
    return [Bad(z.put("linkedin_ads", f"campaign_performance_report_{DAY.isoformat()}_decimal_comma.csv",
                      b"\xef\xbb\xbf" + bad.encode()), "partial", r"total_spent uses a decimal comma",
                (len(rows) + 1, len(rows), 1), r"total_spent uses a decimal comma got '12,50'")]


def thousands_separators(z: Zone) -> list[Bad]:
    data, n = gads_with(z, column=("metrics.cost_micros", lambda v: f"{int(v):,}"))
    assert b'","' in data or b',"' in data  # the grouped values are quoted
    return [Bad(z.put(GADS, gads_name("grouped"), data), "loaded", "", (n, n, 0))]


def missing_column(z: Zone) -> list[Bad]:
    header, rows = gads(z)
    i = header.index("metrics.clicks")
    data = to_csv(header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows])
    return [Bad(z.put(GADS, gads_name("missing_col"), data), "quarantined",
                r"missing required columns in header: metrics\.clicks", (len(rows), 0, len(rows)))]


def extra_column(z: Zone) -> list[Bad]:
    header, rows = gads(z)
    data = to_csv([*header, "metrics.video_views"], [[*r, "17"] for r in rows])
    return [Bad(z.put(GADS, gads_name("extra_col"), data), "loaded",
                r"extra columns not in the export spec, ignored: metrics\.video_views", (len(rows), len(rows), 0))]


def renamed_column(z: Zone) -> list[Bad]:
    header, rows = gads(z)
    data = to_csv([h if h != "metrics.cost_micros" else "Cost (micros)" for h in header], rows)
    return [Bad(z.put(GADS, gads_name("renamed_col"), data), "quarantined",
                r"missing required columns in header: metrics\.cost_micros \(unexpected column\(s\) "
                r"'Cost \(micros\)': renamed\?\)", (len(rows), 0, len(rows)))]


def type_changed(z: Zone) -> list[Bad]:
    data, n = gads_with(z, column=("segments.date", lambda v: "01/03/2026"))
    return [Bad(z.put(GADS, gads_name("us_dates"), data), "quarantined",
                r"every row failed validation .*date is not a date.*'01/03/2026'", (n, 0, n))]


def duplicated_rows(z: Zone) -> list[Bad]:
    header, rows = gads(z)
    data = to_csv(header, [*rows, rows[0]])
    n = len(rows)
    return [Bad(z.put(GADS, gads_name("dup_rows"), data), "partial", r"exact duplicate of an earlier row ×1",
                (n + 1, n, 1), r"exact duplicate of row 1")]


def same_file_twice(z: Zone) -> list[Bad]:
    return [Bad(z.put(GADS, f"campaign_performance_{DAY.isoformat()} (1).csv", z.good(GADS)),
                "skipped_duplicate", r"identical content .* already loaded", (0, 0, 0))]


def empty_file(z: Zone) -> list[Bad]:
    return [Bad(z.put("meta_ads", f"ads_insights_{DAY.isoformat()}_empty.json", b""), "quarantined",
                r"no data rows: it is empty \(0 bytes\)", (0, 0, 0))]


def header_only(z: Zone) -> list[Bad]:
    header, _ = gads(z)
    return [Bad(z.put(GADS, gads_name("header_only"), to_csv(header, [])), "quarantined",
                r"no data rows \(header only\)", (0, 0, 0))]


def giant_line(z: Zone) -> list[Bad]:
    header, rows = gads(z)
    row = set_cells(header, list(rows[0]), campaign__name="x" * 300_000)
    return [Bad(z.put(GADS, gads_name("giant_line"), to_csv(header, [row])), "quarantined",
                r"a single field is longer than \d+ characters \(one giant line", (1, 0, 1))]


def ga4_lines(z: Zone) -> list[bytes]:
    return gzip.decompress(z.good("ga4")).splitlines()


def invalid_json_lines(z: Zone) -> list[Bad]:
    lines = ga4_lines(z)
    bad = [lines[0], b'{"event_name": "page_view", "event_date": "2026', b"<html>502 Bad Gateway</html>",
           *lines[1:]]
    n = len(lines)
    return [Bad(z.put("ga4", f"events_{DAY:%Y%m%d}_bad_lines.ndjson.gz", gzip.compress(b"\n".join(bad) + b"\n")),
                "partial", r"2 row\(s\) quarantined: invalid JSON line ×2", (n + 2, n, 2), r"invalid JSON line")]


def json_not_strict(z: Zone) -> list[Bad]:
    """A NaN in an event parameter: Python's json reads it, PostgreSQL's json type refuses it,
    so the row is quarantined (strict JSON check), not the whole file at publish time."""
    lines = ga4_lines(z)
    event = json.loads(lines[0])
    event["event_timestamp"] = str(int(event["event_timestamp"]) + 1)  # its own key
    event["event_params"] = [*event.get("event_params", []), {"key": "score", "value": {"double_value": float("nan")}}]
    bad = [*lines, json.dumps(event).encode()]  # json.dumps writes the NaN literally
    assert b"NaN" in bad[-1]
    n = len(lines)
    return [Bad(z.put("ga4", f"events_{DAY:%Y%m%d}_nan.ndjson.gz", gzip.compress(b"\n".join(bad) + b"\n")),
                "partial", r"1 row\(s\) quarantined: event_params is not valid JSON ×1", (n + 1, n, 1),
                r"event_params is not valid JSON got .*NaN")]


def corrupt_gzip(z: Zone) -> list[Bad]:
    data = bytearray(z.good("ga4"))
    mid = len(data) // 2
    data[mid:mid + 16] = bytes(b ^ 0xFF for b in data[mid:mid + 16])
    return [Bad(z.put("ga4", f"events_{DAY:%Y%m%d}_corrupt.ndjson.gz", bytes(data)), "quarantined",
                r"corrupt gzip", (0, 0, 0))]


def negative_spend(z: Zone) -> list[Bad]:
    doc = json.loads(z.good("meta_ads"))
    doc["data"].append({**doc["data"][0], "adset_id": "999000000000001", "spend": "-12.50"})
    n = len(doc["data"])
    return [Bad(z.put("meta_ads", f"ads_insights_{DAY.isoformat()}_negative.json", json.dumps(doc).encode()),
                "partial", r"spend is negative ×1", (n, n - 1, 1), r"spend is negative got Decimal\('-12.50'\)")]


def absurd_spend(z: Zone) -> list[Bad]:
    header, rows = gads(z)
    n = len(rows)
    rows += [set_cells(header, list(rows[0]), campaign__id="99000001", metrics__cost_micros="5000000000000000"),
             set_cells(header, list(rows[0]), campaign__id="99000002", metrics__cost_micros="99999999999999999999")]
    return [Bad(z.put(GADS, gads_name("absurd"), to_csv(header, rows)), "partial",
                r"cost is implausibly large \(above 1,000,000,000\).*cost_micros is out of range", (n + 2, n, 2),
                r"implausibly large|out of range")]


def future_dates(z: Zone) -> list[Bad]:
    data, n = gads_with(z, extra=lambda h, r: set_cells(h, r, segments__date="2027-01-03", campaign__id="99000003"))
    return [Bad(z.put(GADS, gads_name("future"), data), "partial",
                r"date is after the file's partition window \(future date\?\) ×1", (n + 1, n, 1),
                r"after the file's partition window")]


def unknown_currency(z: Zone) -> list[Bad]:
    data, n = gads_with(z, extra=lambda h, r: set_cells(h, r, customer__currency_code="XYZ", campaign__id="99000004"))
    return [Bad(z.put(GADS, gads_name("currency"), data), "partial",
                r"currency_code is not an ISO 4217 currency code ×1", (n + 1, n, 1), r"ISO 4217.* got 'XYZ'")]


def spreadsheet_formula(z: Zone) -> list[Bad]:
    header, rows = gads(z)
    # In the account name: a renamed *campaign* would legitimately move spend in name-based
    # mappings, and the whole-corpus test compares the marts.
    rows[0] = set_cells(header, rows[0], customer__descriptive_name=FORMULA)
    return [Bad(z.put(GADS, gads_name("formula"), to_csv(header, rows)), "loaded",
                r"spreadsheet formula text in 1 cell\(s\), kept verbatim.*account_name=.=cmd", (len(rows),) * 2 + (0,))]


def relined(z: Zone) -> bytes:
    """The clean file with LF line endings: new bytes (so not a duplicate), the same rows."""
    return z.good(GADS).replace(b"\r\n", b"\n")


def path_traversal(z: Zone) -> list[Bad]:
    """POSIX names cannot hold '/', but they can hold what a careless join or URL-decode would
    turn into one. Names are only ever data: nothing is written outside quarantine/."""
    n = relined(z).count(b"\n") - 1
    return [Bad(z.put(GADS, "%2e%2e%2f%2e%2e%2fescape.csv", z.good(GADS)), "quarantined", r"matches no export",
                (n, 0, n)),
            Bad(z.put(GADS, "campaign_performance_..\\..\\..\\escape.csv", relined(z)), "loaded", "", (n, n, 0))]


def odd_file_names(z: Zone) -> list[Bad]:
    n = relined(z).count(b"\n") - 1
    return [Bad(z.put(GADS, b"campaign_performance_\xff\xfe.csv", relined(z)), "quarantined",
                r"file name is not valid UTF-8", (0, 0, 0)),
            Bad(z.put(GADS, "-rf ~$budget (copy).xlsx", b"PK\x03\x04"), "quarantined", r"matches no export"),
            Bad(z.put(GADS, "campaign_performance_line\nbreak.csv", relined(z)), "quarantined",
                r"file name contains control characters", (0, 0, 0)),
            Bad(z.put(GADS, f"campaign_performance_{DAY.isoformat()} – копия (1).csv", relined(z)), "loaded", "",
                (n, n, 0))]


def symlink(z: Zone) -> list[Bad]:
    outside = z.home / "outside.csv"
    outside.write_bytes(relined(z))
    link = z.folder(GADS) / gads_name("symlink")
    link.symlink_to(outside)
    return [Bad(link.name, "quarantined", r"symbolic link", (0, 0, 0))]


CASES: dict[str, Callable[[Zone], list[Bad]]] = {f.__name__: f for f in (
    truncated_csv, wrong_delimiter, utf16, latin1, bom, decimal_commas, thousands_separators,
    missing_column, extra_column, renamed_column, type_changed, duplicated_rows, same_file_twice,
    empty_file, header_only, giant_line, invalid_json_lines, json_not_strict, corrupt_gzip, negative_spend,
    absurd_spend, future_dates, unknown_currency, spreadsheet_formula, path_traversal,
    odd_file_names, symlink)}
EDITS_GOOD_DATA = {"spreadsheet_formula"}  # a renamed campaign: same rows and money, new text


# ---------------------------------------------------------------------------------------
# the loader and the checks


def ingest(run_id: str, channels: list[str] | None = None) -> None:
    """The real loader (plan → stage → publish), without Data Docs (seconds per run here)."""
    from journeymart.ingest import plan_exports, stage_channel
    from journeymart.publish import publish

    manifests = [p for b in plan_exports(DAY, DAY, channels) for p in stage_channel(b, run_id)]
    publish([Path(p) for p in manifests], (), run_id)


def q(home: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def raw_snapshot(home: Path) -> dict[str, tuple]:
    """Per raw table: row count, the sum of each decimal column, and a hash of the business
    columns (lineage excluded: a re-delivery of the same rows has new lineage)."""
    out = {}
    for e in registry.load().entities:
        cols = ", ".join(f'"{c}"' for c in e.columns)
        sums = "".join(f', sum("{c}")' for c, t in e.columns.items() if t == "decimal")
        exists = q(home, "select count(*) from information_schema.tables where table_schema = 'raw' "
                         "and table_name = ?", [e.table])[0][0]
        out[e.table] = q(home, f"select count(*), sum(hash({cols})){sums} from raw.{e.table}")[0] if exists else None
    return out


def restore(home: Path, pristine: Path) -> None:
    """Put `home` back to its state after the base load. In place, not a copy elsewhere: the
    ledger records absolute source paths, which is how the loader knows a file is done."""
    for sub in ("landing", "quarantine", "staging"):
        shutil.rmtree(home / sub, ignore_errors=True)
    shutil.copytree(pristine / "landing", home / "landing", symlinks=True)
    (home / "quarantine").mkdir()
    for p in home.glob("warehouse.duckdb*"):
        p.unlink()
    shutil.copy(pristine / "warehouse.duckdb", home / "warehouse.duckdb")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Days 1–3 generated and loaded, except the companion file (kept aside)."""
    from journeymart.config import paths
    from journeymart.generate import generate_landing
    from journeymart.ingest import run_window

    home = tmp_path_factory.mktemp("bad_inputs") / "jm"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JOURNEYMART_HOME", str(home))
        mp.delenv("JOURNEYMART_LANDING_URL", raising=False)
        mp.delenv("JOURNEYMART_WAREHOUSE", raising=False)
        paths().ensure()
        generate_landing(home / "landing", START, 3, 30, 7, progress=False)
        companion = home / "landing" / COMPANION[0] / DAY.isoformat() / COMPANION[1]
        aside = home.parent / COMPANION[1]
        companion.rename(aside)
        run_window(START, DAY, "base", now=NOW)
        statuses = {r[0] for r in q(home, "select status from audit.load_ledger")}
        assert statuses == {"loaded"}, statuses
        pristine = home.parent / "pristine"
        shutil.copytree(home / "landing", pristine / "landing")
        shutil.copy(home / "warehouse.duckdb", pristine / "warehouse.duckdb")
        return {"home": home, "pristine": pristine, "companion": aside, "raw": raw_snapshot(home)}


@pytest.fixture
def case_home(base: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Path:
    home = base["home"]
    restore(home, base["pristine"])
    monkeypatch.setenv("JOURNEYMART_HOME", str(home))
    monkeypatch.delenv("JOURNEYMART_LANDING_URL", raising=False)
    monkeypatch.delenv("JOURNEYMART_WAREHOUSE", raising=False)
    shutil.copy(base["companion"], home / "landing" / COMPANION[0] / DAY.isoformat() / COMPANION[1])
    return home


def ledger(home: Path, run_id: str) -> dict[str, dict[str, Any]]:
    cols = ["load_id", "channel", "entity", "file_name", "source_path", "status", "reason", "rows_in",
            "rows_loaded", "rows_quarantined", "validation_summary"]
    rows = q(home, f"select {', '.join(cols)} from audit.load_ledger where run_id = ?", [run_id])
    return {r[3]: dict(zip(cols, r, strict=True)) for r in rows}


def check_bad_file(home: Path, bad: Bad, row: dict[str, Any]) -> None:
    where = f"{bad.name!r}: {row}"
    assert row["status"] == bad.status, where
    assert row["rows_in"] == row["rows_loaded"] + row["rows_quarantined"], where
    if bad.rows is not None:
        assert (row["rows_in"], row["rows_loaded"], row["rows_quarantined"]) == bad.rows, where
    notes = json.loads(row["validation_summary"] or "{}").get("notes", [])
    said = " | ".join([row["reason"] or "", *notes])
    assert re_search(bad.reason, said), f"reason {bad.reason!r} not in {said!r}"
    if bad.status in ("loaded", "skipped_duplicate"):
        assert bad.status == "skipped_duplicate" or row["reason"] is None, where
        return
    assert row["reason"], where  # every rejection says why
    if bad.status == "quarantined":
        folder = home / "quarantine" / row["channel"] / DAY.isoformat()
        [note] = folder.glob(f"{row['load_id']}__*.reason.txt")
        assert row["reason"] in note.read_text()
        return
    table = f"{row['channel']}__{row['entity']}"
    reasons = [r[0] for r in q(home, f"select reason from quarantine.{table} where _load_id = ?", [row["load_id"]])]
    assert len(reasons) == row["rows_quarantined"], where
    assert all(re_search(bad.row_reason or bad.reason, r) for r in reasons), reasons


def re_search(pattern: str, text: str) -> bool:
    import re

    return re.search(pattern, text, re.IGNORECASE | re.DOTALL) is not None


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_rejected_with_a_reason_and_good_data_is_untouched(
        case: str, base: dict[str, Any], case_home: Path) -> None:
    bads = CASES[case](Zone(case_home))
    run_id = f"case-{case}"
    channels = sorted({*CASES_CHANNELS[case], COMPANION[0]})
    ingest(run_id, channels)

    rows = ledger(case_home, run_id)
    companion = rows.pop(COMPANION[1])
    assert (companion["status"], companion["rows_loaded"]) == ("loaded", 3), companion
    assert sorted(rows) == sorted(b.name for b in bads), "every bad file has exactly one ledger row"
    for bad in bads:
        check_bad_file(case_home, bad, rows[bad.name])

    after, before = raw_snapshot(case_home), base["raw"]
    fx = registry.load().channel("finance").entity("fx_rates").table
    assert after.pop(fx)[0] == before[fx][0] + 3
    for table, snap in after.items():
        if case in EDITS_GOOD_DATA and table == f"{GADS}__campaign_stats":
            assert (snap[0], snap[2:]) == (before[table][0], before[table][2:]), table  # counts and money
        else:
            assert snap == before[table], f"raw.{table} changed"
    if case == "same_file_twice":  # and the same run again changes nothing
        n = q(case_home, "select count(*) from audit.load_ledger")
        ingest(run_id + "-again", channels)
        assert q(case_home, "select count(*) from audit.load_ledger") == n
    if case == "spreadsheet_formula":  # kept verbatim, not defused
        assert q(case_home, "select count(*) from raw.google_ads__campaign_stats where account_name = ?",
                 [FORMULA]) == [(1,)]
    stray = [p for p in case_home.parent.rglob("*escape*")
             if not {"landing", "quarantine", "pristine"} & set(p.relative_to(case_home.parent).parts)]
    assert not stray, f"a file name escaped its folder: {stray}"


CASES_CHANNELS = {name: [GADS] for name in CASES} | {
    "decimal_commas": ["linkedin_ads"], "empty_file": ["meta_ads"], "negative_spend": ["meta_ads"],
    "invalid_json_lines": ["ga4"], "json_not_strict": ["ga4"], "corrupt_gzip": ["ga4"]}


def test_corpus_has_at_least_twenty_distinct_cases() -> None:
    assert len(CASES) >= 20 and len(set(CASES.values())) == len(CASES)


# ---------------------------------------------------------------------------------------
# the whole corpus at once, through Airflow, between two dbt builds


def run(home: Path, *cmd: str) -> subprocess.CompletedProcess[str]:
    """A subprocess on `home` (dbt in-process would keep the DuckDB file open and lock out
    the DAG's publisher)."""
    return subprocess.run(list(cmd), env=env_for(home), capture_output=True, text=True, timeout=1200)


def dbt_build(home: Path) -> None:
    project = Path(__file__).resolve().parents[1] / "dbt_project"
    out = run(home, str(Path(sys.executable).parent / "dbt"), "build", "--project-dir", str(project),
              "--profiles-dir", str(project), "--target-path", str(home / "dbt-target"),
              "--log-path", str(home / "dbt-logs"))
    assert out.returncode == 0, out.stdout[-4000:]


def marts(home: Path) -> dict[str, tuple]:
    """Per mart: row count and the sum of every DECIMAL column."""
    cols = q(home, "select table_name, column_name from information_schema.columns "
                   "where table_schema = 'marts' and data_type like 'DECIMAL%' order by all")
    out = {}
    for (table,) in q(home, "select table_name from information_schema.tables where table_schema = 'marts' "
                            "order by 1"):
        sums = "".join(f', sum("{c}")' for t, c in cols if t == table)
        out[table] = q(home, f'select count(*){sums} from marts."{table}"')[0]
    return out


@pytest.mark.slow
def test_whole_corpus_through_the_dag_leaves_marts_for_good_data_unchanged(
        base: dict[str, Any], case_home: Path) -> None:
    home = case_home
    ingest("companion", [COMPANION[0]])  # good data: part of "before"
    dbt_build(home)
    before, raw_before = marts(home), raw_snapshot(home)
    assert before and all(snap[0] > 0 for snap in before.values()), before

    bads = [b for make in CASES.values() for b in make(Zone(home))]
    out = run(home, sys.executable, "-m", "journeymart.cli", "ingest", "--date", DAY.isoformat())
    logs = out.stdout + out.stderr
    assert out.returncode == 0 and "success" in out.stdout, logs[-4000:]
    assert "Traceback" not in logs, logs[-4000:]

    rows = q(home, "select file_name, status, reason, rows_in, rows_loaded, rows_quarantined "
                   "from audit.load_ledger where run_id not in ('base', 'companion')")
    got = {r[0]: r for r in rows}
    assert sorted(got) == sorted(b.name for b in bads), "every corpus file has one ledger row"
    for b in bads:
        name, status, reason, rows_in, ok, bad = got[b.name]
        assert rows_in == ok + bad, got[b.name]
        if b.status == "quarantined":  # whole-file rejections do not depend on the others
            assert status == "quarantined" and re_search(b.reason, reason), got[b.name]
        else:  # re-deliveries of the same day replace each other in file-name order
            assert status in ("loaded", "partial", "skipped_duplicate", "superseded"), got[b.name]

    def counts_and_money(snap: tuple | None) -> tuple:
        return () if snap is None else (snap[0], *snap[2:])  # the content hash may differ: a
        # formula renamed a campaign

    for table, snap in raw_snapshot(home).items():
        assert counts_and_money(snap) == counts_and_money(raw_before[table]), f"raw.{table} changed"
    dbt_build(home)
    assert marts(home) == before
