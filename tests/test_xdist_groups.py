"""The suite's xdist groups hold. `make test` runs `--dist loadgroup`: the tests of one
`xdist_group` go to one worker, so a module's expensive fixtures (a transform DAG run, a dbt
build) are built once. pytest 9 stopped reading the node attribute pytest-xdist 3.8 sets for
this, which silently spread every group over both workers and built those fixtures twice
(pyproject.toml pins pytest below 9 for it)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("groups_check")


def test_a_grouped_test_runs_as_its_group_under_loadgroup(request: pytest.FixtureRequest) -> None:
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("only meaningful in an xdist worker under --dist loadgroup (make test)")
    # xdist schedules by this id: without the suffix the group is ignored
    assert request.node.nodeid.endswith("@groups_check"), request.node.nodeid
