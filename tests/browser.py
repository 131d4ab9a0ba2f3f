"""Debian's Chromium for the report test, installed by the test set-up when missing.

Playwright drives it (`executable_path`), so no browser is ever downloaded; the flags keep a
headless Chromium from reaching for Google's services on a closed network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    """Path to Debian's chromium; apt-get installs it if missing (root only). Missing and not
    installable: a failure under CI=true, a skip on a developer machine."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not found and shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        # another test's set-up may be installing (PostgreSQL): wait for dpkg's lock
        apt = ["apt-get", "-o", "DPkg::Lock::Timeout=900"]
        subprocess.run([*apt, "update", "-qq"], env=env, check=False, capture_output=True, timeout=900)
        out = subprocess.run([*apt, "install", "-y", "-qq", "--no-install-recommends", "chromium"],
                             env=env, capture_output=True, text=True, timeout=1200)
        found = shutil.which("chromium")
        if not found:
            pytest.fail(f"could not install chromium: {out.stderr[-2000:]}")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing and cannot be installed here (needs root and apt-get)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found
