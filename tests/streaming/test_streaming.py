"""stream_read / stream_write on every backend: order, paging, counts, and the error policies
(stop, skip and report, retry) with every failure reported and nothing written twice."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dataknobs_data import Operator, Query, Record, StreamConfig
from dataknobs_data.adapters.memory import AsyncMemoryDatabase, MemoryDatabase
from dataknobs_data.domain.errors import ConfigurationError


def people(n: int, start: int = 0) -> list[Record]:
    base = datetime(2024, 1, 1, tzinfo=UTC)
    return [Record({"n": i, "name": f"p{i:04d}", "even": i % 2 == 0, "score": i / 4,
                    "at": base + timedelta(hours=i), "tags": [i % 3], "team": {"id": i % 5}},
                   id=f"r{i:05d}") for i in range(start, start + n)]


# -- reading ---------------------------------------------------------------------------------
def test_stream_read_matches_search_in_order(stores: Any) -> None:
    db = stores.new()
    db.create_batch(people(30))
    q = Query().filter("n", Operator.GTE, 5).filter("even", Operator.EQ, True)
    expected = [f"r{i:05d}" for i in range(6, 30, 2)]
    assert [r.id for r in db.search(q)] == expected
    for batch_size in (1, 5, 1000):
        streamed = list(db.stream_read(q, StreamConfig(batch_size=batch_size)))
        assert [r.id for r in streamed] == expected, batch_size
    assert streamed[0].data == people(30)[6].data  # full records with their value types


def test_stream_read_keeps_paging_and_projection(stores: Any) -> None:
    db = stores.new()
    db.create_batch(people(30))
    q = Query().offset(4).limit(9).select("name")
    streamed = list(db.stream_read(q, StreamConfig(batch_size=4)))
    assert [r.id for r in streamed] == [f"r{i:05d}" for i in range(4, 13)]
    assert all(set(r.data) == {"name"} for r in streamed)


def test_stream_read_of_an_empty_store(stores: Any) -> None:
    assert list(stores.new().stream_read(None, StreamConfig(batch_size=3))) == []


# -- writing ---------------------------------------------------------------------------------
def test_stream_write_counts_and_ids(stores: Any) -> None:
    db = stores.new()
    source = (rec for rec in [*people(23), Record({"name": "no id"})])
    result = db.stream_write(source, StreamConfig(batch_size=5))
    assert result.ok and result.total_processed == 24 and result.successful == 24
    assert result.ids[:23] == [f"r{i:05d}" for i in range(23)]
    assert len(set(result.ids)) == 24 and db.count() == 24
    assert db.read(result.ids[-1]).data == {"name": "no id"}  # type: ignore[union-attr]


def bad_stream() -> list[Record]:
    """Batches of 5: the second batch holds a duplicate of record 0, the third a
    value no store accepts."""
    recs = people(15)
    recs[6] = Record({"n": 6}, id="r00000")
    recs[12] = Record({"n": 12, "bad": {1, 2}}, id="r00012")
    return recs


def test_stop_ends_at_the_first_failed_batch_and_reports_it(stores: Any) -> None:
    db = stores.new()
    result = db.stream_write(bad_stream(), StreamConfig(batch_size=5, on_error="stop"))
    assert result.stopped_early and not result.ok
    assert [(f.index, f.record_id) for f in result.failures] == [(6, "r00000")]
    assert "exists" in result.failures[0].error
    # the first batch and the good records of the failed one are written, nothing after
    assert result.total_processed == 10 and result.successful == 9
    assert db.count() == 9 and not db.exists("r00010")


def test_skip_reports_each_failure_and_goes_on(stores: Any) -> None:
    db = stores.new()
    result = db.stream_write(bad_stream(), StreamConfig(batch_size=5, on_error="skip"))
    assert not result.stopped_early and result.total_processed == 15
    assert [(f.index, f.record_id) for f in result.failures] == [(6, "r00000"), (12, "r00012")]
    assert "not storable" in result.failures[1].error
    assert result.successful == 13 and db.count() == 13
    assert db.read("r00000").data["name"] == "p0000"  # type: ignore[union-attr]


def test_retry_recovers_from_transient_failures_without_duplicates(
        stores: Any, helpers: Any) -> None:
    inner = stores.new()
    db = helpers.FaultyStore(inner, transient=2)
    cfg = StreamConfig(batch_size=4, on_error="retry", max_retries=3, retry_delay=0.001)
    result = db.stream_write(people(10), cfg)
    assert result.ok and result.successful == 10 and result.failed == 0
    assert inner.count() == 10


def test_retry_counts_a_write_whose_reply_was_lost_once(stores: Any, helpers: Any) -> None:
    inner = stores.new()
    db = helpers.FaultyStore(inner, transient=1, lost_ack=True)
    cfg = StreamConfig(batch_size=4, on_error="retry", max_retries=2, retry_delay=0.001)
    result = db.stream_write(people(8), cfg)
    assert result.ok and result.successful == 8 and sorted(result.ids) == sorted(set(result.ids))
    assert inner.count() == 8


def test_retry_gives_up_on_a_permanent_failure_and_reports_it(stores: Any) -> None:
    db = stores.new()
    recs = people(6)
    recs[2] = Record({"bad": float("nan")}, id="r00002")
    cfg = StreamConfig(batch_size=3, on_error="retry", max_retries=2, retry_delay=0.001)
    result = db.stream_write(recs, cfg)
    assert [(f.index, f.record_id) for f in result.failures] == [(2, "r00002")]
    assert "finite" in result.failures[0].error
    assert result.successful == 5 and not result.stopped_early and db.count() == 5


def test_conflict_policies_on_a_filled_store(stores: Any) -> None:
    # a re-run into a store that holds a third of the stream, with each policy
    from dataknobs_data import ConflictPolicy

    db = stores.new()
    db.create_batch(people(12)[::3])
    changed = [Record({**r.data, "n": -r["n"]}, id=r.id) for r in people(12)]
    skip = db.stream_write(changed, StreamConfig(batch_size=5, on_conflict=ConflictPolicy.SKIP))
    assert (skip.successful, skip.skipped, skip.failed, skip.ok) == (8, 4, 0, True)
    assert db.read("r00003")["n"] == 3 and db.read("r00004")["n"] == -4  # type: ignore[index]
    upsert = db.stream_write(people(12), StreamConfig(batch_size=5, on_conflict="upsert"))
    assert upsert.ok and upsert.successful == 12 and db.count() == 12
    assert db.read("r00004")["n"] == 4  # type: ignore[index]
    insert = db.stream_write(people(3), StreamConfig(on_error="skip"))
    assert insert.failed_indices == [0, 1, 2] and insert.successful == 0


def test_stream_config_rejects_bad_values() -> None:
    with pytest.raises(ConfigurationError, match="batch_size"):
        StreamConfig(batch_size=0)
    with pytest.raises(ConfigurationError, match="on_error"):
        StreamConfig(on_error="ignore")  # type: ignore[arg-type]


# -- async ------------------------------------------------------------------------------------
async def test_async_stream_read_and_write_with_policies(stores: Any) -> None:
    db = stores.new_async()
    try:
        result = await db.stream_write(bad_stream(), StreamConfig(batch_size=5, on_error="skip"))
        assert [f.record_id for f in result.failures] == ["r00000", "r00012"]
        assert result.successful == 13
        q = Query().filter("even", Operator.EQ, True)
        got = [r.id async for r in db.stream_read(q, StreamConfig(batch_size=2))]
        assert got == [r.id for r in await db.search(q)] and len(got) == 6
        stopped = await stores.new_async().stream_write(
            bad_stream(), StreamConfig(batch_size=5, on_error="stop"))
        assert stopped.stopped_early and stopped.total_processed == 10
    finally:
        await stores.aclose()


# -- memory stays flat ----------------------------------------------------------------------
def generated(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {"id": f"g{i:07d}", "n": i, "text": "x" * 50}


class CountingSink(MemoryDatabase):
    """A store that forgets what it is given (so only the stream's own memory counts)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        self.seen += len(records)
        return {}


def peak_bytes(n: int, keep_ids: bool = True) -> int:
    sink = CountingSink()
    tracemalloc.start()
    result = sink.stream_write(generated(n), StreamConfig(batch_size=500, keep_ids=keep_ids))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sink.seen == n and result.successful == n
    return peak


def test_stream_write_memory_does_not_grow_with_the_input() -> None:
    small, large = peak_bytes(2_000), peak_bytes(12_000)
    # StreamResult keeps one id string per record (about 100 bytes with its list slot);
    # the records themselves (several hundred bytes each here) are not kept
    per_record = (large - small) / 10_000
    assert per_record < 150, (small, large)


def test_stream_write_without_ids_stays_flat() -> None:
    small, large = peak_bytes(2_000, keep_ids=False), peak_bytes(12_000, keep_ids=False)
    assert large < small * 1.5, (small, large)
    result = CountingSink().stream_write(generated(10), StreamConfig(keep_ids=False))
    assert result.ids == [] and result.successful == 10


async def test_async_memory_stream_write_reports_like_sync() -> None:
    db = AsyncMemoryDatabase()
    result = await db.stream_write(generated(12), StreamConfig(batch_size=5))
    assert result.ok and result.successful == 12 and await db.count() == 12
