"""Build aside, check, then swap: BI always reads the last marts that passed their checks.

dbt builds the marts into one of two schemas, `marts_blue` / `marts_green` (the one not in
service). Great Expectations then checks the key marts there; only if they pass does
`release()` repoint the views in schema `marts` (what BI and analysts query) at the freshly
built schema, in one transaction. A failed build or check leaves `marts.*` untouched.
On PostgreSQL the release also re-grants the read-only BI role (journeymart.postgres).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journeymart.config import REPO_ROOT
from journeymart.warehouse import connect, is_postgres

COLORS = ("marts_blue", "marts_green")
SERVING_SCHEMA = "marts"
EXPECTATIONS_DIR = REPO_ROOT / "expectations" / "marts"
log = logging.getLogger(__name__)

RELEASE_DDL = """
create schema if not exists marts;
create table if not exists audit.marts_release (
    released_at timestamptz not null default now(),
    schema_name varchar not null,
    run_id varchar,
    tables varchar[]
);
"""


def serving_schema() -> str | None:
    with connect() as con:
        con.execute(RELEASE_DDL)
        row = con.execute("select schema_name from audit.marts_release "
                          "order by released_at desc limit 1").fetchone()
    return row[0] if row else None


def build_schema() -> str:
    """The schema not in service: where this run's dbt build writes the marts."""
    current = serving_schema()
    return COLORS[1] if current == COLORS[0] else COLORS[0]


def built_tables(schema: str) -> list[str]:
    with connect() as con:
        rows = con.execute("select table_name from information_schema.tables "
                           "where table_schema = ? order by 1", [schema]).fetchall()
    return [r[0] for r in rows]


def release(schema: str, run_id: str) -> list[str]:
    """Point every `marts.<table>` view at `<schema>.<table>` atomically."""
    if schema not in COLORS:
        raise ValueError(f"not a build schema: {schema!r}")
    with connect() as con:
        con.execute(RELEASE_DDL)
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_type = 'BASE TABLE' order by 1", [schema]).fetchall()]
        if not tables:
            raise RuntimeError(f"nothing to release: schema {schema} has no tables")
        # A plain `dbt build` (default marts_schema) leaves tables in `marts`: views replace them.
        stale = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? "
            "and table_type = 'BASE TABLE'", [SERVING_SCHEMA]).fetchall()}
        pg = is_postgres(con)
        con.begin()
        for t in tables:
            if t in stale:
                con.execute(f'drop table {SERVING_SCHEMA}."{t}"')
            elif pg:  # PostgreSQL only replaces a view whose columns stay the same (DDL is transactional)
                con.execute(f'drop view if exists {SERVING_SCHEMA}."{t}"')
            con.execute(f'create or replace view {SERVING_SCHEMA}."{t}" as select * from {schema}."{t}"')
        con.execute("insert into audit.marts_release (schema_name, run_id, tables) values (?, ?, ?)",
                    [schema, run_id, tables])
        if pg:
            from journeymart.postgres import regrant_bi_role

            regrant_bi_role(con)
        con.commit()
    return tables


# ---------------------------------------------------------------------------------------
# Great Expectations on the marts (pandas datasource; see validation.py for why)


@dataclass
class MartCheck:
    table: str
    success: bool
    failed: list[str]


STAGES = ["awareness", "consideration", "purchase", "retention", "advocacy"]


def mart_suite_dicts() -> dict[str, dict[str, Any]]:
    """Checks on the marts BI reads, built with GE's API (stored as JSON by `suites --write`)."""
    import great_expectations as gx

    E = gx.expectations

    def share(col: str) -> Any:
        return E.ExpectColumnValuesToBeBetween(column=col, min_value=0, max_value=1)

    def not_empty() -> Any:
        return E.ExpectTableRowCountToBeBetween(min_value=1)

    suites = {
        "fct_spend_daily": [
            not_empty(),
            *[E.ExpectColumnValuesToNotBeNull(column=c) for c in ("spend_date", "channel_id", "spend_usd")],
            E.ExpectColumnValuesToBeBetween(column="spend_usd", min_value=0),
            E.ExpectCompoundColumnsToBeUnique(column_list=["spend_date", "channel_id", "campaign_key"]),
            E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="impressions", column_B="clicks", or_equal=True,
                                                      ignore_row_if="either_value_is_missing"),
        ],
        "dim_customers": [
            not_empty(),
            E.ExpectColumnValuesToBeUnique(column="customer_key"),
            E.ExpectColumnValuesToNotBeNull(column="customer_key"),
            E.ExpectColumnValuesToBeInSet(column="current_stage", value_set=STAGES),
            E.ExpectColumnValuesToBeBetween(column="revenue_usd", min_value=0),
        ],
        "mart_journey_funnel": [
            not_empty(),
            E.ExpectColumnValuesToBeInSet(column="stage", value_set=STAGES),
            E.ExpectColumnValuesToBeBetween(column="entered", min_value=0),
            E.ExpectColumnPairValuesAToBeGreaterThanB(column_A="entered", column_B="progressed", or_equal=True,
                                                      ignore_row_if="either_value_is_missing"),
        ],
        "mart_channel_stage_matrix": [
            not_empty(),
            E.ExpectColumnValuesToBeInSet(column="stage", value_set=STAGES),
            E.ExpectColumnValuesToBeBetween(column="spend_usd", min_value=0),
            share("spend_share"), share("engagement_share"),
        ],
        "mart_budget_allocation": [
            not_empty(),
            E.ExpectColumnValuesToBeInSet(column="stage", value_set=STAGES),
            E.ExpectColumnValuesToBeBetween(column="spend_usd", min_value=0),
            share("spend_share"), share("engagement_share"),
            E.ExpectColumnValuesToBeBetween(column="misallocation_index", min_value=-1, max_value=1),
            E.ExpectCompoundColumnsToBeUnique(column_list=["budget_month", "channel_id", "stage"]),
            share("attributed_revenue_share"), share("recommended_share"),
            E.ExpectColumnValuesToBeBetween(column="recommended_spend_usd", min_value=0),
            E.ExpectColumnValuesToBeInSet(column="recommendation_basis",
                                          value_set=["follows_customers", "held_unobservable", "not_budgeted"]),
        ],
        "mart_attribution": [
            not_empty(),
            E.ExpectColumnValuesToNotBeNull(column="conversion_id"),
            E.ExpectCompoundColumnsToBeUnique(column_list=["conversion_id", "channel_id"]),
            *[share(f"credit_{m}") for m in ("first_touch", "last_touch", "linear", "position_based",
                                             "time_decay", "markov")],
            E.ExpectColumnValuesToBeInSet(column="conversion_type",
                                          value_set=["first_purchase", "repeat_purchase"]),
        ],
        "mart_budget_pacing": [
            not_empty(),
            E.ExpectCompoundColumnsToBeUnique(column_list=["channel_id", "budget_month"]),
            E.ExpectColumnValuesToBeBetween(column="actual_usd", min_value=0),
            E.ExpectColumnValuesToBeInSet(column="pacing_status", value_set=[
                "over_pace", "under_pace", "on_pace", "unplanned", "no_spend_yet"]),
        ],
    }
    out = {}
    for name, exps in suites.items():
        doc = gx.ExpectationSuite(name=name, expectations=exps).to_json_dict()
        doc.pop("id", None)
        for e in doc["expectations"]:
            e.pop("id", None)
        out[name] = doc
    return out


def write_mart_suites() -> list[Path]:
    EXPECTATIONS_DIR.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, doc in mart_suite_dicts().items():
        p = EXPECTATIONS_DIR / f"{name}.json"
        p.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        paths.append(p)
    return paths


def mart_suite_names() -> list[str]:
    return sorted(p.stem for p in EXPECTATIONS_DIR.glob("*.json"))


def check_marts(schema: str) -> list[MartCheck]:
    """Run each mart suite (`expectations/marts/<table>.json`) against `<schema>.<table>`."""
    from journeymart.validation import _batch_definition, suite_from_json

    out = []
    names = mart_suite_names()
    with connect(read_only=True) as con:
        frames = {}
        for name in names:
            exists = con.execute("select 1 from information_schema.tables where table_schema = ? "
                                 "and table_name = ?", [schema, name]).fetchone()
            frames[name] = con.execute(f'select * from {schema}."{name}"').df() if exists else None
    for name in names:
        frame = frames[name]
        if frame is None:
            out.append(MartCheck(name, False, [f"table {schema}.{name} was not built"]))
            continue
        result = _batch_definition().get_batch(batch_parameters={"dataframe": frame}).validate(
            suite_from_json(EXPECTATIONS_DIR / f"{name}.json"), result_format={"result_format": "SUMMARY"})
        failed = [f"{r.expectation_config.type}({r.expectation_config.kwargs.get('column', '')})"
                  for r in result.results if not r.success]
        out.append(MartCheck(name, result.success, failed))
    return out

