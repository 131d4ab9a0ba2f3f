"""Shared fixtures: an isolated JOURNEYMART_HOME per test, and one small demo landing zone."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

DEMO = {"start": date(2026, 1, 1), "days": 14, "customers": 150, "seed": 7}  # 14 days: every entity, irregular ones included


@pytest.fixture
def jm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "jm"
    monkeypatch.setenv("JOURNEYMART_HOME", str(home))
    monkeypatch.delenv("JOURNEYMART_LANDING_URL", raising=False)
    monkeypatch.delenv("JOURNEYMART_WAREHOUSE", raising=False)
    from journeymart.config import paths

    paths().ensure()
    return home


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated landing zone (read-only: copy it before changing files)."""
    from journeymart.generate import generate_landing

    out = tmp_path_factory.mktemp("demo") / "landing"
    generate_landing(out, DEMO["start"], DEMO["days"], DEMO["customers"], DEMO["seed"], progress=False)
    return out


@pytest.fixture
def demo_home(jm_home: Path, demo_landing: Path) -> Path:
    """JOURNEYMART_HOME with a private copy of the demo landing zone."""
    shutil.copytree(demo_landing, jm_home / "landing", dirs_exist_ok=True)
    return jm_home


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def env_for(home: Path) -> dict[str, str]:
    """The environment for a subprocess on `home`: no Airflow settings inherited from another
    test's home (configure() only fills in what is unset)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "JOURNEYMART_"))}
    env["JOURNEYMART_HOME"] = str(home)
    return env


def load_landing(home: Path, start: date, days: int, run_id: str, landing: Path | None = None) -> None:
    """Load `days` days of `home`/landing (a copy of `landing` when given) into `home`'s
    warehouse with the real loader (stage + GE + publish, no Airflow), as of `start`."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JOURNEYMART_HOME", str(home))
        mp.delenv("JOURNEYMART_LANDING_URL", raising=False)
        mp.delenv("JOURNEYMART_WAREHOUSE", raising=False)
        from journeymart.config import paths
        from journeymart.ingest import run_window

        paths().ensure()
        if landing is not None:
            shutil.copytree(landing, home / "landing", dirs_exist_ok=True)
        run_window(start, start + timedelta(days=days - 1), run_id,
                   now=datetime.combine(start, datetime.min.time(), UTC))
