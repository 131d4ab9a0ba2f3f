"""The channel registry (channels.yml) as typed records."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

import yaml

import journeymart.config  # noqa: F401  (sets the no-telemetry defaults before any library reads them)

REGISTRY_FILE = Path(__file__).with_name("channels.yml")
COLUMN_TYPES = {"string", "int", "decimal", "date", "timestamp", "local_timestamp", "bool", "json"}
STAGES = ("awareness", "consideration", "purchase", "retention", "advocacy")
CADENCES = {"daily", "irregular"}

# Exact money: 18 digits, 6 after the point (micros survive the trip).
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DECIMAL(18,6)",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "local_timestamp": "TIMESTAMP",
    "bool": "BOOLEAN",
    "json": "JSON",
}


@dataclass(frozen=True)
class DateWindow:
    column: str
    days_before: int = 0
    days_after: int = 0


@dataclass(frozen=True)
class Entity:
    channel_id: str
    id: str
    pattern: str
    format: str
    parser: str
    columns: dict[str, str]
    key: tuple[str, ...]
    required: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    pairs_le: tuple[tuple[str, str], ...] = ()
    currency: str | None = None
    date_window: DateWindow | None = None
    pii: dict[str, str] = field(default_factory=dict)
    accepted_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cadence: str = "daily"
    due_hours: int = 30

    @property
    def table(self) -> str:
        """`<channel>__<entity>`: the name in raw.*, quarantine.*, and of the GE suite."""
        return f"{self.channel_id}__{self.id}"

    def matches(self, filename: str) -> bool:
        return fnmatch.fnmatch(filename, self.pattern)

    def parse_function(self):
        module, func = self.parser.rsplit(".", 1)
        return getattr(import_module(f"journeymart.parsers.{module}"), func)


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    kind: str
    stages: tuple[str, ...]
    currency: str
    timezone: str
    cadence: str
    due_hours: int
    entities: tuple[Entity, ...]

    def entity(self, entity_id: str) -> Entity:
        for e in self.entities:
            if e.id == entity_id:
                return e
        raise KeyError(f"channel {self.id!r} has no entity {entity_id!r}")

    def entity_for_file(self, filename: str) -> Entity | None:
        for e in self.entities:
            if e.matches(filename):
                return e
        return None


@dataclass(frozen=True)
class Registry:
    reporting_currency: str
    reporting_timezone: str
    channels: tuple[Channel, ...]

    def channel(self, channel_id: str) -> Channel:
        for c in self.channels:
            if c.id == channel_id:
                return c
        raise KeyError(f"unknown channel {channel_id!r}; known: {[c.id for c in self.channels]}")

    @property
    def entities(self) -> list[Entity]:
        return [e for c in self.channels for e in c.entities]

    def entity(self, table: str) -> Entity:
        channel_id, entity_id = table.split("__", 1)
        return self.channel(channel_id).entity(entity_id)


def _entity(channel_id: str, delivery: dict[str, Any], raw: dict[str, Any]) -> Entity:
    window = raw.get("date_window")
    return Entity(
        channel_id=channel_id,
        id=raw["id"],
        pattern=raw["pattern"],
        format=raw["format"],
        parser=raw["parser"],
        columns=dict(raw["columns"]),
        key=tuple(raw["key"]),
        required=tuple(raw.get("required", ())),
        non_negative=tuple(raw.get("non_negative", ())),
        pairs_le=tuple(tuple(p) for p in raw.get("pairs_le", ())),
        currency=raw.get("currency"),
        date_window=DateWindow(**window) if window else None,
        pii=dict(raw.get("pii", {})),
        accepted_values={k: tuple(v) for k, v in raw.get("accepted_values", {}).items()},
        cadence=raw.get("cadence", delivery["cadence"]),
        due_hours=int(raw.get("due_hours", delivery["due_hours"])),
    )


def _validate(reg: Registry) -> None:
    """Fail loudly at load time on a registry that would break a later stage."""
    seen: set[str] = set()
    for ch in reg.channels:
        if ch.id in seen or "__" in ch.id:
            raise ValueError(f"channel id {ch.id!r} is duplicated or contains '__'")
        seen.add(ch.id)
        bad_stages = set(ch.stages) - set(STAGES)
        if bad_stages:
            raise ValueError(f"{ch.id}: unknown stages {sorted(bad_stages)}")
        for e in ch.entities:
            bad = {c: t for c, t in e.columns.items() if t not in COLUMN_TYPES}
            if bad:
                raise ValueError(f"{e.table}: unknown column types {bad}")
            if e.cadence not in CADENCES:
                raise ValueError(f"{e.table}: cadence must be one of {sorted(CADENCES)}")
            named = set(e.key) | set(e.required) | set(e.non_negative)
            named |= {c for pair in e.pairs_le for c in pair} | set(e.accepted_values)
            named |= set(e.pii.values())
            if e.currency:
                named.add(e.currency)
            if e.date_window:
                named.add(e.date_window.column)
            unknown = named - set(e.columns)
            if unknown:
                raise ValueError(f"{e.table}: rules name unknown columns {sorted(unknown)}")


@cache
def load(path: Path = REGISTRY_FILE) -> Registry:
    doc = yaml.safe_load(Path(path).read_text())
    channels = []
    for raw in doc["channels"]:
        delivery = raw.get("delivery", {"cadence": "daily", "due_hours": 30})
        channels.append(
            Channel(
                id=raw["id"],
                name=raw["name"],
                kind=raw["kind"],
                stages=tuple(raw.get("stages", ())),
                currency=raw["account"]["currency"],
                timezone=raw["account"]["timezone"],
                cadence=delivery["cadence"],
                due_hours=int(delivery["due_hours"]),
                entities=tuple(_entity(raw["id"], delivery, e) for e in raw["entities"]),
            )
        )
    reg = Registry(doc["reporting_currency"], doc["reporting_timezone"], tuple(channels))
    _validate(reg)
    return reg
