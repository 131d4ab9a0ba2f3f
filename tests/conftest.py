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


def orders_in_euros(landing: Path, start: date, days: int) -> set[str]:
    """Rewrite the orders exports of `days` days from `start` in euros; their order ids."""
    import csv

    ids: set[str] = set()
    for d in range(days):
        day = start + timedelta(days=d)
        path = landing / "commerce" / f"{day}" / f"orders_export_{day}.csv"
        with path.open(newline="") as f:
            header, *orders = list(csv.reader(f))
        for order in orders:
            order[header.index("Currency")] = "EUR"
            ids.add(order[header.index("Id")])
        with path.open("w", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows([header, *orders])
    return ids


def correct_euro_rates(landing: Path, days: set[str], factor: str = "1.25") -> None:
    """Rewrite the FX exports of the partition dates `days` with every EUR rate times
    `factor`: a corrected re-delivery that re-prices held euro amounts."""
    import csv
    from decimal import Decimal

    for path in sorted(landing.glob("finance/*/fx_rates_*.csv")):
        if path.parent.name not in days:
            continue
        with path.open(newline="") as f:
            rates = list(csv.DictReader(f))
        for r in rates:
            if r["base_currency"] == "EUR":
                r["rate"] = f"{Decimal(r['rate']) * Decimal(factor):.6f}"
        with path.open("w", newline="") as f:
            out = csv.DictWriter(f, fieldnames=list(rates[0]), lineterminator="\n")
            out.writeheader()
            out.writerows(rates)
