"""stream_write: permanent failures are not retried; keep_ids=False keeps counts only."""

from __future__ import annotations

from typing import Any

import pytest

from dataknobs_data import MemoryDatabase, Record
from dataknobs_data.domain.errors import OperationalError
from dataknobs_data.ports.streaming import StreamConfig


class CountingMemory(MemoryDatabase):
    """Counts single creates; the first create of ids in ``flaky`` fails transiently."""

    def __init__(self, flaky: set[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.flaky = set(flaky)
        self.single_creates: list[str] = []

    def create(self, record: Any) -> str:
        rec = record if isinstance(record, Record) else Record(record)
        self.single_creates.append(str(rec.id))
        return super().create(record)

    def create_batch(self, records: Any) -> list[str]:
        batch = list(records)
        if any(r.id in self.flaky for r in batch):
            self.flaky.clear()
            raise OperationalError("connection lost (injected)")
        return super().create_batch(batch)


def test_retry_reports_a_permanent_failure_without_retrying_it() -> None:
    db = CountingMemory(flaky=set())
    db.create(Record({"v": 0}, id="dup"))
    db.single_creates.clear()
    records = [Record({"v": 1}, id="a"), Record({"v": 2}, id="dup"), Record({"v": 3}, id="b")]
    result = db.stream_write(records, StreamConfig(on_error="retry", retry_delay=0.0))
    assert result.successful == 2 and result.failed == 1
    assert [f.record_id for f in result.failures] == ["dup"]
    assert db.single_creates == []  # a duplicate id can never succeed: not retried
    assert db.count() == 3


def test_retry_cures_a_transient_batch_failure() -> None:
    db = CountingMemory(flaky={"t1"})
    records = [Record({"v": 1}, id="t1"), Record({"v": 2}, id="t2")]
    result = db.stream_write(records, StreamConfig(on_error="retry", retry_delay=0.0))
    assert result.ok and result.successful == 2
    assert sorted(db.single_creates) == ["t1", "t2"]  # each retried on its own, once
    assert db.count() == 2


@pytest.mark.parametrize("keep_ids", [True, False])
def test_keep_ids(keep_ids: bool) -> None:
    db = MemoryDatabase()
    result = db.stream_write(({"n": i} for i in range(2500)),
                             StreamConfig(batch_size=1000, keep_ids=keep_ids))
    assert result.successful == 2500 and result.ok
    assert len(result.ids) == (2500 if keep_ids else 0)
    assert db.count() == 2500


def test_the_port_refuses_declared_unsupported_operators_on_every_read_path() -> None:
    from dataclasses import replace

    from dataknobs_data import Filter, Operator, Query
    from dataknobs_data.domain.errors import UnsupportedQueryError

    class NoRegex(MemoryDatabase):
        backend_name = "noregex"
        capabilities = replace(MemoryDatabase.capabilities,
                               unsupported_operators=frozenset({Operator.REGEX}))

    db = NoRegex()
    db.create(Record({"v": "abc"}, id="a"))
    nested = Query().or_(Filter("v", Operator.EQ, "x"),
                         ~Filter("v", Operator.REGEX, "^a"))
    for call in (db.search, db.count, lambda q: list(db.stream_read(q))):
        with pytest.raises(UnsupportedQueryError, match="noregex does not support REGEX"):
            call(nested)
    assert db.count(Query().filter("v", Operator.EQ, "abc")) == 1
