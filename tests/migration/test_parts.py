"""Transforms, command-line transform specs, checkpoint stores and checksums."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from dataknobs_data import Record
from dataknobs_data.domain.errors import ConfigurationError, StorageError
from dataknobs_data.migration import (
    AddDefault,
    Checkpoint,
    Drop,
    FileCheckpointStore,
    KeepIf,
    MapField,
    Pipeline,
    Rename,
    parse_transform,
    record_checksum,
)


def rec() -> Record:
    return Record({"name": "Ada", "age": 36, "team": {"name": "core", "lead": True},
                   "tags": ["a"]}, id="r1")


def test_transforms() -> None:
    out = Pipeline([Rename({"name": "full_name", "team.name": "team.title"}),
                    Drop("tags", "team.lead", "absent"), AddDefault("list", [], replace_null=True),
                    MapField("age", lambda a: a * 2)])(rec())
    assert out is not None and out.id == "r1"
    assert out.data == {"full_name": "Ada", "age": 72, "team": {"title": "core"}, "list": []}
    assert KeepIf(lambda r: r["age"] > 40)(rec()) is None
    with pytest.raises(ConfigurationError, match="already has 'age'"):
        Rename("name", "age")(rec())
    with pytest.raises(ConfigurationError, match="returned int"):
        Pipeline([lambda r: 3])(rec())  # type: ignore[list-item,return-value]


def test_add_default_copies_the_default_per_record() -> None:
    add = AddDefault("items", [])
    a, b = add(Record({})), add(Record({}))
    a["items"].append(1)
    assert b["items"] == []


def test_parse_transform_specs() -> None:
    assert parse_transform("rename:name=full_name,age=years")(rec()).data["years"] == 36  # type: ignore[union-attr]
    assert "tags" not in parse_transform("drop:tags,team")(rec()).data  # type: ignore[union-attr]
    assert parse_transform("default:country=\"NO\"")(rec())["country"] == "NO"  # type: ignore[index]
    assert parse_transform("default:n=5")(rec())["n"] == 5  # type: ignore[index]
    assert parse_transform("default:word=plain")(rec())["word"] == "plain"  # type: ignore[index]
    assert parse_transform("map:name=builtins:len")(rec())["name"] == 3  # type: ignore[index]
    assert parse_transform("call:copy:copy") is not None
    for bad, match in [("nope", "KIND:ARGS"), ("explode:x", "unknown kind"),
                       ("rename:name", "NAME=VALUE"), ("map:x=nomodule_zz:f", "cannot import"),
                       ("map:x=os:nothing_here", "has no")]:
        with pytest.raises(ConfigurationError, match=match):
            parse_transform(bad)


def test_file_checkpoint_store_round_trip_and_corruption(tmp_path: Path) -> None:
    store = FileCheckpointStore(tmp_path / "cps")
    assert store.load("a/b") is None
    cp = Checkpoint("a/b", "f", position=10, last_id="x")
    cp.add_failure({"index": 3, "record_id": "r", "error": "bad"})
    store.save(cp)
    assert store.path_for("a/b").name == "a_b.checkpoint.json"
    assert store.load("a/b") == cp
    assert [p.name for p in (tmp_path / "cps").iterdir()] == ["a_b.checkpoint.json"]
    store.path_for("a/b").write_text("{not json", encoding="utf-8")
    with pytest.raises(StorageError, match="corrupt"):
        store.load("a/b")
    store.clear("a/b")
    store.clear("a/b")
    assert store.load("a/b") is None


def test_checksums_distinguish_types_and_ignore_key_order_and_offsets() -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    a = Record({"x": 1, "y": [1.5, {"b": 1, "a": 2}], "t": t}, metadata={"m": 1})
    b = Record({"t": t.astimezone(timezone(timedelta(hours=-5))), "y": [1.5, {"a": 2, "b": 1}],
                "x": 1}, metadata={"m": 1})
    assert record_checksum(a) == record_checksum(b)
    for changed in ({"x": 1.0}, {"x": True}, {"x": "1"}, {"t": t.replace(tzinfo=None)}):
        c = Record({**a.data, **changed}, metadata={"m": 1})
        assert record_checksum(a) != record_checksum(c), changed
    assert record_checksum(a) != record_checksum(Record(a.data, metadata={"m": 2}))
    assert record_checksum(a, include_metadata=False) == record_checksum(
        Record(a.data, metadata={"m": 2}), include_metadata=False)
    json.dumps(Checkpoint("x").to_dict())  # JSON-safe
