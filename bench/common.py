"""What every contender shares: the file list of a landing zone, the spec a contender gets,
and running a contender in its own process with its wall time and peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from journeymart import registry as reg

REPO_ROOT = Path(__file__).resolve().parents[1]
# Where the rows of a JSON document export sit (everything else is one row per line / CSV row).
JSON_ROWS = {
    "meta_ads__ads_insights": "data",
    "tiktok_ads__ad_reports": "data.list",
    "commerce__support_tickets": "tickets",
    "commerce__reviews": "reviews",
}
# Title lines before the CSV header (LinkedIn's Campaign Manager export).
CSV_SKIP = {"linkedin_ads__campaign_analytics": 5}


@dataclass
class EntityFiles:
    table: str
    format: str  # csv | json | ndjson
    files: list[str] = field(default_factory=list)
    json_rows: str | None = None
    csv_skip: int = 0


@dataclass
class Spec:
    """Everything a contender process needs; written as JSON next to its result."""

    landing: str
    start: str
    end: str
    work: str
    entities: dict[str, EntityFiles]
    sampled: bool = False
    options: dict[str, Any] = field(default_factory=dict)

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self), indent=1))
        return path

    @classmethod
    def read(cls, path: Path) -> Spec:
        d = json.loads(Path(path).read_text())
        d["entities"] = {k: EntityFiles(**v) for k, v in d["entities"].items()}
        return cls(**d)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def entity_files(landing: Path, start: date, end: date, channels: list[str] | None = None,
                 formats: list[str] | None = None) -> dict[str, EntityFiles]:
    """Every registry entity's files with partition dates in [start, end], in load order
    (only the given channels' and formats' entities, when given)."""
    out: dict[str, EntityFiles] = {}
    for ch in reg.load().channels:
        if channels and ch.id not in channels:
            continue
        for e in ch.entities:
            if formats and e.format not in formats:
                continue
            out[e.table] = EntityFiles(e.table, e.format, json_rows=JSON_ROWS.get(e.table),
                                       csv_skip=CSV_SKIP.get(e.table, 0))
        for day in days(start, end):
            folder = landing / ch.id / day.isoformat()
            if not folder.is_dir():
                continue
            for p in sorted(folder.iterdir()):
                e = ch.entity_for_file(p.name)
                if e is not None and e.table in out and p.is_file():
                    out[e.table].files.append(str(p))
    return {k: v for k, v in out.items() if v.files}


def sample(entities: dict[str, EntityFiles], files_per_entity: int) -> dict[str, EntityFiles]:
    """The first N files of each entity: what the slow peers load (then extrapolated per row)."""
    return {k: EntityFiles(v.table, v.format, v.files[:files_per_entity], v.json_rows, v.csv_skip)
            for k, v in entities.items()}


def dig(doc: Any, path: str) -> Any:
    for part in path.split("."):
        doc = doc[part]
    return doc


@dataclass
class Measured:
    name: str
    ok: bool
    wall_s: float  # the whole process: interpreter start, imports, load
    cpu_s: float  # user + system CPU of the process and its waited-for children
    peak_rss_mb: float  # VmHWM of the process, or of its largest (waited-for) child process
    result: dict[str, Any]
    error: str | None = None


def run_contender(name: str, module: str, spec: Spec, out_dir: Path,
                  env: dict[str, str] | None = None, timeout_s: float = 6 * 3600) -> Measured:
    """`python -m <module> <spec> <result>` in a fresh process; wait4() gives this process's
    own peak RSS (ru_maxrss, which includes the children it waited for)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_path = spec.write(out_dir / f"{name}.spec.json")
    result_path = out_dir / f"{name}.result.json"
    result_path.unlink(missing_ok=True)
    log = (out_dir / f"{name}.log").open("w")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", module, str(spec_path), str(result_path)],
                            cwd=REPO_ROOT, env=env or os.environ.copy(), stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = t0 + timeout_s
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    log.close()
    ok = proc.returncode == 0 and result_path.exists()
    result = json.loads(result_path.read_text()) if result_path.exists() else {}
    error = None if ok else f"exit {proc.returncode}; see {out_dir / f'{name}.log'}: " + _tail(
        out_dir / f"{name}.log")
    return Measured(name, ok, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                    result, error)


def _tail(path: Path, n: int = 600) -> str:
    text = path.read_text(errors="replace")
    return text[-n:].strip()


class Stopwatch:
    """Accumulates seconds per (stage, key)."""

    def __init__(self) -> None:
        self.seconds: dict[str, dict[str, float]] = {}

    def add(self, stage: str, key: str, s: float) -> None:
        d = self.seconds.setdefault(stage, {})
        d[key] = d.get(key, 0.0) + s

    def merge(self, other: dict[str, dict[str, float]]) -> None:
        for stage, d in other.items():
            for k, s in d.items():
                self.add(stage, k, s)

    def total(self, stage: str) -> float:
        return sum(self.seconds.get(stage, {}).values())


def write_result(path: str | Path, result: dict[str, Any]) -> None:
    Path(path).write_text(json.dumps(result, indent=1, default=str))


def jm_env(home: Path, landing: Path) -> dict[str, str]:
    """A clean journeymart environment on `home` (nothing inherited from the caller's home)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AIRFLOW", "JOURNEYMART_")) or k == "JOURNEYMART_PII_KEY"}
    env |= {"JOURNEYMART_HOME": str(home), "JOURNEYMART_LANDING_URL": str(landing)}
    return env
