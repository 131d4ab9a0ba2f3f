"""The load path's fast paths give exactly what the slow paths give.

- GA4 events: `ga4_fast` (msgspec structs, casts per column) against the row loop
  `ga4.parse_events_rowwise`, cell by cell with types, on generated days, the real samples,
  and odd files; a file the fast reader cannot prove goes to the loop whole.
- CSV exports: `base.parse_csv` (cast a column at a time, once per distinct value) against
  `base.parse_csv_rowwise`, on every CSV entity's hand-written file, generated days, odd
  variants (ragged rows, repeated headers, null tokens, grouped and comma decimals, formulas,
  padding), and a cast that raises; files Arrow reads (`csv_arrow`) and quirks it leaves to the
  csv module (stray quotes, blank rows, footers, long cells) alike.
- Validation: one GE run of the whole suite against the two passes (types, then values).
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from journeymart import registry
from journeymart.parsers import ga4, ga4_fast
from journeymart.parsers.base import PARSE_ERROR, Parsed, StructuralError

REG = registry.load()
CHANNEL = REG.channel("ga4")
ENTITY = CHANNEL.entity("events")
FIXTURES = Path(__file__).parent / "fixtures" / "ga4"
SHARED_SAMPLES = Path("/work/shared/samples/ga4_bigquery_export_dataform_ga4_sessions")


def assert_same_frame(fast: pd.DataFrame, slow: pd.DataFrame) -> None:
    assert list(fast.columns) == list(slow.columns)
    assert len(fast) == len(slow)
    for col in slow.columns:
        assert fast[col].dtype == slow[col].dtype == object, col
        for i, (a, b) in enumerate(zip(fast[col].tolist(), slow[col].tolist(), strict=True)):
            # type and repr too: Decimal('1.0') == Decimal('1.00'), True == 1
            assert (type(a), a, repr(a)) == (type(b), b, repr(b)), (col, i)
            if hasattr(b, "tzinfo"):  # the same zone (ZoneInfo compares by identity)
                assert a.tzinfo == b.tzinfo, (col, i)


def outcome(fn: Any, data: bytes, name: str) -> Parsed | str:
    try:
        return fn(data, name, ENTITY, CHANNEL)
    except StructuralError as exc:
        return f"StructuralError: {exc}"


def assert_same_parse(data: bytes, name: str) -> None:
    """The loader's parser (fast or not) gives what the row loop alone gives."""
    got, want = outcome(ga4.parse_events, data, name), outcome(ga4.parse_events_rowwise, data, name)
    if isinstance(want, str):
        assert got == want
        return
    assert isinstance(got, Parsed)
    assert (got.rows_in, got.notes) == (want.rows_in, want.notes)
    assert_same_frame(got.frame, want.frame)


def fast(data: bytes, name: str) -> Parsed:
    return ga4_fast.read_events(data, name, ENTITY, CHANNEL)


@pytest.fixture(scope="module")
def generated_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from journeymart.generate import generate_landing

    out = tmp_path_factory.mktemp("fast") / "landing"
    generate_landing(out, date(2026, 1, 1), 4, 400, 11, progress=False)
    return out


@pytest.fixture(scope="module")
def generated_ga4(generated_landing: Path) -> list[Path]:
    files = sorted((generated_landing / "ga4").glob("*/*"))
    assert len(files) >= 4
    return files


def test_generated_days_take_the_fast_path_and_equal_the_row_loop(generated_ga4: list[Path]) -> None:
    for path in generated_ga4:
        data = path.read_bytes()
        got = fast(data, path.name)  # raises Unproven if it would fall back
        want = ga4.parse_events_rowwise(data, path.name, ENTITY, CHANNEL)
        assert (got.rows_in, got.notes) == (want.rows_in, want.notes)
        assert_same_frame(got.frame, want.frame)
        assert got.frame["purchase_revenue"].notna().any()  # the decimal path is exercised


def real_samples() -> list[Path]:
    shared = sorted(SHARED_SAMPLES.glob("*.ndjson")) if SHARED_SAMPLES.is_dir() else []
    return sorted(FIXTURES.glob("*.ndjson")) + shared


@pytest.mark.parametrize("path", real_samples(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_export_samples_take_the_fast_path_and_equal_the_row_loop(path: Path) -> None:
    data = path.read_bytes()
    for blob, name in ((data, "events_20231215.ndjson"), (gzip.compress(data), "events_20231215.ndjson.gz")):
        got = fast(blob, name)
        want = ga4.parse_events_rowwise(blob, name, ENTITY, CHANNEL)
        assert (got.rows_in, got.notes) == (want.rows_in, want.notes)
        assert_same_frame(got.frame, want.frame)


def first_lines(generated: list[Path], n: int = 40) -> list[dict[str, Any]]:
    lines = gzip.decompress(generated[0].read_bytes()).decode().splitlines()[:n]
    return [json.loads(ln) for ln in lines]


def ndjson(events: list[Any]) -> bytes:
    return ("\n".join(e if isinstance(e, str) else json.dumps(e, separators=(",", ":")) for e in events)
            + "\n").encode()


def with_param(e: dict[str, Any], key: str, **slots: Any) -> dict[str, Any]:
    value = {"string_value": None, "int_value": None, "float_value": None, "double_value": None, **slots}
    return {**e, "event_params": [*e["event_params"], {"key": key, "value": value}]}


# Odd inputs the fast reader must leave to the row loop (its reasons and error rows).
UNPROVEN: dict[str, Any] = {
    "invalid_json_line": lambda ev: [*ev[:3], '{"event_name": "page_view", "event_date": "2026', *ev[3:]],
    "not_an_object": lambda ev: [*ev[:2], "[1, 2]", *ev[2:]],
    "nan_literal": lambda ev: [ev[0], json.dumps(ev[1])[:-1] + ',"x":NaN}', *ev[2:]],
    "number_for_text": lambda ev: [{**ev[0], "event_timestamp": int(ev[0]["event_timestamp"])}, *ev[1:]],
    "number_in_a_param": lambda ev: [with_param(ev[0], "ga_session_number", int_value=7), *ev[1:]],
    "object_for_text": lambda ev: [{**ev[0], "user_id": {"id": 1}}, *ev[1:]],
    "string_for_object": lambda ev: [{**ev[0], "device": "mobile"}, *ev[1:]],
    "params_not_a_list": lambda ev: [{**ev[0], "event_params": {"k": "v"}}, *ev[1:]],
    "extra_key_in_param": lambda ev: [{**ev[0], "event_params": [{**ev[0]["event_params"][0], "x": 1}]}, *ev[1:]],
    "non_ascii_param": lambda ev: [with_param(ev[0], "page_title", string_value="Café ☕"), *ev[1:]],
    "quote_in_param": lambda ev: [with_param(ev[0], "page_title", string_value='say "hi"'), *ev[1:]],
    "control_char_in_param": lambda ev: [with_param(ev[0], "page_title", string_value="a\tb"), *ev[1:]],
    "lone_surrogate_escape": lambda ev: [ev[0], '{"event_name":"a\\ud800b"}', *ev[1:]],
    # written as they are, not escaped: json.dumps escapes both, msgspec neither
    "raw_delete_char_in_param": lambda ev: [
        json.dumps(with_param(ev[0], "page_title", string_value="a\x7fb"), ensure_ascii=False), *ev[1:]],
    "raw_utf8_in_param": lambda ev: [
        json.dumps(with_param(ev[0], "page_title", string_value="Café ☕"), ensure_ascii=False), *ev[1:]],
    # blank to the loop (str.strip), not to the fast reader's bytes
    "file_separator_line": lambda ev: [ev[0], "\x1c", *ev[1:]],
    # two events on one line: msgspec reads a line at a time, as the loop does
    "two_objects_on_a_line": lambda ev: [ev[0], json.dumps(ev[1]) + json.dumps(ev[2]), *ev[3:]],
    "object_over_two_lines": lambda ev: [ev[0], '{"event_name":', '"x"}', *ev[1:]],
}
# Odd but readable inputs the fast reader takes, and must read like the loop.
PROVEN: dict[str, Any] = {
    "blank_and_crlf_lines": lambda ev: [ev[0], "", "  ", *ev[1:]],
    "crlf_lines": lambda ev: ev,
    "no_final_line_break": lambda ev: ev,
    "null_texts_and_padding": lambda ev: [{**ev[0], "user_id": " u1 ", "platform": "-", "event_name": "N/A"},
                                          *ev[1:]],
    "uncastable_values_stay_text": lambda ev: [
        {**ev[0], "event_date": "2026-13-45", "event_timestamp": "soon"},
        with_param(ev[1], "ga_session_number", int_value="12.0"),
        with_param(ev[2], "engagement_time_msec", int_value="1,234"),
        {**ev[3], "event_name": "purchase", "ecommerce": {"purchase_revenue": "12,5"}}, *ev[4:]],
    "duplicate_keys_last_wins": lambda ev: [
        json.dumps(ev[0])[:-1] + ', "event_name": "second"}', *ev[1:]],
    "missing_and_null_slots": lambda ev: [
        {**ev[0], "event_params": [{"key": "source", "value": {"string_value": "x"}},
                                   {"key": "medium", "value": None}, {"value": {"int_value": "3"}}]},
        {**ev[1], "event_params": []}, {**ev[2], "event_params": None}, *ev[3:]],
    # params read into columns of their own (source, medium... come from the event's
    # collected_traffic_source first)
    "repeated_keys_and_later_slots": lambda ev: [
        {**ev[0], "event_params": [{"key": "page_location", "value": {"string_value": "x"}},
                                   {"key": "page_location", "value": None},
                                   {"key": "page_referrer", "value": {"string_value": None, "int_value": "5",
                                                                      "float_value": "6"}},
                                   {"key": "transaction_id", "value": {"string_value": "t"}},
                                   {"key": "transaction_id", "value": {"string_value": None, "int_value": None,
                                                                       "float_value": None, "double_value": "2.5"}},
                                   {"key": "engagement_time_msec", "value": {
                                       "string_value": None, "int_value": None, "float_value": None,
                                       "double_value": None}}]},
        *ev[1:]],
    "purchase_value_from_params": lambda ev: [
        with_param({**ev[0], "event_name": "purchase", "ecommerce": None}, "value", double_value="19.90"),
        with_param({**ev[1], "event_name": "purchase", "ecommerce": None}, "value", double_value="0.10"),
        *ev[2:]],
    "fields_missing": lambda ev: [{"event_name": "x"}, {}, *ev[2:]],
    "escapes_and_unicode_outside_params": lambda ev: [
        '{"event_name":"\\ud83d\\ude00 caf\\u00e9","user_id":"x\u2028y","big":1e400,"n":123456789012345678901234567890}',
        *ev[1:]],
}


@pytest.mark.parametrize("case", sorted(UNPROVEN))
def test_unproven_files_go_to_the_row_loop_whole(case: str, generated_ga4: list[Path]) -> None:
    data = ndjson(UNPROVEN[case](first_lines(generated_ga4)))
    with pytest.raises(ga4_fast.Unproven):
        fast(data, "events_20260101.ndjson")
    assert_same_parse(data, "events_20260101.ndjson")
    assert_same_parse(gzip.compress(data), "events_20260101.ndjson.gz")


@pytest.mark.parametrize("case", sorted(PROVEN))
def test_odd_but_readable_files_read_like_the_row_loop(case: str, generated_ga4: list[Path]) -> None:
    data = ndjson(PROVEN[case](first_lines(generated_ga4)))
    if case in ("blank_and_crlf_lines", "crlf_lines"):
        data = data.replace(b"\n", b"\r\n")
    if case == "no_final_line_break":
        data = data.rstrip(b"\n")
    fast(data, "events_20260101.ndjson")  # taken, not left to the loop
    assert_same_parse(data, "events_20260101.ndjson")


def test_lines_are_decoded_in_place_unless_one_is_blank(generated_ga4: list[Path]) -> None:
    """`_decode_lines` (views of the text) reads a file of one event per line, CRLF or not,
    as `_decode_each` (the loop's line rules) does; a blank line leaves the file to the latter."""
    raw = gzip.decompress(generated_ga4[0].read_bytes())
    for text in (raw, raw.replace(b"\n", b"\r\n"), raw.rstrip(b"\n")):
        events, numbers = ga4_fast._decode_lines(text)
        assert events and (events, numbers) == ga4_fast._decode_each(text)
        assert numbers == list(range(1, len(events) + 1))
    blank = raw.replace(b"\n", b"\n\n", 1)
    assert ga4_fast._decode_lines(blank) == ([], [])
    events, numbers = ga4_fast._decode_each(blank)
    assert numbers[:3] == [1, 3, 4]


@pytest.mark.parametrize("data, name", [
    (b"", "events_20260101.ndjson"),
    (b"\n\n", "events_20260101.ndjson"),
    (b"\x1f\x8b\x08\x00garbage", "events_20260101.ndjson.gz"),
    ("{}\n".encode("utf-16"), "events_20260101.ndjson"),
    (b'{"event_name":"caf\xe9"}\n', "events_20260101.ndjson"),
    # Latin-1 in a field the fast reader skips (msgspec does not check UTF-8 there)
    (b'{"event_name":"x","items":[{"item_name":"caf\xe9"}]}\n', "events_20260101.ndjson"),
    (b'{"event_name":"x"}\n\x00\n', "events_20260101.ndjson"),
    (b'{"event_name":"x"}\n{"event_name":"y"', "events_20260101.ndjson"),
    (b"not json\n{broken\n", "events_20260101.ndjson"),
])
def test_structural_errors_keep_their_reason(data: bytes, name: str) -> None:
    with pytest.raises(ga4_fast.Unproven):
        fast(data, name)
    assert_same_parse(data, name)


def test_truncated_gzip_keeps_its_reason(generated_ga4: list[Path]) -> None:
    data = generated_ga4[0].read_bytes()[:-12]
    assert_same_parse(data, generated_ga4[0].name)
    assert "corrupt gzip" in str(outcome(ga4.parse_events, data, generated_ga4[0].name))


def stage_one(home: Path, data: bytes, name: str, run_id: str) -> dict[str, Any]:
    from journeymart.landing import list_exports
    from journeymart.stage import stage_files

    day = date(2026, 1, 1)
    folder = home / "landing" / "ga4" / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    (folder / name).write_bytes(data)
    [m] = stage_files(list_exports("ga4", day), run_id, home / "staging" / run_id)
    return {k: getattr(m, k) for k in ("verdict", "reason", "rows_in", "rows_good", "rows_bad", "notes")} | {
        "failed": m.validation_summary.get("failed_expectations")}


@pytest.mark.parametrize("case", ["invalid_json_line", "number_for_text", "uncastable_values_stay_text",
                                  "truncated"])
def test_staged_file_gets_the_same_ledger_outcome_with_or_without_the_fast_path(
        case: str, jm_home: Path, generated_ga4: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    if case == "truncated":
        data = generated_ga4[0].read_bytes()[:-12]
    else:
        data = gzip.compress(ndjson({**UNPROVEN, **PROVEN}[case](first_lines(generated_ga4))))
    name = "events_20260101.ndjson.gz"
    with_fast = stage_one(jm_home, data, name, "fast")
    monkeypatch.setattr(ga4_fast, "parse_events", lambda *a: None)
    row_loop = stage_one(jm_home, data, name, "loop")
    assert with_fast == row_loop


# ---------------------------------------------------------------------------------------------
# CSV: the columnar cast == the row loop

CSV_ENTITIES = [e for e in REG.entities if e.format == "csv"]


def csv_outcome(entity: registry.Entity, data: bytes, name: str) -> Parsed | str:
    try:
        return entity.parse_function()(data, name, entity, REG.channel(entity.channel_id))
    except StructuralError as exc:
        return f"StructuralError: {exc}"


def assert_csv_like_row_loop(entity: registry.Entity, data: bytes, name: str,
                             monkeypatch: pytest.MonkeyPatch) -> Parsed | str:
    from journeymart.parsers import base

    got = csv_outcome(entity, data, name)
    with monkeypatch.context() as m:  # Arrow also on files under its size floor, as on big ones
        m.setattr(base, "ARROW_CSV_MIN_BYTES", 0)
        by_arrow = csv_outcome(entity, data, name)
    with monkeypatch.context() as m:
        m.setattr(base, "_csv_columns", lambda *a, **k: (_ for _ in ()).throw(AssertionError("columnar")))
        m.setattr(base, "parse_csv", base.parse_csv_rowwise)
        for module in sys.modules.values():
            if getattr(module, "__name__", "").startswith("journeymart.parsers.") \
                    and getattr(module, "parse_csv", None) is not None:
                m.setattr(module, "parse_csv", base.parse_csv_rowwise)
        want = csv_outcome(entity, data, name)
    if isinstance(want, str):
        assert got == want and by_arrow == want
        return want
    for parsed in (got, by_arrow):
        assert isinstance(parsed, Parsed)
        assert (parsed.rows_in, parsed.notes) == (want.rows_in, want.notes)
        assert_same_frame(parsed.frame, want.frame)
    return got


ODD_CELLS = [" - ", "N/A", "1,234.50", "12,5", "=cmd|' /C calc'!A0", "", "  padded  ", "null",
             "2026-02-30", "1e400", "-0", "+7", "TRUE", "0.000", "2026-01-05T10:00:00+02:00"]


def odd_variants(data: bytes) -> dict[str, bytes]:
    """The file with ragged rows, a repeated header, and odd cells in a copied data row."""
    text = data.decode("utf-8-sig")
    nl = "\r\n" if "\r\n" in text else "\n"
    lines = [ln for ln in text.split(nl) if ln]
    header_at = next(i for i, ln in enumerate(lines) if ln.count(",") >= 1)
    head, body = lines[: header_at + 1], lines[header_at + 1:]
    row = next(ln for ln in body if not ln.lower().startswith("total"))
    width = len(next(csv.reader([lines[header_at]])))
    odd = ",".join(f'"{ODD_CELLS[i % len(ODD_CELLS)]}"' for i in range(width))
    out = {
        "ragged": [*head, row, row.split(",")[0], row + ",extra", *body],
        "repeated_header": [head[-1] + "," + head[-1].split(",")[0], *[ln + ",dup" for ln in body]],
        "odd_cells": [*head, *[",".join(f'"{ODD_CELLS[(i + k) % len(ODD_CELLS)]}"' for i in range(width))
                               for k in range(len(ODD_CELLS))], *body],
        "odd_cells_and_ragged": [*head, odd, odd + ",x", *body],
    }
    if len(head) > 1:  # title rows (LinkedIn): keep them in front of the repeated header
        out["repeated_header"] = [*head[:-1], *out["repeated_header"]]
    return {k: (nl.join(v) + nl).encode() for k, v in out.items()}


@pytest.mark.parametrize("entity", CSV_ENTITIES, ids=lambda e: e.table)
def test_csv_columnar_cast_equals_the_row_loop(entity: registry.Entity, generated_landing: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from test_parsers import MINIMAL

    data, name = MINIMAL[entity.table]
    assert isinstance(assert_csv_like_row_loop(entity, data, name, monkeypatch), Parsed)
    for case, variant in odd_variants(data).items():
        got = assert_csv_like_row_loop(entity, variant, name, monkeypatch)
        assert isinstance(got, Parsed) or case == "repeated_header", (case, got)
    generated = [p for p in sorted(generated_landing.glob("*/*/*")) if entity.matches(p.name)]
    assert generated or entity.table in {"webinars__sessions", "webinars__registrants",
                                         "events__event_costs", "events__lead_scans",
                                         "finance__budget_plan"}, entity.table
    for path in generated[:2]:
        assert isinstance(assert_csv_like_row_loop(entity, path.read_bytes(), path.name, monkeypatch), Parsed)


# CSV quirks for Arrow's reader (`csv_arrow`): each file reads like the row loop, and the cases
# marked True are read by Arrow (the others by the csv module: Arrow would read them otherwise).
MMP_HEADER = ("Event Time,Event Name,Event Value,Event Revenue,Event Revenue Currency,Event Revenue USD,"
              "Media Source,Campaign,AppsFlyer ID,Customer User ID,Platform,App ID")
MMP_ROW = "2026-01-05 13:05:00,af_login,,,,,organic,,1767611000000-2222222,,ios,id123456"
ARROW_CSV_CASES: dict[str, tuple[str, bool]] = {
    "lf": (f"{MMP_HEADER}\n{MMP_ROW}\n", True),
    "cr_only": (f"{MMP_HEADER}\r{MMP_ROW}\r{MMP_ROW}", True),
    "bom_and_no_final_line_break": (f"\ufeff{MMP_HEADER}\r\n{MMP_ROW}", True),
    "quoted_commas_quotes_and_line_breaks": (
        f'{MMP_HEADER}\n2026-01-05 13:00:00,af_purchase,"{{""a"":""x,y""}}",12.50,EUR,13.60,'
        '"Face\nbook, Ads","re""tar""get",1-1,"",android,"com.demo\r\napp"\n', True),
    "blank_lines_between_rows": (f"{MMP_HEADER}\n\n{MMP_ROW}\n\r\n\n{MMP_ROW}\n\n", True),
    "header_case_spaces_and_a_duplicate": (
        f"{MMP_HEADER.replace('Event Name', ' event  NAME ')},Platform\n{MMP_ROW},web\n", True),
    "odd_whitespace_cells": (MMP_HEADER + "\n" + MMP_ROW.replace("organic", " \u00a0 ").replace("ios", "\x1c") + "\n",
                             True),
    "text_after_a_closing_quote": (f'{MMP_HEADER}\n{MMP_ROW.replace("organic", chr(34) + "org" + chr(34) + "anic")}\n',
                                   False),
    "quote_inside_a_cell": (f'{MMP_HEADER}\n{MMP_ROW.replace("organic", "org" + chr(34) + "anic")}\n', False),
    "unterminated_quote": (f'{MMP_HEADER}\n{MMP_ROW}\n{MMP_ROW.replace("id123456", chr(34) + "id12")}', False),
    "row_of_empty_cells": (f"{MMP_HEADER}\n{MMP_ROW}\n{',' * 11}\n{MMP_ROW}\n", False),
    "row_of_blank_cells": (f"{MMP_HEADER}\n{MMP_ROW}\n{' ,' * 11}\u2003\n{MMP_ROW}\n", False),
    # every column is blank in some row, but no row in all of them
    "blank_cells_in_every_column_no_blank_row": (
        f"{MMP_HEADER}\n{MMP_ROW}\n,,,,,,organic,,1-1,,ios,id1\n2026-01-05 13:06:00,af_login{',' * 10}\n", True),
    "blank_line_before_the_header": (f"\n{MMP_HEADER}\n{MMP_ROW}\n", False),
    "totals_footer": (f"{MMP_HEADER}\n{MMP_ROW}\nTotal,,,,,,,,,,,\n", False),
    "short_row": (f"{MMP_HEADER}\n{MMP_ROW}\n{MMP_ROW.rsplit(',', 1)[0]}\n", False),
    "header_only": (f"{MMP_HEADER}\n", False),
}


@pytest.mark.parametrize("case", sorted(ARROW_CSV_CASES))
def test_csv_quirks_read_by_arrow_or_the_csv_module_like_the_row_loop(
        case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from journeymart.parsers import base

    text, by_arrow = ARROW_CSV_CASES[case]
    data = text.encode()
    assert (base.arrow_csv(data, "in_app_events_2026-01-05.csv") is not None) is by_arrow
    assert_csv_like_row_loop(REG.entity("mmp__in_app_events"), data, "in_app_events_2026-01-05.csv", monkeypatch)


def test_a_cell_over_the_csv_modules_field_limit_is_left_to_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from journeymart.parsers import base

    limit = csv.field_size_limit()
    data = f"{MMP_HEADER}\n{MMP_ROW.replace('organic', 'x' * 200)}\n".encode()
    try:
        csv.field_size_limit(201)
        assert base.arrow_csv(data, "in_app_events_2026-01-05.csv") is not None
        for limit_now, loads in ((200, True), (199, False)):  # Arrow stops one short, to be safe
            csv.field_size_limit(limit_now)
            assert base.arrow_csv(data, "in_app_events_2026-01-05.csv") is None
            got = assert_csv_like_row_loop(REG.entity("mmp__in_app_events"), data, "in_app_events_2026-01-05.csv",
                                           monkeypatch)
            assert isinstance(got, Parsed) if loads else "longer than 199 characters" in got
    finally:
        csv.field_size_limit(limit)


@pytest.mark.parametrize("table", ["email__recipient_activity", "mmp__in_app_events", "mmp__installs"])
def test_generated_csv_days_are_read_by_arrow(table: str, generated_landing: Path) -> None:
    from journeymart.parsers import base

    entity = REG.entity(table)
    paths = [p for p in sorted(generated_landing.glob("*/*/*")) if entity.matches(p.name)]
    assert paths
    for path in paths:
        assert base.arrow_csv(path.read_bytes(), path.name) is not None, path.name


@pytest.mark.parametrize("cast", ["to_int", "to_count", "micros_to_timestamp", "micros_to_decimal"])
def test_digit_cells_read_directly_equal_the_cast(cast: str) -> None:
    """int and epoch casts read cells of plain digits without their checks: every other
    cell still goes through the cast, and the two agree cell by cell with types."""
    from journeymart.parsers import base

    fn = getattr(base, cast)
    assert fn in base._FROM_DIGITS
    odd = ["0", "007", "9" * 18, "9" * 19, "1" * 25, "\u0661\u0662", "\u00b2", " 12", "12 ", "+1", "-1", "",
           "null", "N/A", "1,234", "12.0", "1e3", 12, 12.0, True, None, "1735689600000000"]
    values = [str(n) for n in range(40)] + odd  # mostly distinct: the direct read is taken
    for v in values[:]:
        try:
            fn(v)
        except OverflowError as exc:  # 18 digits of microseconds: past year 9999
            values.remove(v)
            with pytest.raises(OverflowError, match=str(exc)):
                base.cast_distinct(fn, [*values[:40], v])
    got = base.cast_distinct(fn, values)
    want = [fn(v) for v in values]
    assert [(type(g), g, repr(g)) for g in got] == [(type(w), w, repr(w)) for w in want]
    assert any(isinstance(w, str) for w in want) and any(w is None for w in want)


@pytest.mark.parametrize("cast", ["to_int", "to_count", "micros_to_timestamp", "micros_to_decimal"])
def test_a_column_of_digit_cells_is_read_whole_and_equals_the_cast(cast: str) -> None:
    """A column whose every cell is plain digits is read by one check of the column; one cell
    that is not (blank, signed, spaced, a non-ASCII digit, too long, not text) sends the
    column cell by cell. Either way the cells equal the cast's, with types."""
    from journeymart.parsers import base

    fn = getattr(base, cast)
    digits = [str(n) for n in range(40)] + ["007", "1735689600000000", "9" * 17]
    assert base._all_digits(digits)
    got = base.cast_distinct(fn, digits)
    assert [(type(g), g, repr(g)) for g in got] == [(type(w), w, repr(w)) for w in map(fn, digits)]
    for odd in ["", " 12", "12 ", "+1", "-1", "1,234", "12.0", "\u0661\u0662", "\u00b2", "9" * 19, 12, None, True]:
        column = [*digits, odd]
        assert not base._all_digits(column), odd
        got = base.cast_distinct(fn, column)
        assert [(type(g), g, repr(g)) for g in got] == [(type(w), w, repr(w)) for w in map(fn, column)], odd
    assert not base._all_digits([])


def test_csv_cast_that_raises_gives_the_row_loops_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from journeymart.parsers import base, mmp
    from test_parsers import MINIMAL

    entity = REG.entity("mmp__in_app_events")
    data, name = MINIMAL[entity.table]
    tried: list[Any] = []

    def boom(v: Any) -> Any:
        tried.append(v)
        raise OverflowError(f"cannot cast {v!r}")

    monkeypatch.setitem(base.CASTS, "json", boom)  # Event Value
    with pytest.raises(OverflowError) as columnar:
        csv_outcome(entity, data, name)
    with pytest.raises(OverflowError) as row_loop:
        base.parse_csv_rowwise(data, name, entity, mmp.EVENT_FIELDS, tz=mmp.APPSFLYER_TZ)
    # one distinct value tried by the columnar cast (which one depends on set order), then
    # the fallback loop's first row, which is the reference loop's first row
    assert len(tried) == 3 and tried[1] == tried[2]
    assert str(columnar.value) == str(row_loop.value)


# ---------------------------------------------------------------------------------------------
# validation: one run of the whole suite == the structure/types pass, then the values pass


def batch_of(generated: list[Path]) -> pd.DataFrame:
    from journeymart.validation import with_batch_columns

    path = generated[1]
    parsed = ga4.parse_events(path.read_bytes(), path.name, ENTITY, CHANNEL)
    return with_batch_columns(ENTITY, parsed.frame.head(300), date.fromisoformat(path.parent.name))


@pytest.mark.parametrize("table", ["email__recipient_activity", "tiktok_ads__ad_reports", "ga4__events",
                                   "finance__budget_plan"])
def test_a_batch_of_files_has_each_files_loader_columns(table: str) -> None:
    """`batch_of_files` joins the frames and gives each row its file's position and partition
    window, as Python objects (a datetime window too: compared with the object column of
    datetimes it checks, and shown as such in a failing row's reason)."""
    from journeymart.validation import FILE, WINDOW_END, WINDOW_START, batch_of_files, window_bounds

    entity = REG.entity(table)
    sizes, days = (3, 1, 4), (date(2026, 1, 5), date(2026, 1, 6), date(2026, 1, 9))
    files = [(pd.DataFrame({c: [f"{i}.{r}" for r in range(n)] for c in entity.columns}
                           | {PARSE_ERROR: [None] * n}, dtype=object), d)
             for i, (n, d) in enumerate(zip(sizes, days, strict=True))]
    got = batch_of_files(entity, files)
    assert list(got.columns) == [*entity.columns, PARSE_ERROR, FILE, WINDOW_START, WINDOW_END]
    assert got[FILE].dtype == "int64" and got[FILE].tolist() == [0, 0, 0, 1, 2, 2, 2, 2]
    pd.testing.assert_frame_equal(got[[*entity.columns, PARSE_ERROR]], pd.concat([f for f, _ in files], ignore_index=True))
    for col, side in ((WINDOW_START, 0), (WINDOW_END, 1)):
        assert got[col].dtype == object
        want = [window_bounds(entity, d)[side] for n, d in zip(sizes, days, strict=True) for _ in range(n)]
        assert [(type(v), v) for v in got[col]] == [(type(v), v) for v in want]
    assert isinstance(want[0], datetime) == (entity.columns[entity.date_window.column] == "timestamp")


def test_each_files_rows_of_a_batch_are_its_rows_filtered_by_file() -> None:
    """`stage._rows_of_each_file` slices a batch by file: the same rows, index and values as
    filtering it by FILE, an empty file included; a batch not in file order is filtered."""
    from journeymart.stage import _rows_of_each_file
    from journeymart.validation import FILE, batch_of_files

    entity = REG.entity("email__recipient_activity")
    sizes = (3, 0, 4, 1)
    files = [(pd.DataFrame({c: [f"{i}.{r}" for r in range(n)] for c in entity.columns}
                           | {PARSE_ERROR: [None] * n}, dtype=object), date(2026, 1, 5 + i))
             for i, n in enumerate(sizes)]
    batch = batch_of_files(entity, files)
    shuffled = batch.iloc[[4, 0, 7, 1, 2, 3, 5, 6]]
    for b in (batch, shuffled, batch.iloc[:0]):
        got = _rows_of_each_file(b, len(sizes))
        assert len(got) == len(sizes)
        for i, rows in enumerate(got):
            pd.testing.assert_frame_equal(rows, b[b[FILE] == i])
    assert [len(r) for r in _rows_of_each_file(batch, len(sizes))] == list(sizes)


def test_one_validation_run_gives_the_two_passes_row_reasons(generated_ga4: list[Path]) -> None:

    from journeymart.validation import _validate_in_passes, validate_batch

    frame = batch_of(generated_ga4)
    frame.loc[3, "event_name"] = None
    frame.loc[4, "engagement_time_msec"] = -5
    frame.loc[5, "currency"] = "XXX"
    frame.loc[5, "purchase_revenue"] = Decimal("-1")
    frame.loc[7, "event_date"] = date(2025, 1, 1)
    frame.loc[9] = frame.loc[8]  # duplicate key
    one, two = validate_batch(ENTITY, frame), _validate_in_passes(ENTITY, frame)
    assert one.row_reasons == two.row_reasons and one.row_reasons
    assert one.summary == two.summary and one.structural_failure is None
    assert len(one.results) == 1 and not one.results[0]["success"]


def test_results_list_every_failing_row_without_a_query_for_them(generated_ga4: list[Path]) -> None:
    """GE's results keep each failing row's index and value, but not pandas' "query" for
    them (the same indices as text, and a filter of the whole batch per expectation)."""
    from journeymart.validation import validate_batch

    frame = batch_of(generated_ga4)
    frame.loc[[3, 5], "event_name"] = None
    out = validate_batch(ENTITY, frame)
    failed = [r for r in out.results[0]["results"] if not r["success"]]
    assert [r["expectation_config"]["kwargs"]["column"] for r in failed] == ["event_name"]
    assert failed[0]["result"]["unexpected_index_list"] == [3, 5]
    assert "unexpected_index_query" not in failed[0]["result"]
    assert sorted(out.row_reasons) == [3, 5]


def test_a_key_with_null_parts_is_still_checked_for_duplicates(generated_ga4: list[Path]) -> None:
    """The uniqueness check ignores no row (ignore_row_if="never"): keys that are null in
    some of their columns, or in all of them, still repeat."""
    from journeymart.validation import validate_batch

    frame = batch_of(generated_ga4)
    frame.loc[11] = frame.loc[10]
    frame.loc[[10, 11], "event_bundle_sequence_id"] = None
    frame.loc[[20, 21], list(ENTITY.key)] = None
    out = validate_batch(ENTITY, frame)
    dup = {i for i, rs in out.row_reasons.items() if any(r.startswith("duplicate key") for r in rs)}
    assert dup == {10, 11, 20, 21}


def test_type_failures_still_run_the_values_pass_on_typed_rows_only(generated_ga4: list[Path]) -> None:
    from journeymart.validation import validate_batch

    frame = batch_of(generated_ga4)
    frame.loc[2, "event_date"] = "2026-13-45"  # uncastable: kept as text, fails its type
    frame.loc[6, "event_name"] = None
    out = validate_batch(ENTITY, frame)
    assert len(out.results) == 2  # the passes, as before
    assert [r.split(" got ")[0] for r in out.row_reasons[2]] == ["event_date is not a date"]
    assert out.row_reasons[6][0].startswith("required event_name is empty")


def _without_load_times(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _without_load_times(v) for k, v in doc.items() if k != "ge_load_time"}
    if isinstance(doc, list):
        return [_without_load_times(v) for v in doc]
    return doc


def test_domains_narrowed_to_their_columns_give_ges_own_results(
        generated_ga4: list[Path], generated_landing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Column, pair and compound expectations validate only their domain's columns
    (`validation._narrow_domain_records`); row reasons, counts and GE's result documents equal
    those of GE's own whole-batch domains, for values failures and for a type failure (passes)."""
    from datetime import timedelta
    from decimal import Decimal

    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine

    from journeymart import validation

    ga4_values = batch_of(generated_ga4)
    ga4_values.loc[3, "event_name"] = None  # required
    ga4_values.loc[4, "engagement_time_msec"] = -5  # range
    ga4_values.loc[5, "currency"] = "XXX"  # regex
    ga4_values.loc[6, "event_date"] = ga4_values.loc[6, "event_date"] + timedelta(days=3)  # window pair
    ga4_values.loc[10, "event_date"] = None  # required; the window pair skips the row
    ga4_values.loc[[20, 21], list(ENTITY.key)] = None  # compound key with nulls
    ga4_values.loc[9] = ga4_values.loc[8]  # duplicate key
    ga4_types = ga4_values.copy()
    ga4_types.loc[2, "event_date"] = "2026-13-45"  # fails its type: the two passes run
    gads = REG.entity("google_ads__campaign_stats")  # clicks <= impressions: a pair of its own
    path = next(p for p in sorted(generated_landing.glob("google_ads/*/*")) if gads.matches(p.name))
    parsed = gads.parse_function()(path.read_bytes(), path.name, gads, REG.channel("google_ads"))
    gads_frame = validation.with_batch_columns(gads, parsed.frame, date.fromisoformat(path.parent.name))
    gads_frame.loc[0, "clicks"] = gads_frame.loc[0, "impressions"] + 1
    gads_frame.loc[1, "cost"] = Decimal("-1")
    batches = [(ENTITY, ga4_values), (ENTITY, ga4_types), (gads, gads_frame)]

    def outcomes() -> list[Any]:
        runs = [validation.validate_batch(entity, f) for entity, f in batches]
        return [(o.row_reasons, o.summary, o.structural_failure, _without_load_times(o.results)) for o in runs]

    validation._batch_definition()  # installs the narrowing
    narrowed = PandasExecutionEngine.get_domain_records
    assert narrowed.journeymart_narrowed
    fetched: list[int] = []

    def counting(self: Any, domain_kwargs: dict) -> Any:
        out = narrowed(self, domain_kwargs)
        fetched.append(len(out.columns))
        return out

    monkeypatch.setattr(PandasExecutionEngine, "get_domain_records", counting)
    got = outcomes()
    assert max(fetched) == len(ga4_values.columns) and sorted(set(fetched))[:3] == [1, 2, 3]
    monkeypatch.setattr(PandasExecutionEngine, "get_domain_records", narrowed.journeymart_original)
    want = outcomes()
    assert got == want

    # A run keeps each domain's records: GE's own fetch runs once per domain, not per fetch,
    # and the results are the same as fetching every time.
    ges_fetches: list[Any] = []

    def ges_own(self: Any, domain_kwargs: dict) -> Any:
        ges_fetches.append(dict(domain_kwargs))
        return narrowed.journeymart_original(self, domain_kwargs)

    monkeypatch.setattr(PandasExecutionEngine, "get_domain_records", ges_own)
    validation._narrow_domain_records()  # narrowing and keeping, over the counting fetch
    kept = PandasExecutionEngine.get_domain_records
    assert kept.journeymart_narrowed and kept is not narrowed
    assert outcomes() == want
    kept_fetches = len(ges_fetches)
    ges_fetches.clear()
    monkeypatch.setattr(PandasExecutionEngine, "get_domain_records", kept.journeymart_uncached)
    assert outcomes() == want
    assert kept_fetches * 3 < len(ges_fetches), (kept_fetches, len(ges_fetches))
    assert [len(o[3]) for o in got] == [1, 2, 1] and all(o[0] for o in got)
    reasons = " ".join(r for o in got for rs in o[0].values() for r in rs)
    for text in ("required event_name", "required event_date", "engagement_time_msec is negative", "ISO 4217", "partition window",
                 "duplicate key", "event_date is not a date", "clicks is greater than impressions",
                 "cost is negative"):
        assert text in reasons, text


def test_a_runs_kept_domains_differ_by_every_kwarg(monkeypatch: pytest.MonkeyPatch) -> None:
    """Within a run a domain's records are fetched once and each fetch gets its own shallow
    copy; domains that differ in any kwarg (here only `ignore_row_if`) are kept apart."""
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine

    from journeymart import validation

    frame = pd.DataFrame({"a": [1, None, 3], "b": [None, None, 6], "c": [7, 8, 9]}, dtype=object)
    whole: list[dict[str, Any]] = []

    def batch(self: Any, domain_kwargs: dict) -> pd.DataFrame:
        whole.append(dict(domain_kwargs))
        return frame

    monkeypatch.setattr(PandasExecutionEngine, "get_domain_records", batch)
    validation._narrow_domain_records()
    fetch = PandasExecutionEngine.get_domain_records
    engine = object()
    pair = {"batch_id": "b", "column_A": "a", "column_B": "b"}
    token = validation._RUN_DOMAINS.set({})
    try:
        both = fetch(engine, {**pair, "ignore_row_if": "both_values_are_missing"})
        either = fetch(engine, {**pair, "ignore_row_if": "either_value_is_missing"})
        both["added_by_a_metric"] = 1
        again = fetch(engine, {**pair, "ignore_row_if": "both_values_are_missing"})
    finally:
        validation._RUN_DOMAINS.reset(token)
    assert list(both.index) == list(again.index) == [0, 2] and list(either.index) == [2]
    assert list(again.columns) == ["a", "b"] and again is not both
    assert len(whole) == 2  # the third fetch was kept
    fetch(engine, {**pair, "ignore_row_if": "either_value_is_missing"})  # outside a run: fetched
    assert len(whole) == 3
    assert validation._domain_key(engine, {"x": 1}) != validation._domain_key(engine, {"x": True})
    assert validation._domain_key(engine, {"x": [1]}) != validation._domain_key(engine, {"x": [1.0]})
    assert validation._domain_key(engine, {"x": object()}) is None


def test_null_masks_kept_within_a_run_give_ges_own_results(
        generated_ga4: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Within a validation run an object column's null mask is computed once
    (`validation._null_masks_once_per_run`): row reasons, counts and result documents equal
    those computed with pandas' own masks, which GE asks for several times per column."""
    from journeymart import validation

    frame = batch_of(generated_ga4)
    frame.loc[3, "event_name"] = None  # required
    frame.loc[4, "engagement_time_msec"] = -5  # range, in a column with nulls
    frame.loc[[7, 8], "currency"] = ["XXX", None]  # regex, and a null it skips
    frame.loc[9] = frame.loc[8]  # duplicate key

    def outcome() -> Any:
        o = validation.validate_batch(ENTITY, frame)
        return o.row_reasons, o.summary, _without_load_times(o.results)

    validation._batch_definition()  # installs the kept masks
    kept_notnull, kept_isnull = pd.Series.notnull, pd.Series.isnull
    assert kept_notnull.journeymart_kept
    scans: list[int] = []

    def counting(self: pd.Series) -> pd.Series:
        scans.append(len(self))
        return kept_notnull.journeymart_original(self)

    monkeypatch.setattr(pd.Series, "notnull", counting)
    monkeypatch.setattr(pd.Series, "isnull", kept_isnull.journeymart_original)
    validation._null_masks_once_per_run()  # kept masks over the counting scan
    got = outcome()
    kept_scans = len(scans)
    monkeypatch.setattr(pd.Series, "notnull", counting)
    monkeypatch.setattr(pd.Series, "isnull", kept_isnull.journeymart_original)
    scans.clear()
    want = outcome()
    assert got == want
    assert got[0] and 0 < kept_scans * 2 < len(scans), (kept_scans, len(scans))
    reasons = " ".join(r for rs in got[0].values() for r in rs)
    for text in ("required event_name", "engagement_time_msec is negative", "ISO 4217", "duplicate key"):
        assert text in reasons, text


def test_a_kept_null_mask_is_the_masks_of_its_own_memory() -> None:
    """A mask is kept for the memory a Series reads: a view of other rows, another column
    and a changed copy get their own; a caller changing its mask does not change the kept
    one; outside a run pandas computes every mask."""
    from journeymart import validation

    validation._null_masks_once_per_run()
    column = pd.Series(["a", None, "c", None], dtype=object)
    token = validation._RUN_NULL_MASKS.set({})
    try:
        first = column.notnull()
        assert list(first) == [True, False, True, False]
        first[:] = False
        assert list(column.notnull()) == [True, False, True, False]
        assert list(column.isnull()) == [False, True, False, True]
        assert list(column.iloc[1:].notnull()) == [False, True, False]
        assert list(column.iloc[::2].notnull()) == [True, True]
        other = pd.Series([None, "b", None, "d"], dtype=object)
        assert list(other.notnull()) == [False, True, False, True]
        changed = column.copy()
        changed.iloc[1] = "b"
        assert list(changed.notnull()) == [True, True, True, False]
        assert list(pd.Series([1.0, None]).notnull()) == [True, False]  # not object: pandas'
        kept = validation._RUN_NULL_MASKS.get()
        assert kept is not None and len(kept) == 5
    finally:
        validation._RUN_NULL_MASKS.reset(token)
    assert validation._RUN_NULL_MASKS.get() is None
    assert list(column.notnull()) == [True, False, True, False]


class _Claims:
    """An object whose `__class__` says what it was told: isinstance believes it, its type does
    not, and two of them of one type claim different classes."""

    def __init__(self, claimed: type) -> None:
        self.claimed = claimed

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # noqa: D105
        return self.claimed


def test_type_lists_checked_by_class_give_ges_own_results(
        generated_ga4: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """`validation._type_lists_by_class` runs GE's type check once per class in a column: the
    same failing rows as GE's check of every cell, for cast failures in a GA4 batch and for
    odd values (bool as int, numpy scalars, an object claiming another class, a column that
    is not of object dtype)."""
    import great_expectations as gx
    from great_expectations.execution_engine import PandasExecutionEngine
    from great_expectations.expectations import registry as gx_registry
    from great_expectations.validator.v1_validator import Validator

    from journeymart import validation

    frame = batch_of(generated_ga4)
    frame.loc[2, "event_date"] = "2026-13-45"
    frame.loc[3, "event_timestamp"] = "soon"
    frame.loc[4, "engagement_time_msec"] = "1,234"
    frame.loc[5, "ga_session_number"] = True
    odd = pd.DataFrame({"a": [datetime(2026, 1, 1), _Claims(datetime), "x", None, 1, True,
                              Decimal("1.5"), np.int64(3), date(2026, 1, 1), _Claims(str)]}, dtype=object)
    numbers = pd.DataFrame({"a": np.array([1, 2, 3], dtype="int64")})

    def unexpected(f: pd.DataFrame, type_list: list[str]) -> list[Any]:
        validator = Validator(batch_definition=validation._batch_definition(), batch_parameters={"dataframe": f},
                              result_format=validation.RESULT_FORMAT)
        suite = gx.ExpectationSuite(name="types", expectations=[
            gx.expectations.ExpectColumnValuesToBeInTypeList(column="a", type_list=type_list)])
        result = validator.validate_expectation_suite(suite).results[0]
        return [result.success, result.result.get("unexpected_index_list")]

    def outcomes() -> list[Any]:
        o = validation.validate_batch(ENTITY, frame)
        return [o.row_reasons, o.summary, _without_load_times(o.results)] + [
            unexpected(f, types) for f in (odd, numbers)
            for types in (["datetime"], ["int"], ["Decimal"], ["str"], ["int64"], ["date"])]

    validation._batch_definition()  # installs the check by class
    providers = gx_registry._registered_metrics["column_values.in_type_list.condition"]["providers"]
    by_class = providers[PandasExecutionEngine.__name__]
    assert by_class[1].journeymart_by_class
    got = outcomes()
    monkeypatch.setitem(providers, PandasExecutionEngine.__name__, (by_class[0], by_class[1].journeymart_original))
    want = outcomes()
    assert got == want
    reasons = " ".join(r for rs in got[0].values() for r in rs)
    for text in ("event_date is not a date", "event_timestamp is not a timestamp",
                 "column=engagement_time_msec, type_list=['int']"):
        assert text in reasons, text
    assert got[3] == [False, [2, 4, 5, 6, 7, 8, 9]]  # datetime: the object claiming it passes


def test_metric_ids_of_plain_kwargs_are_ges_own() -> None:
    """`validation._plain_metric_ids` converts plain values for GE's metric ids itself: the
    same JSON as GE's `convert_to_json_serializable`, for plain values and for others."""
    import enum
    from decimal import Decimal

    import numpy as np
    from great_expectations.core import id_dict
    from great_expectations.core.domain import Domain

    from journeymart import validation

    validation._batch_definition()
    fast = id_dict.convert_to_json_serializable
    assert fast.journeymart_plain
    ges = fast.journeymart_original

    class Kind(enum.StrEnum):
        A = "a"

    values = [None, "x", "", 0, -3, True, False, 1.5, float("nan"), float("inf"), [1, None, "a"], (2, 3),
              {"column": "a", "n": None, 1: 2, "deep": {"l": [None, 1.25, ("t",)]}}, [], {},
              {"a", "b"}, Decimal("1.10"), np.int64(3), np.float64(2.5), np.bool_(True), Kind.A,
              id_dict.IDDict({"b": None, "a": [1, 2]}), date(2026, 1, 5), {"x": [np.int64(1), Decimal("2")]},
              Domain("column", {"column": "a"}), {"domain": Domain("table")}]
    for v in values:
        got, want = fast(v), ges(v)
        assert json.dumps(got, sort_keys=True) == json.dumps(want, sort_keys=True), v
    kwargs = id_dict.IDDict({"column": "a", "row_condition": None, "mostly": 1.0, "value_set": ["x", None]})
    assert kwargs.to_id() == hashlib_md5(json.dumps(ges(dict(kwargs)), sort_keys=True))


def hashlib_md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def test_configurations_computed_once_per_run_give_the_same_results(
        generated_ga4: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Within a validation run each expectation's configuration is computed once; the
    results (row reasons, counts and GE's result documents) equal GE's own property's."""
    from decimal import Decimal

    from journeymart import validation

    values_only = batch_of(generated_ga4)
    values_only.loc[4, "engagement_time_msec"] = -5
    values_only.loc[5, "currency"] = "XXX"
    values_only.loc[5, "purchase_revenue"] = Decimal("-1")
    values_only.loc[9] = values_only.loc[8]
    with_types = values_only.copy()
    with_types.loc[2, "event_date"] = "2026-13-45"  # fails its type: the two passes run

    def outcomes() -> list[Any]:
        runs = [validation.validate_batch(ENTITY, f) for f in (values_only, with_types)]
        return [(o.row_reasons, o.summary, o.structural_failure, _without_load_times(o.results)) for o in runs]

    cached = outcomes()
    assert [len(o[3]) for o in cached] == [1, 2] and all(o[0] for o in cached)

    suite = validation._pass_suite(ENTITY.table, None, frozenset())
    exp = suite.expectations[3]
    assert exp.configuration is not exp.configuration  # outside a run: GE's property
    token = validation._RUN_CONFIGURATIONS.set({})
    try:
        assert exp.configuration is exp.configuration
    finally:
        validation._RUN_CONFIGURATIONS.reset(token)

    class NoRun:
        def get(self) -> None:
            return None

        def set(self, _: Any) -> None:
            return None

        def reset(self, _: Any) -> None:
            return None

    monkeypatch.setattr(validation, "_RUN_CONFIGURATIONS", NoRun())
    assert outcomes() == cached


def test_small_csv_files_are_read_by_the_csv_module_and_large_ones_by_arrow(
        generated_landing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under ARROW_CSV_MIN_BYTES (decompressed) Arrow's fixed cost per file outweighs what it
    saves: the csv module reads such a file. Either way the frame equals the row loop's."""
    from journeymart.parsers import base

    entity = REG.entity("mmp__in_app_events")
    path = next(p for p in sorted(generated_landing.glob("*/*/*")) if entity.matches(p.name))
    data = path.read_bytes()
    reads: list[int] = []
    real = base.csv_arrow.read
    monkeypatch.setattr(base.csv_arrow, "read", lambda raw, text: reads.append(len(raw)) or real(raw, text))
    frames = []
    for floor, by_arrow in ((len(data) + 1, False), (len(data), True)):
        monkeypatch.setattr(base, "ARROW_CSV_MIN_BYTES", floor)
        reads.clear()
        got = csv_outcome(entity, data, path.name)
        assert isinstance(got, Parsed) and got.rows_in > 1
        assert bool(reads) is by_arrow
        frames.append(got.frame)
    assert_same_frame(frames[0], frames[1])
    assert_csv_like_row_loop(entity, data, path.name, monkeypatch)


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_a_column_of_iso_timestamps_is_read_whole_and_equals_the_cast(tz: str) -> None:
    """A timestamp column of plain ISO cells ("Z", or naive in UTC) is read by one
    fromisoformat per cell; any other cell sends the column cell by cell. Either way the
    cells equal `to_timestamp`'s, with types and zones."""
    from journeymart.parsers import base

    cast = base.row_casts(tz)["timestamp"]
    naive = ["2026-07-20 00:00:26", "2026-07-20T23:59:59", "2026-02-28 12:00:00.5", "2026-02-28 12:00:00.123",
             "2026-02-28 12:00:00.123456", "2024-02-29 01:02:03"]
    zulu = [v + "Z" for v in naive]
    for clean in (naive, zulu):
        taken = base._iso_timestamp_column(clean, tz)
        if clean is naive and tz != "UTC":  # a naive cell in another zone: the cast's own path
            assert taken is None
        else:
            assert taken is not None
        got = base.cast_distinct(cast, clean)
        assert [(type(g), g, repr(g)) for g in got] == [(type(w), w, repr(w)) for w in map(cast, clean)]
    odd = [" 2026-07-20 00:00:26", "2026-07-20 00:00:26 ", "2026-13-01 00:00:00", "2026-07-20 24:00:00",
           "2026-07-20 00:00:26.1234567", "2026-07-20 00:00:26+02:00", "2026-07-20", "2026-07-20 00:00",
           "2026-07-20Z", "", "null", None, "\u0662026-07-20 00:00:26", "2026-07-20 00:00:26\n2026-07-20 00:00:27",
           "2026-07-20 00:00:26Z\n2026-07-20 00:00:27Z", "2026-07-20 00:00:26z", "2026-07-20 00:00:26ZZ", 20260720]
    for cell in odd:
        for clean in (naive, zulu):
            column = [*clean, cell]
            assert base._iso_timestamp_column(column, tz) is None, cell
            got = base.cast_distinct(cast, column)
            want = list(map(cast, column))
            assert [(type(g), g, repr(g)) for g in got] == [(type(w), w, repr(w)) for w in want], cell


def _quoted_fields_by_scan(text: str) -> bool:
    """The rule `csv_arrow.whole_fields_quoted` decides, stated as a scan: each quoted field
    found left to right must sit between boundaries, and no quote may be left over."""
    import re

    quotes, end = text.count('"'), len(text)
    for m in re.finditer(r'"[^"]*(?:""[^"]*)*"', text):
        start, stop = m.span()
        if (start and text[start - 1] not in ",\r\n") or (stop < end and text[stop] not in ",\r\n"):
            return False
        quotes -= text.count('"', start, stop)
    return quotes == 0


def test_whole_fields_quoted_decides_as_the_scan_does() -> None:
    """The one-regex check against the scan it replaced: written cases, then every text of
    up to 7 pieces over the characters that matter (a seeded sample beyond)."""
    import itertools
    import random

    from journeymart.parsers import csv_arrow

    cases = ['a,b\n', '"a",b\n', 'a,"b"\n', '"a""b",c', 'a"b",c', '"a"b,c', '"a', 'a"', '"a,\nb"\n', '"",""',
             '"a""",b', '""""', '"a""b"x', '"x"y"z"', '"a"\r\n"b"\r', 'x,"{""k"":""v""}",y\n', '']
    for text in cases:
        assert csv_arrow.whole_fields_quoted(text) == _quoted_fields_by_scan(text), text
    pieces = ['a', '"', ',', '\n', '\r', '""']
    for n in range(7):
        for combo in itertools.product(pieces, repeat=n):
            text = "".join(combo)
            assert csv_arrow.whole_fields_quoted(text) == _quoted_fields_by_scan(text), text
    rnd = random.Random(7)
    for _ in range(50_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(7, 24)))
        assert csv_arrow.whole_fields_quoted(text) == _quoted_fields_by_scan(text), text
    assert csv_arrow.whole_fields_quoted(cases[3]) and not csv_arrow.whole_fields_quoted(cases[4])


@pytest.mark.parametrize("rows", [0, 5, 1_001])
def test_column_lists_give_each_columns_cells_as_tolist_does(rows: int) -> None:
    """`base.column_lists` reads a small frame as one object array and a large one column by
    column: either way each column's cells are `frame[column].tolist()`'s, with their types,
    for object columns and for the typed ones a frame can hold beside them (one array then
    converts every block)."""
    from journeymart.parsers.base import WHOLE_FRAME_ROWS, column_lists

    assert rows <= 5 or rows > WHOLE_FRAME_ROWS
    cells: list[Any] = ["a", None, 7, Decimal("1.50"), datetime(2026, 1, 2, 3, tzinfo=ZoneInfo("Europe/Berlin")),
                        float("nan"), date(2026, 1, 2), [1, 2], {"k": "v"}, True]
    pick = [cells[i % len(cells)] for i in range(rows)]
    frame = pd.DataFrame({
        "objects": pd.Series(pick, dtype=object),
        "ints": np.arange(rows, dtype=np.int64),
        "floats": [None if i % 3 == 0 else i / 4 for i in range(rows)],
        "times": pd.to_datetime([datetime(2026, 1, 1 + i % 28) for i in range(rows)], utc=True),
        "text": pd.Series([None if i % 2 else f"t{i}" for i in range(rows)], dtype="str"),
        "flags": [i % 2 == 0 for i in range(rows)],
    })
    for columns in (["objects"], ["flags", "objects", "times"], list(frame.columns)):
        frames = (frame, frame[["objects"]]) if columns == ["objects"] else (frame,)
        for source in frames:
            got = column_lists(source, columns)
            want = [source[c].tolist() for c in columns]
            assert [[(type(v), repr(v)) for v in col] for col in got] == \
                [[(type(v), repr(v)) for v in col] for col in want]
    with pytest.raises(KeyError):
        column_lists(frame, ["objects", "missing"])


@pytest.mark.parametrize("rows", [0, 3, 40])
def test_frames_built_as_one_array_equal_pandas_own(rows: int) -> None:
    """`base.build_frame` (records) and `build_frame_from_columns` fill one object array; the
    frame equals pandas' own from the records, NaN-like cells made None
    (`where(notna, None)`), with the same index, columns, dtypes and cells, a cell that is a
    list or a dict included (numpy must not read it as cells)."""
    from journeymart.parsers.base import ROW_NUMBER, build_frame, build_frame_from_columns

    entity = REG.entity("commerce__support_tickets")
    names = [c for c in entity.columns if c not in entity.pii.values()] + list(entity.pii) + [ROW_NUMBER, PARSE_ERROR]
    odd: list[Any] = ["x", None, float("nan"), pd.NaT, pd.NA, Decimal("NaN"), np.datetime64("NaT"), [1, 2], {"k": 1},
                      (3, 4), Decimal("2.5"), datetime(2026, 1, 2, tzinfo=ZoneInfo("UTC")), 7, np.int64(8)]
    records = [{c: odd[(i * 5 + j) % len(odd)] for j, c in enumerate(names) if (i + j) % 4} | {"extra": 1}
               for i in range(rows)]

    def cells(frame: pd.DataFrame) -> list[list[tuple[type, str]]]:
        return [[(type(v), repr(v)) for v in frame[c].tolist()] for c in frame.columns]

    pandas_own = pd.DataFrame(records, columns=names, dtype=object)
    pandas_own = pandas_own.where(pandas_own.notna(), None)
    got = build_frame(entity, iter(records))
    assert list(got.columns) == names and all(d == np.dtype("O") for d in got.dtypes)
    pd.testing.assert_index_equal(got.index, pandas_own.index)
    assert cells(got) == cells(pandas_own)
    assert all(v is None for c in got.columns for v in got[c] if not isinstance(v, (list, dict, tuple)) and pd.isna(v))

    typed = {c: [None if i % 3 == 0 else f"{c}{i}" for i in range(rows)] for c in names[1:]}
    from_columns = build_frame_from_columns(entity, typed, rows)
    pandas_columns = pd.DataFrame({c: typed.get(c, [None] * rows) for c in names}, columns=names, dtype=object)
    pd.testing.assert_frame_equal(from_columns, pandas_columns)
    with pytest.raises(ValueError, match="cells, not"):
        build_frame_from_columns(entity, {names[0]: [None] * (rows + 1)}, rows)


def test_a_batch_built_from_its_files_columns_equals_their_frames_joined() -> None:
    """`stage._batch_frame` builds one frame of a batch's files from their parsers' columns
    (`base.joined_frame`); it equals the files' own frames joined by `batch_of_files`: the same
    cells in file order, NaN-like cells made None (a part of cast outputs holds none), a list
    as a cell, an empty part, and each row's loader columns."""
    from journeymart import stage
    from journeymart.parsers.base import (
        ROW_NUMBER,
        FrameColumns,
        cast_columns,
        joined_frame,
        record_columns,
    )
    from journeymart.validation import batch_of_files

    entity = REG.entity("commerce__support_tickets")
    records = [{"ticket_id": 1, "status": float("nan"), "subject": [1, 2], ROW_NUMBER: 1},
               {"ticket_id": 2, "status": "open", "created_at": pd.NaT, ROW_NUMBER: 2}]
    typed = {"ticket_id": np.array([3, 4, 5], dtype=object), "status": ["a", None, "c"], ROW_NUMBER: [1, 2, 3]}
    parts = [record_columns(entity, records), cast_columns(entity, {}, 0), cast_columns(entity, typed, 3),
             record_columns(entity, records[:1])]
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(len(parts))]

    def parsed(part: FrameColumns, day: date) -> stage._Parsed:
        manifest = stage.Manifest(load_id="x", run_id="r", channel="commerce", entity="support_tickets",
                                  partition_date=day.isoformat(), source_path="s", file_name="f")
        return stage._Parsed(manifest, entity, None, Parsed(part, part.rows))  # type: ignore[arg-type]

    want = batch_of_files(entity, [(part.frame(), day) for part, day in zip(parts, days, strict=True)])
    got = stage._batch_frame(entity, [parsed(p, d) for p, d in zip(parts, days, strict=True)])
    pd.testing.assert_frame_equal(got, want)
    assert got.loc[0, "status"] is None and got.loc[0, "subject"] == [1, 2] and got.loc[2, "ticket_id"] == 3
    # a batch of one file, and files whose parser built its own frame, go as before
    one = stage._batch_frame(entity, [parsed(parts[0], days[0])])
    pd.testing.assert_frame_equal(one, batch_of_files(entity, [(parts[0].frame(), days[0])]))
    assert joined_frame(parts[:1]).equals(parts[0].frame())
    with pytest.raises(ValueError, match="columns differ"):
        joined_frame([parts[0], FrameColumns(["a"], [[1]], 1)])


def test_a_parsers_frame_is_built_once_from_its_columns() -> None:
    """`Parsed` keeps a parser's columns until the frame is asked for, builds it once, and
    refuses columns of the wrong length when made (so a parser's slip fails its own file)."""
    from journeymart.parsers.base import FrameColumns

    columns = FrameColumns(["a", "b"], [[1, 2], ["x", float("nan")]], 2, missing_as_none=True)
    parsed = Parsed(columns, rows_in=3, notes=("n",))
    assert parsed.unbuilt is columns and parsed.rows == 2
    frame = parsed.frame
    assert parsed.frame is frame and parsed.unbuilt is None and parsed.rows == 2
    assert frame["b"].tolist() == ["x", None]
    built = Parsed(frame, 2)
    assert built.unbuilt is None and built.frame is frame
    with pytest.raises(ValueError, match="'b' has 1 cells, not 2"):
        FrameColumns(["a", "b"], [[1, 2], ["x"]], 2)
