"""The fidelity suite: hostile records are stored exactly or refused clearly, and survive a close.

Where the differential suite checks what queries answer, this one checks what the store keeps.
Hypothesis invents ids and records with any Unicode (lone surrogates, control characters,
``\\r\\n``, NUL), any key (dots, ``$``, empty, 10 KB long, the adapter's own envelope and
column names), and every value the specification allows and some it refuses: ``-0.0``,
integers at and beyond the 64-bit edges, strings up to a few MB, objects and lists nested to
the backend's documented depth and one level past it, naive and aware datetimes, a field whose
type differs between records. For each example the suite

1. opens a handle on the store and clears it,
2. writes the records, some one by one with ``create`` and the rest with ``create_batch``,
3. closes the handle, opens a new one on the same store,
4. checks that every write that returned reads back exactly (id, data and metadata: types,
   the sign of zero, time zones and keys included), that every refused write raised a
   ``DataknobsError`` whose message names the record or the path, and that nothing refused
   was stored; ``count``, ``search`` and an equality query with a hostile operand must work;
5. reads the store as Arrow (``to_arrow``: exactly the kept records), clears it and writes
   the table back (``write_arrow``: every kept record reads back exactly again).

Use it by subclassing and providing ``open_database``, a fixture returning a zero-argument
factory; each call opens a new handle (sync or async) on the same, test-private store::

    class TestMyFidelity(FidelitySuite):
        envelope_names = ("$id",)          # names the adapter itself writes
        max_depth = 20                     # the nesting depth the backend guarantees

        @pytest.fixture
        def open_database(self, tmp_path):
            return lambda: FileDatabase(path=str(tmp_path / "store.json"))

Runs are reproducible like the differential suite: derandomized unless the environment sets
``DATAKNOBS_FIDELITY_SEED`` to an integer; ``DATAKNOBS_FIDELITY_EXAMPLES`` overrides the number
of examples. Each run prints how many records it wrote, kept and saw refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..domain import columnar
from ..domain.errors import BatchOperationError, DataknobsError
from ..domain.query import Operator, Query
from ..domain.records import Record
from ..domain.values import INT64_MAX, INT64_MIN
from .runner import (
    AdapterUnderTest,
    EventLoopThread,
    exactly,
    run_reported,
    suite_settings,
    sync_shaped,
)

SEED_ENV = "DATAKNOBS_FIDELITY_SEED"
EXAMPLES_ENV = "DATAKNOBS_FIDELITY_EXAMPLES"

#: Characters and strings that broke some store once, or could.
HOSTILE_CHARS = ("\x00", "\r", "\n", "\r\n", "\t", "\x1f", "\x7f", "\ud800", "\udfff",
                 "\u2028", "\ufeff", "\U0001f600", ".", "$", "\\", "'", '"', ",", "/", "%",
                 "*", "?", "#", "=", " ", "\u0301", "\uffff")
HOSTILE_STRINGS = ("", " ", "a.b", "$", "$id", "$id (field)", "id", "_id", "..", "../x",
                   "a/b", "%2F", "0", "-0", "NaN", "null", "true", "[]", "{}", "a\ud800b",
                   "x\r\ny", "nul\x00here", "' OR 1=1 --", "\\'", "\\", "é", "e\u0301",
                   "\U0001f600")
LONG_KEY = "k" * 10_240
INT_EDGES = (0, 1, -1, 2**31, -(2**31) - 1, 2**53, 2**53 + 1, -(2**53) - 1,
             INT64_MAX, INT64_MIN, INT64_MAX + 1, INT64_MIN - 1, 2**64, -(2**70))
FLOAT_EDGES = (0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308,
               2.0**53 + 2, 0.1, 1e-7, 9.223372036854776e18, math.inf, math.nan)
OFFSETS_MINUTES = (0, 60, -300, 330, 840, -720, 1439, -1439)


def _text(max_size: int = 12, min_size: int = 0) -> st.SearchStrategy[str]:
    """Any Unicode string, lone surrogates included, biased to the hostile ones."""
    chars = st.one_of(st.characters(), st.sampled_from(HOSTILE_CHARS))
    return st.one_of(
        st.sampled_from([s for s in HOSTILE_STRINGS if len(s) >= min_size]),
        st.lists(chars, min_size=min_size, max_size=max_size).map("".join),
    )


def _long_text(max_string: int) -> st.SearchStrategy[str]:
    sizes = sorted({131_073, min(1_000_000, max_string), max_string})
    return st.builds(lambda unit, size: (unit * (size // len(unit) + 1))[:size],
                     _text(6, min_size=1), st.sampled_from(sizes))


@st.composite
def _datetimes(draw: st.DrawFn) -> datetime:
    moment = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return moment  # naive
    if kind == 1:
        return moment.replace(tzinfo=UTC)
    minutes = draw(st.sampled_from(OFFSETS_MINUTES))
    return moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))


def _scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.booleans(),
        st.sampled_from(INT_EDGES), st.integers(INT64_MIN - 10, INT64_MAX + 10),
        st.sampled_from(FLOAT_EDGES), st.floats(),
        _text(), _text(40),
        _datetimes(),
    )


def _keys(envelope_names: tuple[str, ...]) -> st.SearchStrategy[str]:
    names = (*envelope_names, *(f"{n} (field)" for n in envelope_names), LONG_KEY,
             "\ud800" * 2_000)
    return st.one_of(_text(10), st.sampled_from(names))


def _nested(leaf: Any, depth: int, as_list: bool, key: str) -> Any:
    """``leaf`` under ``depth`` containers (lists or objects keyed by ``key``)."""
    value = leaf
    for _ in range(depth):
        value = [value] if as_list else {key: value}
    return value


@dataclass
class FidelityStats:
    """What one run of the fidelity test checked."""

    examples: int = 0
    #: records the examples tried to write
    written: int = 0
    #: written records that read back exactly after the reopens
    kept: int = 0
    reopens: int = 0
    #: records refused with a DataknobsError, and those of a batch that another record made
    #: the port refuse (nothing of it was written)
    refused: int = 0
    rolled_back: int = 0

    def line(self, name: str) -> str:
        return (f"fidelity {name}: {self.examples} examples, {self.written} records written, "
                f"{self.kept} read back exactly after {self.reopens} reopens, "
                f"{self.refused} refused with a DataknobsError, {self.rolled_back} rolled back "
                "with a refused batch, 0 losses")


#: Stats of every fidelity test run in this process, by test name.
RUN_STATS: dict[str, FidelityStats] = {}


def difference(expected: Record, got: Record | None) -> str | None:
    """Why ``got`` is not ``expected`` read back exactly, or None."""
    if got is None:
        return "it is gone"
    if got.id != expected.id:
        return f"its id came back as {got.id!r}"
    for part in ("data", "metadata"):
        want, have = getattr(expected, part), getattr(got, part)
        if exactly(want, have):
            continue
        if want.keys() != have.keys():
            return (f"{part} keys differ: missing {sorted(want.keys() - have.keys())!r}, "
                    f"extra {sorted(have.keys() - want.keys())!r}")
        key = next(k for k in want if not exactly(want[k], have[k]))
        return f"{part}[{key!r}] came back as {_brief(have[key])}, wrote {_brief(want[key])}"
    return None


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else f"{text[:200]}... ({len(text)} chars)"


def names_what(err: BaseException) -> bool:
    """True when an error message points at a record, an id or a field path."""
    text = str(err)
    return any(word in text for word in ("data", "metadata", "record", "id", "key", "field"))


@dataclass(repr=False)
class _Example:
    """Records to write: ``records[:batch_from]`` one by one, the rest in one batch."""

    records: list[Record]
    batch_from: int

    def __repr__(self) -> str:
        rows = ",\n    ".join(
            f"Record({_brief(r.data)}, metadata={_brief(r.metadata)}, id={r.id!r})"
            for r in self.records)
        return f"records = [\n    {rows},\n]  # create() for the first {self.batch_from}"


class FidelitySuite(AdapterUnderTest):
    """Hostile records are kept exactly through a close and reopen, or refused clearly.

    Subclass it and provide the ``open_database`` fixture. Class attributes tune the
    generation: ``fidelity_examples`` (``DATAKNOBS_FIDELITY_EXAMPLES`` overrides it),
    ``max_records`` per example, ``envelope_names`` (the names the adapter writes beside
    the user's fields: generated as keys and ids), ``max_depth`` (the nesting depth the
    backend documents; values nested that deep and one level deeper are generated) and
    ``max_string`` (the longest string generated)."""

    fidelity_examples: ClassVar[int] = 60
    max_records: ClassVar[int] = 6
    envelope_names: ClassVar[tuple[str, ...]] = ()
    max_depth: ClassVar[int] = 20
    max_string: ClassVar[int] = 3_000_000

    @pytest.fixture
    def open_database(self, adapter_options: dict[str, Any]) -> Callable[[], Any]:
        return self.build_adapter(adapter_options)

    @classmethod
    def fidelity_settings(cls) -> settings:
        """Hypothesis settings: derandomized unless a seed is given, no deadline."""
        return suite_settings(cls.fidelity_examples, EXAMPLES_ENV, SEED_ENV, list(HealthCheck))

    def values(self) -> st.SearchStrategy[Any]:
        """Field values: scalars, shallow containers and deep nests."""
        scalars = _scalars()
        keys = _keys(self.envelope_names)
        shallow = st.recursive(
            scalars,
            lambda inner: st.one_of(st.lists(inner, max_size=4),
                                    st.dictionaries(keys, inner, max_size=4)),
            max_leaves=8,
        )
        depths = st.sampled_from([self.max_depth + step for step in (-1, 0, 1)])
        deep = st.builds(_nested, scalars, depths, st.booleans(), keys)
        return st.one_of(scalars, shallow, shallow, deep)

    @st.composite
    def _examples(draw: st.DrawFn, self: FidelitySuite) -> _Example:
        ids = draw(st.lists(
            st.one_of(_text(16), st.sampled_from([*self.envelope_names, "x" * 2_000,
                                                  "\U0001f600" * 300])),
            min_size=1, max_size=self.max_records, unique=True))
        keys = _keys(self.envelope_names)
        shared = draw(st.lists(keys, min_size=1, max_size=3, unique=True))
        values = self.values()
        records: list[Record] = []
        for rid in ids:
            data = draw(st.dictionaries(keys, values, max_size=4))
            for key in shared:  # the same keys in many records, their types drawn anew
                if draw(st.booleans()):
                    data[key] = draw(values)
            metadata = draw(st.dictionaries(keys, values, max_size=2))
            records.append(Record(data, metadata, rid))
        if self.max_string and draw(st.integers(0, 4)) == 0:  # one long string, now and then
            draw(st.sampled_from(records)).data[draw(keys)] = draw(_long_text(self.max_string))
        return _Example(records, draw(st.integers(0, len(records))))

    @pytest.mark.filterwarnings("ignore:Generating overly large repr")
    def test_records_survive_reopen_or_are_refused(
        self, open_database: Callable[[], Any], request: pytest.FixtureRequest
    ) -> None:
        stats, runner = FidelityStats(), EventLoopThread()

        @self.fidelity_settings()
        @given(FidelitySuite._examples(self))
        def run(example: _Example) -> None:
            check_example(open_database, runner, example, stats)

        try:
            run_reported(request, "fidelity", SEED_ENV, RUN_STATS, stats, run)
        finally:
            runner.stop()


def _copy(record: Record) -> Record:
    from ..domain.values import clone

    return Record(clone(record.data), clone(record.metadata), record.id)


def check_example(open_database: Callable[[], Any], runner: EventLoopThread,
                  example: _Example, stats: FidelityStats) -> None:
    """Write ``example``, reopen the store and check every record; raise AssertionError."""
    kept: dict[str, Record] = {}
    refused: dict[str, DataknobsError] = {}
    absent: set[str] = set()  # not written because a batch they were in was refused

    def refuse(record: Record, err: BaseException) -> None:
        assert isinstance(err, DataknobsError), (
            f"writing {record.id!r} raised {type(err).__name__}, not a DataknobsError: {err}\n"
            f"{example!r}")
        assert names_what(err), f"the error does not say what it refuses: {err!r}"
        refused[record.id or ""] = err

    with sync_shaped(open_database(), runner) as db:
        db.clear()
        head, tail = example.records[:example.batch_from], example.records[example.batch_from:]
        for record in head:
            try:
                rid = db.create(_copy(record))
            except Exception as err:
                refuse(record, err)
            else:
                assert rid == record.id, f"create({record.id!r}) returned {rid!r}"
                kept[rid] = record
        if tail:
            try:
                ids = db.create_batch([_copy(r) for r in tail])
            except BatchOperationError as err:
                for i, failure in err.failed.items():
                    refuse(tail[i], failure)
                for i, rid in err.succeeded.items():
                    assert rid == tail[i].id, f"create_batch stored {tail[i].id!r} as {rid!r}"
                    kept[rid] = tail[i]
                # the rest of the batch was rolled back with the refused records
                absent.update(r.id or "" for i, r in enumerate(tail)
                              if i not in err.failed and i not in err.succeeded)
            except Exception as err:
                for record in tail:
                    refuse(record, err)
            else:
                assert ids == [r.id for r in tail], f"create_batch returned {ids!r}"
                kept.update((r.id or "", r) for r in tail)
        for rid, record in kept.items():  # before the close, too
            problem = difference(record, db.read(rid))
            assert problem is None, f"before closing, record {rid!r}: {problem}\n{example!r}"
    stats.written += len(example.records)
    stats.refused += len(refused)
    stats.rolled_back += len(absent)

    stats.reopens += 1
    with sync_shaped(open_database(), runner) as db:
        for rid, record in kept.items():
            problem = difference(record, db.read(rid))
            assert problem is None, f"after reopening, record {rid!r}: {problem}\n{example!r}"
        # a refused id that is kept was a duplicate in its batch: the first one was stored
        never_stored = {rid: f"was refused ({err}) yet stored"
                        for rid, err in refused.items() if rid not in kept}
        never_stored.update(dict.fromkeys(absent, "of a refused batch was stored"))
        for rid, what in never_stored.items():
            try:
                got = db.read(rid)
            except DataknobsError:
                continue  # an id that cannot be read was never stored
            assert got is None, f"record {rid!r} {what}"
        assert db.count() == len(kept), f"count() is {db.count()}, kept {len(kept)}"
        assert sorted(r.id or "" for r in db.search(Query())) == sorted(kept)
        _query_hostile_operands(db, example)
        _columnar_round_trip(db, kept, example)
    stats.kept += len(kept)
    stats.examples += 1


def _columnar_round_trip(db: Any, kept: dict[str, Record], example: _Example) -> None:
    """The store read as Arrow holds exactly the kept records, and the table written back
    (after a clear) restores them exactly: the columnar path keeps what the row path keeps."""
    table = db.to_arrow()
    got = {r.id or "": r for r in columnar.layout_records(table, "to_arrow")}
    assert sorted(got) == sorted(kept), f"to_arrow holds {sorted(got)!r}\n{example!r}"
    for rid, record in kept.items():
        problem = difference(record, got[rid])
        assert problem is None, f"to_arrow, record {rid!r}: {problem}\n{example!r}"
    db.clear()
    assert db.write_arrow(table) == len(kept)
    for rid, record in kept.items():
        problem = difference(record, db.read(rid))
        assert problem is None, f"after write_arrow, record {rid!r}: {problem}\n{example!r}"


def _query_hostile_operands(db: Any, example: _Example) -> None:
    """An equality query on a generated key and value answers or raises a DataknobsError."""
    for record in example.records[:2]:
        for key, value in list(record.data.items())[:2]:
            try:
                db.search(Query().filter(key, Operator.EQ, value))
            except DataknobsError:
                pass  # refused clearly: an operand the backend cannot hold, a bad path
            except Exception as err:
                raise AssertionError(
                    f"search on {key!r} = {_brief(value)} raised {type(err).__name__}: {err}"
                ) from err


__all__ = ["EXAMPLES_ENV", "HOSTILE_STRINGS", "RUN_STATS", "SEED_ENV", "FidelityStats",
           "FidelitySuite", "check_example", "difference", "exactly", "names_what"]
