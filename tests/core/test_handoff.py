"""``create_batch(copy=False)`` / ``StreamConfig(copy=False)``: records handed over are
checked exactly as copied ones, and stored without a second copy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dataknobs_data import MemoryDatabase, Record, StreamConfig
from dataknobs_data.domain.errors import BatchOperationError, ConfigurationError


def test_handed_over_values_are_kept_as_they_are() -> None:
    db = MemoryDatabase()
    nested = {"deep": [1, 2]}
    db.create_batch([Record({"n": nested, "at": datetime(2024, 1, 1, tzinfo=UTC)}, id="a")],
                    copy=False)
    assert db._records["a"].data["n"] is nested  # no copy was made
    db.create_batch([Record({"n": nested}, id="b")])  # the default copies
    assert db._records["b"].data["n"] is not nested
    got = db.read("a")
    assert got is not None and got["n"] == {"deep": [1, 2]} and got["n"] is not nested


def test_handed_over_values_are_still_checked() -> None:
    db = MemoryDatabase()
    with pytest.raises(BatchOperationError) as info:
        db.create_batch([Record({"v": 1}, id="ok"), Record({"v": float("nan")}, id="bad")],
                        copy=False)
    assert set(info.value.failed) == {1} and "data.v" in str(info.value.failed[1])
    assert db.count() == 0


def test_stream_write_hands_over_when_asked() -> None:
    db = MemoryDatabase()
    nested = [1, {"x": 2}]
    result = db.stream_write([Record({"n": nested}, id="a")], StreamConfig(copy=False))
    assert result.successful == 1 and db._records["a"].data["n"] is nested
    with pytest.raises(ConfigurationError, match="copy"):
        StreamConfig(copy="no")  # type: ignore[arg-type]
