"""Identifiers are hashed with HMAC-SHA256 of their normalised text."""

from __future__ import annotations

import hmac

import pandas as pd
import pytest

from journeymart import config, registry
from journeymart.pii import hash_identifier, hash_pii


@pytest.mark.parametrize("key", [b"", b"k", b"journeymart-dev-key", b"x" * 64, b"y" * 65, b"z" * 200])
def test_hash_is_hmac_sha256_of_the_normalised_identifier(key: bytes) -> None:
    for value in ["Ana@Example.com", "  ana@example.com\t", "", "ñandú@correo.es", "12345", "a" * 1000]:
        expected = hmac.new(key, value.strip().lower().encode(), "sha256").hexdigest()
        assert hash_identifier(value, key) == expected
    assert hash_identifier(None, key) is None


def test_the_same_address_hashes_alike_across_spellings_and_differently_under_another_key() -> None:
    a, b = hash_identifier("Ana@Example.com ", b"one"), hash_identifier("ana@example.com", b"one")
    assert a == b
    assert hash_identifier("ana@example.com", b"two") != a
    assert hash_identifier("bob@example.com", b"one") != a


def test_hash_pii_replaces_the_native_column_row_by_row() -> None:
    entity = registry.load().channel("email").entity("recipient_activity")
    (native, hashed), = entity.pii.items()
    values = ["Ana@Example.com", None, "bob@example.com", "ana@example.com", "Bob@example.com "]
    # object columns holding None, as the parsers build them (base.build_frame)
    frame = pd.DataFrame({native: values, "campaign_id": list("abcde")}, dtype=object)
    out = hash_pii(entity, frame, b"key")
    assert native not in out.columns
    # None stays None: NaN in a text column fails the Parquet write (and the whole file)
    assert out[hashed].tolist() == [
        None if v is None else hmac.new(b"key", v.strip().lower().encode(), "sha256").hexdigest()
        for v in values]
    assert out["campaign_id"].tolist() == list("abcde")


def test_hash_pii_keeps_the_registry_column_order_the_index_and_object_columns() -> None:
    """The hashed column takes its place in the entity's column order (the Parquet files and
    raw tables follow it), extra columns follow in their order, the frame's index stays, and
    a file without the identifier column gets a hashed column of None (object: NaN would fail
    the Parquet write)."""
    entity = registry.load().channel("commerce").entity("orders")
    (native, hashed), = entity.pii.items()
    others = [c for c in entity.columns if c != hashed][:3]
    index = pd.Index([7, 3, 5])
    frame = pd.DataFrame({"extra_b": [1, 2, 3], native: ["A@x.com", None, "b@x.com"],
                          **{c: ["p", "q", "r"] for c in reversed(others)}, "extra_a": list("xyz")},
                         index=index, dtype=object)
    out = hash_pii(entity, frame, b"key")
    listed = [c for c in entity.columns if c in {hashed, *others}]
    assert list(out.columns) == [*listed, "extra_b", "extra_a"]
    assert out.index.equals(index) and out[hashed].dtype == object
    assert out[hashed].tolist() == [hash_identifier("A@x.com", b"key"), None, hash_identifier("b@x.com", b"key")]
    assert out["extra_b"].tolist() == [1, 2, 3]

    missing = hash_pii(entity, frame.drop(columns=[native]), b"key")
    assert missing[hashed].tolist() == [None, None, None] and missing[hashed].dtype == object
    assert list(missing.columns) == [*listed, "extra_b", "extra_a"]


def test_hashes_kept_between_files_match_fresh_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-process hash cache gives what HMAC gives, per key, whether it holds every
    address seen or is cleared for being full (a bound of 3 entries)."""
    from journeymart import pii

    files = [["a@x.com", None, "B@x.com"], ["b@x.com ", "a@x.com"], ["c@x.com", "d@x.com", "a@x.com"]]
    for bound in (100, 3):
        monkeypatch.setattr(pii, "HASH_CACHE_ENTRIES", bound)
        monkeypatch.setattr(pii, "_HASHES", {})
        for key in (b"one", b"two", b"one"):
            for values in files:
                assert pii._hash_column(values, key) == [
                    None if v is None else hmac.new(key, v.strip().lower().encode(), "sha256").hexdigest()
                    for v in values]
        assert all(len(cached) <= min(bound, 6) + 1 for cached in pii._HASHES.values())  # + None


def test_the_key_comes_from_the_env_and_falls_back_to_the_dev_key_with_a_warning(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("JOURNEYMART_PII_KEY_REQUIRED", raising=False)
    monkeypatch.setenv("JOURNEYMART_PII_KEY", "from-env")
    assert config.pii_key() == b"from-env"
    monkeypatch.delenv("JOURNEYMART_PII_KEY")
    config._warn_dev_key_once.cache_clear()
    with caplog.at_level("WARNING", logger="journeymart.config"):
        assert config.pii_key() == config.DEV_PII_KEY.encode()
    # stdlib logging, or structlog's console once Airflow's import has configured it
    assert "public development PII key" in caplog.text + "".join(capsys.readouterr())
    for required in ("true", "1", "YES"):
        monkeypatch.setenv("JOURNEYMART_PII_KEY_REQUIRED", required)
        with pytest.raises(config.PiiKeyMissing):
            config.pii_key()
    monkeypatch.setenv("JOURNEYMART_PII_KEY_REQUIRED", "false")
    assert config.pii_key() == config.DEV_PII_KEY.encode()


def test_hash_pii_gives_the_same_frame_built_as_one_array_or_from_columns() -> None:
    """A small frame of object columns is read and built as one array, a large one (or one
    holding a typed column) from its columns: the same columns, order, index, dtypes and cells."""
    from journeymart.parsers.base import WHOLE_FRAME_ROWS

    entity = registry.load().channel("commerce").entity("orders")
    (native, hashed), = entity.pii.items()
    others = [c for c in entity.columns if c != hashed][:3]
    rows = WHOLE_FRAME_ROWS + 1
    big = pd.DataFrame({"extra": [None, 2, "x"] * (rows // 3 + 1), native: ["A@x.com", None, "b@x.com "] * (rows // 3 + 1),
                        **{c: [f"{c}{i}" for i in range(3 * (rows // 3 + 1))] for c in others}},
                       dtype=object).iloc[::-1]
    small = big.iloc[:5]
    pd.testing.assert_frame_equal(hash_pii(entity, big, b"key").iloc[:5], hash_pii(entity, small, b"key"))
    typed = small.assign(extra=[1, 2, 3, 4, 5])
    out = hash_pii(entity, typed, b"key")
    assert out["extra"].dtype == "int64" and out.index.equals(typed.index)
    pd.testing.assert_frame_equal(out.drop(columns="extra"), hash_pii(entity, small, b"key").drop(columns="extra"))
