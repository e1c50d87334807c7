"""dataknobs-data 0.11's streaming API, written as 0.11's users write it, on this project's
ports: StreamConfig's 0.11 fields, StreamResult's counts and errors, ConflictPolicy,
StreamProcessor, stream_transform, async stream_write from an async iterator, and
process_batch_with_fallback."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from dataknobs_data import AsyncMemoryDatabase, MemoryDatabase, Query, Record
from dataknobs_data.domain.errors import ConfigurationError, DataknobsError, ValidationError
from dataknobs_data.streaming import (
    ConflictPolicy,
    StreamConfig,
    StreamProcessor,
    StreamResult,
    async_process_batch_with_fallback,
    process_batch_with_fallback,
)


def numbered(n: int, start: int = 0) -> Iterator[Record]:
    for i in range(start, start + n):
        yield Record({"n": i}, id=f"r{i:03d}")


async def anumbered(n: int, start: int = 0) -> AsyncIterator[Record]:
    for rec in numbered(n, start):
        yield rec


# -- StreamConfig ------------------------------------------------------------------------------
def test_config_has_the_fields_of_0_11_and_ours() -> None:
    config = StreamConfig()
    assert (config.batch_size, config.prefetch, config.timeout, config.on_error,
            config.on_conflict) == (1000, 2, None, None, ConflictPolicy.INSERT)
    assert (config.max_retries, config.keep_ids) == (3, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.batch_size = 5  # type: ignore[misc]
    assert StreamConfig.from_dict({"on_conflict": "upsert"}).on_conflict is ConflictPolicy.UPSERT

    def handler(error: Exception, record: Any) -> bool:
        return True

    custom = StreamConfig(batch_size=10, on_error=handler, on_conflict=ConflictPolicy.SKIP)
    assert StreamConfig.from_dict(custom.to_dict()) == custom


@pytest.mark.parametrize(("options", "named"), [
    ({"batch_size": 0}, "batch_size must be positive"),
    ({"batch_size": True}, "batch_size"),
    ({"prefetch": -1}, "prefetch must be non-negative"),
    ({"timeout": 0}, "timeout must be positive"),
    ({"on_error": "ignore"}, "on_error must be 'stop', 'skip', 'retry', None or a callable"),
    ({"on_error": 3}, "on_error"),
    ({"on_conflict": "merge"}, "on_conflict must be one of 'insert', 'upsert', 'skip'"),
    ({"keep_ids": "yes"}, "keep_ids"),
])
def test_bad_options_are_refused_by_name(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        StreamConfig(**options)
    with pytest.raises(ValueError, match=named):  # 0.11 code catches ValueError
        StreamConfig.from_dict(options)


def test_from_dict_names_an_unknown_key() -> None:
    with pytest.raises(ConfigurationError, match=r"'batchsize' .*'batch_size'"):
        StreamConfig.from_dict({"batchsize": 10})


# -- on_error as a callable --------------------------------------------------------------------
def test_callable_on_error_sees_each_failure_and_decides() -> None:
    db = MemoryDatabase()
    db.create(Record({"n": -1}, id="r002"))
    seen: list[tuple[str, str | None]] = []

    def keep_going(error: Exception, record: Any) -> bool:
        seen.append((type(error).__name__, record.id if record is not None else None))
        return True

    result = db.stream_write(numbered(6), StreamConfig(batch_size=2, on_error=keep_going))
    assert seen == [("RecordExistsError", "r002")]
    assert (result.successful, result.failed, result.total_batches) == (5, 1, 3)
    (error,) = result.errors
    assert "already exists" in error.pop("error")
    assert error == {"record_id": "r002", "type": "RecordExistsError", "index": 2}
    assert result.failed_indices == [2] and result.success_rate == pytest.approx(500 / 6)

    stopped = MemoryDatabase()
    stopped.create(Record({"n": -1}, id="r002"))
    result = stopped.stream_write(numbered(6), StreamConfig(batch_size=2,
                                                            on_error=lambda e, r: False))
    assert result.stopped_early and result.total_batches == 2 and stopped.count() == 4


def test_an_item_that_is_no_record_is_refused_at_its_index() -> None:
    db = MemoryDatabase()
    items: list[Any] = [Record({"n": 0}, id="a"), None, {"n": 2}]
    result = db.stream_write(items, StreamConfig(on_error="skip"))
    assert result.successful == 2 and result.failed == 1
    assert result.errors[0]["index"] == 1 and result.errors[0]["type"] == "ValidationError"
    assert "stream item 1 is not a Record or a mapping: NoneType" in result.errors[0]["error"]


def test_a_sync_database_refuses_an_async_iterator() -> None:
    with pytest.raises(ValidationError, match="async iterable"):
        MemoryDatabase().stream_write(anumbered(2))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="iterable of records, got int"):
        MemoryDatabase().stream_write(5)  # type: ignore[arg-type]


# -- ConflictPolicy ----------------------------------------------------------------------------
@pytest.mark.parametrize("policy", list(ConflictPolicy))
def test_conflict_policies(policy: ConflictPolicy) -> None:
    db = MemoryDatabase()
    db.create(Record({"n": -1}, id="r001"))
    result = db.stream_write(numbered(3), StreamConfig(on_conflict=policy, on_error="skip"))
    stored = db.read("r001")
    assert stored is not None and db.count() == 3
    assert result.total_processed == result.successful + result.failed + result.skipped == 3
    if policy is ConflictPolicy.INSERT:
        assert (result.successful, result.failed, result.skipped) == (2, 1, 0)
        assert stored["n"] == -1 and not result.ok
    elif policy is ConflictPolicy.UPSERT:
        assert (result.successful, result.failed, result.skipped) == (3, 0, 0)
        assert stored["n"] == 1 and result.ok
    else:
        assert (result.successful, result.failed, result.skipped) == (2, 0, 1)
        assert stored["n"] == -1 and result.ok and "r001" not in result.ids


def test_skip_makes_a_rerun_a_top_up() -> None:
    db = MemoryDatabase()
    db.stream_write(numbered(4))
    again = db.stream_write(numbered(6), StreamConfig(batch_size=4, on_conflict="skip"))
    assert (again.successful, again.skipped, again.failed) == (2, 4, 0) and db.count() == 6


def test_upsert_falls_back_per_record_when_one_is_bad() -> None:
    db = MemoryDatabase()
    records = [Record({"n": 0}, id="a"), Record({"bad": float("nan")}, id="b"),
               Record({"n": 2}, id="c")]
    result = db.stream_write(records, StreamConfig(on_conflict="upsert", on_error="skip"))
    assert result.successful == 2 and result.failed_indices == [1]
    assert sorted(r.id or "" for r in db.all()) == ["a", "c"]


# -- StreamResult --------------------------------------------------------------------------------
def test_result_merge_and_str() -> None:
    first = StreamResult(total_processed=50, successful=45, failed=5, duration=10.0)
    first.add_error("rec1", ValueError("Error 1"), index=3)
    second = StreamResult(total_processed=30, successful=28, failed=1, skipped=1, duration=5.0)
    second.add_error(None, TypeError("Error 2"))
    first.merge(second)
    assert (first.total_processed, first.successful, first.failed, first.skipped) == (80, 73, 6, 1)
    assert first.duration == 15.0 and first.failed_indices == [3]
    assert [e["type"] for e in first.errors] == ["ValueError", "TypeError"]
    assert first.errors[1]["index"] is None
    assert "processed=80" in str(first) and "success_rate=91.2%" in str(first)
    assert StreamResult().success_rate == 0.0


# -- StreamProcessor and stream_transform --------------------------------------------------------
def test_stream_processor() -> None:
    batches = list(StreamProcessor.batch_iterator(numbered(7), batch_size=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    evens = StreamProcessor.filter_stream(numbered(6), lambda r: r["n"] % 2 == 0)
    assert [r["n"] for r in evens] == [0, 2, 4]
    doubled = StreamProcessor.transform_stream(
        numbered(4), lambda r: Record({"n": r["n"] * 2}) if r["n"] != 1 else None)
    assert [r["n"] for r in doubled] == [0, 4, 6]
    with pytest.raises(ConfigurationError, match="batch_size must be positive"):
        StreamProcessor.batch_iterator(numbered(2), batch_size=0)


def test_stream_processor_is_lazy() -> None:
    def endless() -> Iterator[Record]:
        i = 0
        while True:
            yield Record({"n": i})
            i += 1

    stream = StreamProcessor.filter_stream(endless(), lambda r: r["n"] % 10 == 0)
    assert [next(stream)["n"] for _ in range(3)] == [0, 10, 20]


async def test_async_stream_processor_takes_async_callbacks() -> None:
    async def is_even(record: Record) -> bool:
        return record["n"] % 2 == 0

    got = [r["n"] async for r in StreamProcessor.async_filter_stream(anumbered(6), is_even)]
    assert got == [0, 2, 4]
    batches = [b async for b in StreamProcessor.async_batch_iterator(anumbered(5), 2)]
    assert [len(b) for b in batches] == [2, 2, 1]
    plain = StreamProcessor.list_to_async_iterator(list(numbered(2)))
    assert [r.id async for r in plain] == ["r000", "r001"]


def test_stream_transform_between_databases() -> None:
    source, target = MemoryDatabase(), MemoryDatabase()
    source.stream_write(numbered(20))

    def migrate(record: Record) -> Record | None:
        if record["n"] % 4:
            return None
        return Record({"n": record["n"] * 100, "migrated": True}, id=record.id)

    config = StreamConfig(batch_size=5)
    result = target.stream_write(source.stream_transform(Query(), migrate, config), config)
    assert result.successful == 5 and target.count() == 5
    assert all(r["migrated"] is True for r in target.all())
    assert [r.id for r in source.stream_transform(config=config)] == [
        f"r{i:03d}" for i in range(20)]


async def test_async_stream_write_from_an_async_iterator() -> None:
    source, target = AsyncMemoryDatabase(), AsyncMemoryDatabase()
    written = await source.stream_write(anumbered(30), StreamConfig(batch_size=7))
    assert written.ok and written.total_batches == 5 and await source.count() == 30

    async def tenfold(record: Record) -> Record:
        return Record({"n": record["n"] * 10}, id=record.id)

    copied = await target.stream_write(source.stream_transform(transform=tenfold),
                                       StreamConfig(batch_size=8, on_conflict="skip"))
    assert copied.successful == 30 and (await target.read("r029"))["n"] == 290  # type: ignore[index]
    again = await target.stream_write(source.stream_read(), StreamConfig(on_conflict="skip"))
    assert again.skipped == 30 and again.successful == 0


# -- process_batch_with_fallback ---------------------------------------------------------------
def test_process_batch_with_fallback_isolates_the_failing_record() -> None:
    written: list[str] = []

    def write_all(records: list[Record]) -> list[str]:
        raise RuntimeError("bulk path down")

    def write_one(record: Record) -> str:
        if record["n"] == 3:
            raise ValueError("bad n")
        written.append(record.id or "")
        return record.id or ""

    result = StreamResult()
    config = StreamConfig(batch_size=5, on_error=lambda e, r: True)
    goes_on = process_batch_with_fallback(list(numbered(5)), write_all, write_one, result,
                                          config, batch_index=2)
    assert goes_on and written == ["r000", "r001", "r002", "r004"]
    assert result.failed_indices == [13] and result.errors[0]["type"] == "ValueError"

    quits: list[bool] = []
    stop = process_batch_with_fallback(list(numbered(5)), None, write_one, StreamResult(),
                                       StreamConfig(), on_quit_signal=lambda: quits.append(True))
    assert stop is False and quits == [True]


async def test_async_process_batch_counts_a_shortfall_and_duplicates() -> None:
    db = AsyncMemoryDatabase()
    await db.create(Record({"n": 0}, id="r000"))
    result = StreamResult()
    goes_on = await async_process_batch_with_fallback(
        list(numbered(3)), None, db.create, result, StreamConfig(), skip_on_duplicate=True)
    assert goes_on and (result.successful, result.skipped) == (2, 1)

    async def short(records: list[Record]) -> list[str]:
        return ["x"]

    short_result = StreamResult()
    assert not await async_process_batch_with_fallback(
        list(numbered(3)), short, db.create, short_result, StreamConfig())
    assert (short_result.successful, short_result.failed) == (1, 2)
    assert short_result.errors[0]["record_id"] is None
    assert short_result.errors[0]["type"] == "DatabaseOperationError"


def test_every_refusal_is_a_dataknobs_error() -> None:
    for bad in ({"batch_size": -1}, {"timeout": "soon"}, {"prefetch": 1.5}):
        with pytest.raises(DataknobsError):
            StreamConfig(**bad)
