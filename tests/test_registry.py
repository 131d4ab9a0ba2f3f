"""The channel registry drives everything: check it against its consumers."""

from __future__ import annotations

import json

import pytest

from journeymart import registry
from journeymart.validation import EXPECTATIONS_DIR, suite_dict, suite_path

REG = registry.load()


def test_registry_lists_the_design_channels_with_accounts_and_stages() -> None:
    assert len(REG.channels) >= 13
    kinds = {c.kind for c in REG.channels}
    for kind in ("paid_search", "paid_social", "email", "web", "mobile_app", "video", "webinar",
                 "event", "content", "offline", "commerce", "finance"):
        assert kind in kinds, kind
    assert len({c.currency for c in REG.channels}) >= 2
    assert len({c.timezone for c in REG.channels}) >= 2
    for c in REG.channels:
        assert c.entities, c.id
        assert set(c.stages) <= set(registry.STAGES)


@pytest.mark.parametrize("entity", REG.entities, ids=lambda e: e.table)
def test_every_entity_has_a_parser_and_a_suite_in_sync(entity: registry.Entity) -> None:
    assert callable(entity.parse_function())
    stored = json.loads(suite_path(entity).read_text())
    assert stored == json.loads(json.dumps(suite_dict(entity), default=str)), (
        f"{suite_path(entity)} is stale: run `journeymart suites --write`")


def test_no_suite_without_a_registry_entity() -> None:
    tables = {e.table for e in REG.entities}
    assert {p.stem for p in EXPECTATIONS_DIR.glob("*.json")} == tables


def test_mart_suites_are_in_sync() -> None:
    from journeymart.marts import EXPECTATIONS_DIR as MARTS
    from journeymart.marts import mart_suite_dicts

    for name, doc in mart_suite_dicts().items():
        assert json.loads((MARTS / f"{name}.json").read_text()) == doc, name


def test_registry_rejects_rules_on_unknown_columns(tmp_path) -> None:
    doc = (registry.REGISTRY_FILE).read_text().replace(
        "key: [date, campaign_id]", "key: [date, campaign_idx]", 1)
    bad = tmp_path / "channels.yml"
    bad.write_text(doc)
    with pytest.raises(ValueError, match="campaign_idx"):
        registry.load.__wrapped__(bad)
