"""`make airflow`'s server for real: the Airflow 3 API server on a bootstrapped home lists the
project's DAGs through the REST API (/api/v2), behind SimpleAuthManager's login."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import env_for

DAG_IDS = {"ingest__exports", "transform__marts"}
STARTUP_S = 300  # a loaded 2-core CI box takes a minute or more to import Airflow and cosmos


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def airflow(env: dict[str, str], *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    """`airflow <args>` the way `make airflow` runs it (journeymart.airflow_env)."""
    return subprocess.run([sys.executable, "-m", "journeymart.airflow_env", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def call(url: str, token: str | None = None, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A bootstrapped home with serialized DAGs, and its API server; stopped on teardown."""
    home = tmp_path_factory.mktemp("airflow_api")
    port = free_port()
    env = {**env_for(home), "JOURNEYMART_AIRFLOW_PORT": str(port)}
    boot = subprocess.run([sys.executable, "-m", "journeymart.cli", "bootstrap"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert boot.returncode == 0, boot.stderr[-3000:]
    # The API lists DAGs from the metadata DB; normally the dag-processor writes them there.
    ser = airflow(env, "dags", "reserialize")
    assert ser.returncode == 0, ser.stderr[-3000:]
    log = (home / "api-server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "journeymart.airflow_env", "api-server"], env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_S
        while call_or_none(f"{base}/api/v2/version") != 200:
            assert server.poll() is None, (home / "api-server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "API server not up in time"
            time.sleep(1)
        yield base, home
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # uvicorn and its workers: the whole session
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def call_or_none(url: str) -> int | None:
    try:
        return call(url)[0]
    except OSError:  # not listening yet
        return None


def login(base: str, home: Path) -> str:
    """SimpleAuthManager's admin, whose password the first start wrote (what `make airflow` prints)."""
    passwords = json.loads((home / "airflow" / "simple_auth_manager_passwords.json.generated").read_text())
    status, body = call(f"{base}/auth/token", body={"username": "admin", "password": passwords["admin"]})
    assert status in (200, 201) and body["access_token"], (status, body)
    return body["access_token"]


@pytest.mark.slow
def test_rest_api_lists_the_project_dags_to_a_logged_in_user(api: tuple[str, Path]) -> None:
    base, home = api
    assert call(f"{base}/api/v2/dags")[0] == 401  # auth is on: no token, no DAGs
    assert call(f"{base}/auth/token", body={"username": "admin", "password": "wrong"})[0] in (401, 403)
    token = login(base, home)
    status, body = call(f"{base}/api/v2/dags?limit=100", token)
    assert status == 200, status
    listed = {d["dag_id"]: d for d in body["dags"]}
    assert set(listed) >= DAG_IDS, sorted(listed)
    assert all(d["fileloc"].startswith(str(Path(__file__).parents[1] / "dags")) for d in listed.values())
    status, errors = call(f"{base}/api/v2/importErrors", token)
    assert status == 200 and errors["total_entries"] == 0, errors
