"""The suite's xdist groups hold. `make test` runs `--dist loadgroup`: the tests of one
`xdist_group` go to one worker, so a module's expensive fixtures (a transform DAG run, a dbt
build) are built once. pytest 9 stopped reading the node attribute pytest-xdist 3.8 sets for
this, which silently spread every group over both workers and built those fixtures twice
(pyproject.toml pins pytest below 9 for it)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("groups_check")


def test_a_grouped_test_runs_as_its_group_under_loadgroup(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only meaningful in an xdist worker under --dist loadgroup (make test)")
    # xdist schedules by this id: without the suffix the group is ignored
    assert request.node.nodeid.endswith("@groups_check"), request.node.nodeid


def test_two_collections_a_second_apart_list_the_same_ids() -> None:
    """Each xdist worker collects on its own, and the run stops ("Different tests were collected
    between gw1 and gw0") when their ids differ. A parameter made at collection time from the
    clock (a gzip header's mtime) did that whenever two workers collected in different seconds."""
    def collect() -> list[str]:
        run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                              str(Path(__file__).parent)], capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        return [line for line in run.stdout.splitlines() if "::" in line]

    first = collect()
    time.sleep(1.1)
    second = collect()
    assert len(first) > 100
    assert first == second, sorted(set(first) ^ set(second))[:4]
