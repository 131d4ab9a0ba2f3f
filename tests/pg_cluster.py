"""A throw-away PostgreSQL cluster for the tests: Debian's packages, 127.0.0.1, a free port.

`pg_cluster()` finds `initdb` (installing Debian's `postgresql` package with apt-get when it is
missing), initialises a cluster in a fresh temporary directory with a random superuser
password, starts it with pg_ctl on 127.0.0.1 only (no Unix socket) and stops it at the end.
initdb and postgres refuse to run as root, so as root they run as the `postgres` system user
the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "jm_admin"
DBNAME = "journeymart"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries, and apt-get could not install them."""


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    def env(self) -> dict[str, str]:
        """The JOURNEYMART_PG_* variables the loader and the dbt profile read."""
        return {"JOURNEYMART_PG_HOST": self.host, "JOURNEYMART_PG_PORT": str(self.port),
                "JOURNEYMART_PG_USER": self.user, "JOURNEYMART_PG_PASSWORD": self.password,
                "JOURNEYMART_PG_DBNAME": self.dbname}

    def dsn(self, user: str | None = None, password: str | None = None, dbname: str | None = None) -> str:
        return (f"host={self.host} port={self.port} dbname={dbname or self.dbname} "
                f"user={user or self.user} password={password or self.password}")


def bin_dir() -> Path:
    """Directory of initdb/pg_ctl/postgres, installing Debian's package if needed."""
    found = _find_bin_dir()
    if found:
        return found
    if shutil.which("apt-get") is None:
        raise PostgresUnavailable("initdb not found and apt-get is not available")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    found = _find_bin_dir()
    if not found:
        raise PostgresUnavailable("apt-get installed postgresql but initdb is still not found")
    return found


def _find_bin_dir() -> Path | None:
    # Debian keeps the server binaries out of PATH, under /usr/lib/postgresql/<major>/bin.
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if versions:
        return Path(versions[-1]).parent
    which = shutil.which("initdb")
    return Path(which).resolve().parent if which else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _chown_to_server_user(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user="postgres", group="postgres")


@contextmanager
def pg_cluster() -> Iterator[PgServer]:
    bindir = bin_dir()
    root = Path(tempfile.mkdtemp(prefix="jm-pg-"))
    _chown_to_server_user(root)
    data, log, pwfile = root / "data", root / "server.log", root / "pwfile"
    password = secrets.token_urlsafe(18)
    pwfile.write_text(password + "\n")
    _chown_to_server_user(pwfile)
    port = _free_port()

    def run(*args: str) -> None:
        proc = subprocess.run(_as_server_user([str(bindir / args[0]), *args[1:]]),
                              capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise PostgresUnavailable(f"{args[0]} failed: {proc.stderr[-2000:]}\n{tail}")

    run("initdb", "-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}", "--auth=scram-sha-256",
        "--encoding=UTF8", "--locale=C", "--no-sync")
    pwfile.unlink()
    # Throw-away data: durability off, TCP on loopback only, no Unix socket.
    opts = (f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC")
    started = False
    try:
        run("pg_ctl", "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60", "start")
        started = True
        server = PgServer("127.0.0.1", port, SUPERUSER, password, DBNAME)
        create_database(server)
        yield server
    finally:
        if started:
            subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                            "-w", "stop"]), capture_output=True, timeout=120)
        shutil.rmtree(root, ignore_errors=True)


def create_database(server: PgServer) -> None:
    import psycopg2

    con = psycopg2.connect(server.dsn(dbname="postgres"))
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute(f"create database {server.dbname}")
    finally:
        con.close()
