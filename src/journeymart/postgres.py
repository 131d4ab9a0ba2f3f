"""The PostgreSQL warehouse target: connection settings, a DuckDB-shaped connection, COPY, BI role.

Settings come from the environment (`JOURNEYMART_PG_HOST/PORT/USER/PASSWORD/DBNAME`, the
variables the dbt profile reads) or, when those are unset, from the Airflow connection
`journeymart_warehouse` (Postgres connection type). Nothing is hard-coded.

`PgConnection` speaks the small part of the DuckDB connection API the loader and the marts
release use (`execute(sql, params)` with `?` placeholders returning itself, `fetchone`,
`fetchall`, `df`, `begin`/`commit`/`rollback`), so the same SQL serves both targets.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

CONN_ID = "journeymart_warehouse"
BI_ROLE = "journeymart_bi"
SERVING_SCHEMA = "marts"
# Any constant works: it names the one lock every publisher and release takes (the
# PostgreSQL counterpart of the DuckDB file lock, valid across machines).
WRITER_LOCK_KEY = 7_404_211_006
ENV = ("HOST", "PORT", "USER", "PASSWORD", "DBNAME")


@dataclass(frozen=True)
class PgSettings:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    def env(self) -> dict[str, str]:
        """The JOURNEYMART_PG_* variables (what dbt's `postgres` output reads)."""
        values = (self.host, str(self.port), self.user, self.password, self.dbname)
        return {f"JOURNEYMART_PG_{k}": v for k, v in zip(ENV, values, strict=True)}

    def connect_kwargs(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "user": self.user, "password": self.password,
                "dbname": self.dbname, "application_name": "journeymart"}


def settings() -> PgSettings:
    """Environment first, then the Airflow connection `journeymart_warehouse`."""
    if os.environ.get("JOURNEYMART_PG_HOST"):
        e = os.environ
        return PgSettings(e["JOURNEYMART_PG_HOST"], int(e.get("JOURNEYMART_PG_PORT", "5432")),
                          e.get("JOURNEYMART_PG_USER", "postgres"), e.get("JOURNEYMART_PG_PASSWORD", ""),
                          e.get("JOURNEYMART_PG_DBNAME", "journeymart"))
    try:
        from airflow.sdk import BaseHook

        conn = BaseHook.get_connection(CONN_ID)
    except Exception as exc:  # no Airflow, or no such connection
        raise RuntimeError("PostgreSQL target: set JOURNEYMART_PG_HOST (and _PORT, _USER, _PASSWORD, "
                           f"_DBNAME) or define the Airflow connection {CONN_ID!r}") from exc
    return PgSettings(conn.host or "localhost", int(conn.port or 5432), conn.login or "postgres",
                      conn.password or "", conn.schema or "journeymart")


def export_env(s: PgSettings | None = None) -> PgSettings:
    """Put the settings into JOURNEYMART_PG_* so dbt (profiles.yml) sees the same server, e.g.
    when they came from the Airflow connection."""
    s = s or settings()
    os.environ.update(s.env())
    return s


def _to_pyformat(sql: str) -> str:
    """DuckDB-style `?` placeholders → psycopg2's `%s` (`%` escaped; quoted text untouched)."""
    out, quote = [], None
    for ch in sql:
        if quote:
            quote = None if ch == quote else quote
            out.append("%%" if ch == "%" else ch)
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


class PgConnection:
    """A psycopg2 connection with DuckDB's calling conventions (autocommit unless `begin()`)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.raw.autocommit = True
        self._cur = raw.cursor()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgConnection:
        if params is None:
            self._cur.execute(sql)
        else:
            self._cur.execute(_to_pyformat(sql), [list(p) if isinstance(p, tuple) else p for p in params])
        return self

    def fetchone(self) -> tuple | None:
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall()

    def df(self) -> Any:
        """The result as a pandas frame; NUMERIC as float, as DuckDB's `.df()` gives DECIMAL
        (the frames feed Great Expectations checks, never money arithmetic)."""
        import pandas as pd

        cols = [d.name for d in self._cur.description]
        frame = pd.DataFrame.from_records(self._cur.fetchall(), columns=cols)
        for c in cols:
            if frame[c].dtype == object and frame[c].map(lambda v: isinstance(v, Decimal)).any():
                frame[c] = frame[c].map(lambda v: None if v is None else float(v)).astype("float64")
        return frame

    def begin(self) -> None:
        self._cur.execute("begin")

    def commit(self) -> None:
        self._cur.execute("commit")

    def rollback(self) -> None:
        self._cur.execute("rollback")

    def close(self) -> None:
        self._cur.close()
        self.raw.close()

    def copy_parquet(self, table: str, parquet_path: str, columns: Sequence[str],
                     constants: dict[str, Any] | None = None, rows: Sequence[int] | None = None) -> int:
        """COPY the named columns of a Parquet file (plus constant columns) into `table`; only
        its [start, stop) `rows` when given (a file's slice of a batch's shared file).

        pyarrow writes the batch as CSV in memory (exact decimals, ISO timestamps with zone,
        quoted strings so an empty string stays distinct from NULL) and PostgreSQL parses it.
        """
        import pyarrow as pa
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        data = pq.read_table(parquet_path, columns=list(columns))
        if rows is not None:
            data = data.slice(rows[0], rows[1] - rows[0])
        for name, value in (constants or {}).items():
            data = data.append_column(name, pa.array([value] * data.num_rows, type=_arrow_type(value)))
        buf = io.BytesIO()
        pacsv.write_csv(data, buf, pacsv.WriteOptions(include_header=True))
        buf.seek(0)
        cols = ", ".join(f'"{c}"' for c in data.column_names)
        self._cur.copy_expert(f"copy {table} ({cols}) from stdin with (format csv, header true)", buf)
        return data.num_rows


def _arrow_type(value: Any) -> Any:
    import pyarrow as pa

    if isinstance(value, datetime):
        return pa.timestamp("us", tz="UTC")
    return pa.string()


@contextmanager
def connect(*, writer: bool = True, s: PgSettings | None = None) -> Iterator[PgConnection]:
    """A connection; writers hold the session advisory lock for as long as they are open."""
    import psycopg2

    con = PgConnection(psycopg2.connect(**(s or settings()).connect_kwargs()))
    try:
        if writer:
            con.execute("select pg_advisory_lock(?)", [WRITER_LOCK_KEY])
        yield con
    finally:
        con.close()  # closing the session releases the advisory lock


def grant_bi_role(con: PgConnection, password: str | None = None) -> None:
    """`journeymart_bi`: USAGE on schema `marts` and SELECT on its relations (now and, through
    default privileges, those created later by this owner); nothing on any other schema.

    LOGIN with `password` (default: env JOURNEYMART_BI_PASSWORD), else NOLOGIN (a group role
    to grant to real BI users). BI reads the `marts.*` views, which check the underlying
    marts_blue/marts_green tables with their owner's rights, so the role needs nothing there.
    """
    password = password if password is not None else os.environ.get("JOURNEYMART_BI_PASSWORD")
    exists = con.execute("select 1 from pg_roles where rolname = ?", [BI_ROLE]).fetchone()
    login = "login password ?" if password else "nologin"
    params = [password] if password else None
    verb = "alter" if exists else "create"
    con.execute(f"{verb} role {BI_ROLE} {login} nosuperuser nocreatedb nocreaterole noinherit", params)
    con.execute(f"create schema if not exists {SERVING_SCHEMA}")
    owned = [r[0] for r in con.execute(
        "select nspname from pg_namespace where nspname not like 'pg\\_%' "
        "and nspname <> 'information_schema'").fetchall()]
    for schema in owned:  # whatever was granted before on other schemas goes
        if schema != SERVING_SCHEMA:
            con.execute(f'revoke all on all tables in schema "{schema}" from {BI_ROLE}')
            con.execute(f'revoke all on schema "{schema}" from {BI_ROLE}')
    con.execute(f"revoke create on schema {SERVING_SCHEMA} from {BI_ROLE}")
    con.execute(f"grant usage on schema {SERVING_SCHEMA} to {BI_ROLE}")
    con.execute(f"revoke all on all tables in schema {SERVING_SCHEMA} from {BI_ROLE}")
    con.execute(f"grant select on all tables in schema {SERVING_SCHEMA} to {BI_ROLE}")
    con.execute(f"alter default privileges in schema {SERVING_SCHEMA} grant select on tables to {BI_ROLE}")
    dbname = con.execute("select current_database()").fetchone()[0]
    con.execute(f'grant connect on database "{dbname}" to {BI_ROLE}')


def regrant_bi_role(con: PgConnection) -> None:
    """SELECT on every relation in `marts` for the BI role, if it exists: views recreated by a
    release (possibly by another user than the one whose default privileges apply)."""
    if con.execute("select 1 from pg_roles where rolname = ?", [BI_ROLE]).fetchone():
        con.execute(f"grant select on all tables in schema {SERVING_SCHEMA} to {BI_ROLE}")
