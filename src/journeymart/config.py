"""Where journeymart keeps its state. Everything lives under JOURNEYMART_HOME.

Only environment variables are read here (no Airflow import), so the CLI, DAG files and
tests can resolve paths cheaply.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# No phoning home from a warehouse job (and no network here beyond the package registry):
# Great Expectations, dbt and cosmos usage statistics off unless a deployment opts in.
for _var, _off in (("GX_ANALYTICS_ENABLED", "False"), ("DO_NOT_TRACK", "1"),
                   ("DBT_SEND_ANONYMOUS_USAGE_STATS", "False"),
                   ("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")):
    os.environ.setdefault(_var, _off)
DEFAULT_HOME = REPO_ROOT / ".journeymart"
REPORTING_CURRENCY = os.environ.get("JOURNEYMART_REPORTING_CURRENCY", "USD")
REPORTING_TIMEZONE = os.environ.get("JOURNEYMART_REPORTING_TIMEZONE", "America/New_York")
# Documented development default: override with JOURNEYMART_PII_KEY or the Airflow Variable
# `journeymart_pii_key` anywhere the hashes must not be reproducible by outsiders.
DEV_PII_KEY = "journeymart-dev-pii-key-change-me"


@dataclass(frozen=True)
class Paths:
    home: Path

    @property
    def landing(self) -> str:
        """Landing zone URL: a local folder by default, or s3://... / gs://... by env."""
        return os.environ.get("JOURNEYMART_LANDING_URL", str(self.home / "landing"))

    @property
    def quarantine(self) -> Path:
        return self.home / "quarantine"

    @property
    def staging(self) -> Path:
        """Parsed, validated batches waiting for the single publisher (Parquet files)."""
        return self.home / "staging"

    @property
    def warehouse(self) -> Path:
        return Path(os.environ.get("JOURNEYMART_WAREHOUSE", self.home / "warehouse.duckdb"))

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def exports(self) -> Path:
        """Parquet copies of the released marts, for BI tools that read files (docs/analysts.md)."""
        return self.home / "exports"

    @property
    def docs(self) -> Path:
        return self.home / "docs"

    @property
    def gx(self) -> Path:
        return self.home / "gx"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def locks(self) -> Path:
        return self.home / "locks"

    def ensure(self) -> Paths:
        for p in (self.home, self.quarantine, self.staging, self.reports, self.docs, self.gx,
                  self.airflow_home, self.locks):
            p.mkdir(parents=True, exist_ok=True)
        if "://" not in self.landing:
            Path(self.landing).mkdir(parents=True, exist_ok=True)
        return self


def home() -> Path:
    return Path(os.environ.get("JOURNEYMART_HOME", DEFAULT_HOME)).expanduser().resolve()


def paths() -> Paths:
    return Paths(home())


class PiiKeyMissing(RuntimeError):
    """No PII key where one is required. Falling back to the public dev key would hash the
    batch's identifiers unlike every one loaded before (identities would silently stop
    stitching), and reproducibly for anyone."""


def pii_key_required() -> bool:
    return os.environ.get("JOURNEYMART_PII_KEY_REQUIRED", "").strip().lower() in {"1", "true", "yes"}


def pii_key() -> bytes:
    """HMAC key for direct identifiers: env first, then the Airflow Variable, then the dev
    default, unless JOURNEYMART_PII_KEY_REQUIRED is set (then a missing key is an error).

    The Variable's lookup cannot tell "not set" from "the secrets backend or the API server
    failed" (Airflow logs the failure and reports not-found), so a deployment sets the
    requirement to turn either into a failed task instead of a batch hashed with the dev key.
    """
    key = os.environ.get("JOURNEYMART_PII_KEY")
    if not key:
        try:
            from airflow.sdk import Variable

            key = Variable.get("journeymart_pii_key", default=None)
        except Exception:  # outside a task context there are no Variables to read
            key = None
    if not key and pii_key_required():
        raise PiiKeyMissing(
            "JOURNEYMART_PII_KEY_REQUIRED is set but no PII key was found: set the env var "
            "JOURNEYMART_PII_KEY or the Airflow Variable journeymart_pii_key (if the Variable "
            "is set, its secrets backend or the API server failed: see the task log)")
    key = key or DEV_PII_KEY
    if key == DEV_PII_KEY:
        _warn_dev_key_once()
    return key.encode()


@functools.cache
def _warn_dev_key_once() -> None:
    logging.getLogger(__name__).warning(
        "hashing identifiers with the public development PII key: set JOURNEYMART_PII_KEY "
        "(and JOURNEYMART_PII_KEY_REQUIRED=true) in any shared deployment")
