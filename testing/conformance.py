"""The conformance suite: one set of tests that every adapter must pass.

Use it by subclassing in a test module and providing one fixture, ``database``, that yields
a fresh, empty database (sync or async) which no other test sees::

    class TestMemoryConformance(DatabaseConformance):
        @pytest.fixture
        def database(self):
            yield MemoryDatabase()

An async adapter is run through the very same tests (``testing.runner``). Tests are grouped
by operation in mixins; backend differences are read from ``database.capabilities``, and a
test that cannot apply is skipped with its reason, never silently passed. The memory adapter
is the reference and passes all of it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest

from ..domain.errors import (
    BatchOperationError,
    ConcurrencyError,
    InvalidRecordIdError,
    QueryError,
    RecordExistsError,
    SerializationError,
    ValidationError,
)
from ..domain.query import Filter, Operator, Query, SortOrder
from ..domain.records import Record
from ..domain.values import MAX_DEPTH
from ..ports.streaming import StreamConfig
from .columnar_conformance import ColumnarTests
from .runner import AdapterUnderTest, AsyncAsSync, sync_shaped
from .spec_cases import SpecExample, examples_of, run_example, spec_rule_ids
from .vector_conformance import VectorTests

# The shared dataset: every query test states its expected ids by hand, from the spec.
PEOPLE: list[dict[str, Any]] = [
    {"id": "p1", "name": "Ada", "age": 36, "score": 9.5, "active": True,
     "team": {"name": "core", "size": 5}, "tags": ["x", "y"],
     "joined": datetime(2020, 1, 1, tzinfo=UTC)},
    {"id": "p2", "name": "bob", "age": 25, "score": 7, "active": False,
     "team": {"name": "infra"}, "tags": [],
     "joined": datetime(2021, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))},
    {"id": "p3", "name": "Cy", "age": 30, "score": None, "active": True,
     "team": {"name": "core"}, "joined": datetime(2021, 6, 1, 12, 30, tzinfo=UTC)},
    {"id": "p4", "name": "Dee_%", "age": 40, "score": 7.0, "team": None},
    {"id": "p5", "name": "Émile", "age": None, "team": {"name": "Core"}},
    {"id": "p6", "name": "ada lovelace", "active": False},
]


def load_people(db: Any) -> None:
    """Store ``PEOPLE`` in ``db`` (metadata tags the source)."""
    db.create_batch([Record(copy.deepcopy(p), metadata={"src": "people"}) for p in PEOPLE])


def ids_of(records: list[Record]) -> list[str]:
    """The ids of records, in order."""
    return [r.id or "" for r in records]


class _Base(AdapterUnderTest):
    """Fixture plumbing: ``db`` is the adapter under test, sync-shaped; ``database`` builds
    the declared ``adapter`` unless a test class overrides it.

    A mixin whose tests need a capability says so in ``needs`` (the capability flag and the
    skip reason); ``sync_only`` mixins skip async adapters. The check looks at the mixin that
    defines the running test: an autouse fixture of a mixin would apply to every test of
    the class that combines the mixins."""

    needs: ClassVar[tuple[str, str] | None] = None
    sync_only: ClassVar[str | None] = None  # the reason, for mixins async adapters skip

    @pytest.fixture(autouse=True)
    def _declared_capabilities(self, request: pytest.FixtureRequest, db: Any) -> None:
        owner = request.function.__qualname__.split(".")[0]
        mixin = next((c for c in type(self).__mro__ if c.__name__ == owner), None)
        needs = None if mixin is None else mixin.__dict__.get("needs")
        if needs is not None and not getattr(db.capabilities, needs[0]):
            pytest.skip(f"{db.backend_name} {needs[1]}")
        sync_only = None if mixin is None else mixin.__dict__.get("sync_only")
        if sync_only is not None and isinstance(db, AsyncAsSync):
            pytest.skip(sync_only)

    @pytest.fixture
    def database(self, adapter_options: dict[str, Any]) -> Iterator[Any]:
        yield self.build_adapter(adapter_options)()

    @pytest.fixture
    def db(self, database: Any) -> Iterator[Any]:
        with sync_shaped(database) as db:
            yield db

    @pytest.fixture
    def people(self, db: Any) -> Any:
        load_people(db)
        return db

    def search_ids(self, db: Any, query: Query) -> list[str]:
        return ids_of(db.search(query))

    def assert_query(self, db: Any, query: Query, expected: list[str], ordered: bool = False
                     ) -> None:
        got = self.search_ids(db, query)
        if ordered:
            assert got == expected, f"{query!r}: {got} != {expected}"
        else:
            assert sorted(got) == sorted(expected), f"{query!r}: {sorted(got)} != {expected}"
        assert db.count(query) == len(expected)


class CrudTests(_Base):
    """create / read / update / delete / exists / upsert."""

    def test_create_assigns_id_and_reads_back(self, db: Any) -> None:
        rid = db.create(Record({"name": "Ada", "age": 36}, metadata={"src": "hr"}))
        assert isinstance(rid, str) and rid
        got = db.read(rid)
        assert got is not None
        assert got.id == rid
        assert got.data == {"name": "Ada", "age": 36}
        assert got.metadata == {"src": "hr"}

    def test_create_keeps_given_id_and_id_field(self, db: Any) -> None:
        assert db.create(Record({"a": 1}, id="given")) == "given"
        assert db.create(Record({"id": "from-field", "a": 2})) == "from-field"
        got = db.read("from-field")
        assert got is not None and got.data == {"id": "from-field", "a": 2}

    def test_empty_id_is_refused_everywhere_never_replaced(self, db: Any) -> None:
        # an empty id cannot be read back, so no write may store a record in its place
        writes = [
            lambda: db.create(Record({"a": 1}, id="")),
            lambda: db.create(Record({"id": "", "a": 1})),
            lambda: db.upsert(Record({"a": 1}, id="")),
            lambda: db.upsert("", Record({"a": 1})),
            lambda: db.update("", Record({"a": 1})),
        ]
        for write in writes:
            with pytest.raises(InvalidRecordIdError, match="empty"):
                write()
        with pytest.raises(BatchOperationError) as caught:
            db.create_batch([Record({"a": 1}, id="ok"), Record({"a": 2}, id="")])
        assert isinstance(caught.value.failed[1], InvalidRecordIdError)
        for lookup in (db.read, db.exists, db.delete):
            with pytest.raises(InvalidRecordIdError):
                lookup("")
        assert [r.id for r in db.search(Query())] in ([], ["ok"])
        assert db.count() == len(db.search(Query()))

    def test_read_missing_is_none(self, db: Any) -> None:
        assert db.read("nope") is None
        assert db.exists("nope") is False

    def test_duplicate_create_raises_and_keeps_original(self, db: Any) -> None:
        db.create(Record({"v": 1}, id="k"))
        with pytest.raises(RecordExistsError):
            db.create(Record({"v": 2}, id="k"))
        got = db.read("k")
        assert got is not None and got.data == {"v": 1}

    def test_update(self, db: Any) -> None:
        db.create(Record({"v": 1, "gone": True}, id="k"))
        assert db.update("k", Record({"v": 2}, metadata={"m": 1})) is True
        got = db.read("k")
        assert got is not None and got.data == {"v": 2} and got.metadata == {"m": 1}
        assert db.update("missing", Record({"v": 3})) is False
        assert db.read("missing") is None

    def test_delete_and_exists(self, db: Any) -> None:
        db.create(Record({"v": 1}, id="k"))
        assert db.exists("k") is True
        assert db.delete("k") is True
        assert db.exists("k") is False
        assert db.delete("k") is False

    def test_upsert_both_forms(self, db: Any) -> None:
        assert db.upsert("k", Record({"v": 1})) == "k"
        assert db.upsert("k", Record({"v": 2})) == "k"
        got = db.read("k")
        assert got is not None and got.data == {"v": 2}
        rid = db.upsert(Record({"v": 3}, id="r"))
        assert rid == "r" and db.count() == 2

    def test_returned_records_are_copies(self, db: Any) -> None:
        original = Record({"nested": {"a": [1, 2]}}, id="k")
        db.create(original)
        original["nested"]["a"].append(3)
        got = db.read("k")
        assert got is not None and got["nested"] == {"a": [1, 2]}
        got["nested"]["a"].append(9)
        again = db.read("k")
        assert again is not None and again["nested"] == {"a": [1, 2]}

    def test_unstorable_value_is_rejected_and_nothing_stored(self, db: Any) -> None:
        with pytest.raises(SerializationError, match="bad"):
            db.create(Record({"bad": object()}, id="k"))
        with pytest.raises(SerializationError):
            db.create(Record({"nan": float("nan")}, id="k2"))
        assert db.count() == 0

    def test_utc_offsets_are_kept_to_the_second_and_finer_ones_refused(self, db: Any) -> None:
        # ISO 8601 holds offsets to the second: such a datetime comes back with its offset, a
        # finer one would come back rounded, so it is refused naming the path
        seconds = datetime(2024, 5, 1, 10, 0, tzinfo=timezone(timedelta(hours=5, seconds=15)))
        db.create(Record({"t": seconds}, id="s"))
        got = db.read("s")
        assert got is not None and got["t"] == seconds
        assert got["t"].utcoffset() == timedelta(hours=5, seconds=15)
        finer = datetime(2024, 5, 1, tzinfo=timezone(timedelta(microseconds=1)))
        with pytest.raises(SerializationError, match=r"data\.t\[0\]: datetime .*fraction"):
            db.create(Record({"t": [finer]}, id="f"))
        assert db.read("f") is None

    def test_nesting_to_the_limit_is_stored_and_beyond_it_refused(self, db: Any) -> None:
        # MAX_DEPTH lists and objects inside one field are stored exactly on every backend;
        # one more is refused naming the record and the path, by every write, and then
        # nothing is stored
        def nested(depth: int) -> Any:
            value: Any = "leaf"
            for level in range(depth):
                value = {f"k{level}": value} if level % 2 else [value]
            return value

        at_limit = {"f": nested(MAX_DEPTH)}
        metadata: dict[str, Any] = {"m": nested(MAX_DEPTH)}
        if db.capabilities.metadata_value_chars is not None:
            # the backend's declared metadata size limit refuses it first, naming the key
            with pytest.raises(ValidationError, match=r"metadata 'm'.*allows"):
                db.create(Record(at_limit, metadata=metadata, id="ok"))
            metadata = {}
        db.create(Record(at_limit, metadata=metadata, id="ok"))
        got = db.read("ok")
        assert got is not None and got.data == at_limit
        assert got.metadata == metadata
        too_deep = {"f": nested(MAX_DEPTH + 1)}
        writes = [
            lambda: db.create(Record(too_deep, id="deep")),
            lambda: db.create(Record({}, metadata={"m": nested(MAX_DEPTH + 1)}, id="deep")),
            lambda: db.upsert("deep", Record(too_deep)),
            lambda: db.update("ok", Record(too_deep)),
        ]
        for write in writes:
            with pytest.raises(SerializationError, match=f"deeper than {MAX_DEPTH} levels"):
                write()
        with pytest.raises(BatchOperationError) as caught:
            db.create_batch([Record({"a": 1}, id="b0"), Record(too_deep, id="b1")])
        assert isinstance(caught.value.failed[1], SerializationError)
        assert db.read("deep") is None and db.read("b1") is None
        again = db.read("ok")
        assert again is not None and again.data == at_limit

    def test_plain_dict_is_accepted(self, db: Any) -> None:
        rid = db.create({"a": 1})
        got = db.read(rid)
        assert got is not None and got.data == {"a": 1}


class VersionTests(_Base):
    """Conditional writes through ``expected_version``."""

    needs = ("conditional_writes", "declares no conditional writes")

    def test_version_changes_on_write(self, db: Any) -> None:
        db.create(Record({"v": 1}, id="k"))
        v1 = db.get_version("k")
        assert v1 is not None
        db.update("k", Record({"v": 2}))
        v2 = db.get_version("k")
        assert v2 is not None and v2 != v1
        assert db.get_version("missing") is None

    def test_stale_update_raises(self, db: Any) -> None:
        db.create(Record({"v": 1}, id="k"))
        v1 = db.get_version("k")
        assert db.update("k", Record({"v": 2}), expected_version=v1) is True
        with pytest.raises(ConcurrencyError):
            db.update("k", Record({"v": 3}), expected_version=v1)
        got = db.read("k")
        assert got is not None and got["v"] == 2

    def test_stale_delete_and_upsert_raise(self, db: Any) -> None:
        db.create(Record({"v": 1}, id="k"))
        v1 = db.get_version("k")
        db.update("k", Record({"v": 2}))
        with pytest.raises(ConcurrencyError):
            db.delete("k", expected_version=v1)
        with pytest.raises(ConcurrencyError):
            db.upsert("k", Record({"v": 9}), expected_version=v1)
        assert db.exists("k")
        assert db.delete("k", expected_version=db.get_version("k")) is True

    def test_conditional_update_of_deleted_record_raises(self, db: Any) -> None:
        db.create(Record({"v": 1}, id="k"))
        v1 = db.get_version("k")
        db.delete("k")
        with pytest.raises(ConcurrencyError):
            db.update("k", Record({"v": 2}), expected_version=v1)


class RoundTripTests(_Base):
    """Every storable type comes back with its type; keys exactly as written."""

    VALUES: dict[str, Any] = {
        "int": 42,
        "big": 2**62,
        "neg": -7,
        "float": 2.5,
        "float_whole": 3.0,
        "true": True,
        "false": False,
        "str": "héllo \"quoted\" \\ back 'single' \n line \t tab 🎉",
        "empty_str": "",
        "null": None,
        "aware": datetime(2024, 5, 17, 10, 30, 15, 123456, tzinfo=UTC),
        "offset": datetime(2024, 5, 17, 12, 30, tzinfo=timezone(timedelta(hours=2))),
        "naive": datetime(2024, 5, 17, 10, 30),
        "nested": {"a": {"b": [1, "two", 3.5, None, {"c": False}]}},
        "list": [1, 2.0, "x", None, [True]],
        "empty_list": [],
        "empty_dict": {},
        "dollar": {"$datetime": "not a date", "$object": 1},
    }

    def test_all_types_round_trip(self, db: Any) -> None:
        db.create(Record(copy.deepcopy(self.VALUES), id="k", metadata={"m": [1, {"n": "x"}]}))
        got = db.read("k")
        assert got is not None
        assert set(got.data) == set(self.VALUES)
        for key, value in self.VALUES.items():
            assert got[key] == value, key
            assert type(got[key]) is type(value), key
        assert got["aware"].utcoffset() == timedelta(0)
        assert got["naive"].tzinfo is None
        assert got.metadata == {"m": [1, {"n": "x"}]}

    def test_missing_stays_missing_null_stays_null(self, db: Any) -> None:
        db.create_batch([Record({"a": 1}, id="r1"), Record({"b": None}, id="r2")])
        r1, r2 = db.read("r1"), db.read("r2")
        assert r1 is not None and set(r1.data) == {"a"}
        assert r2 is not None and r2.data == {"b": None}

    def test_types_survive_search(self, db: Any) -> None:
        db.create(Record(copy.deepcopy(self.VALUES), id="k"))
        (got,) = db.search(Query())
        for key, value in self.VALUES.items():
            assert got[key] == value and type(got[key]) is type(value), key


class BatchTests(_Base):
    """create_batch / read_batch / update_batch / delete_batch / upsert_batch."""

    def test_create_batch_returns_ids_in_order(self, db: Any) -> None:
        ids = db.create_batch([Record({"n": i}) for i in range(25)] + [Record({"n": 99}, id="z")])
        assert len(ids) == 26 and len(set(ids)) == 26 and ids[-1] == "z"
        assert [db.read(rid)["n"] for rid in ids[:3]] == [0, 1, 2]

    def test_invalid_record_in_batch_writes_nothing(self, db: Any) -> None:
        with pytest.raises(BatchOperationError) as info:
            db.create_batch([Record({"n": 1}), Record({"n": object()}), Record({"n": 3})])
        assert set(info.value.failed) == {1}
        assert db.count() == 0

    def test_duplicate_ids_in_batch_are_reported(self, db: Any) -> None:
        with pytest.raises(BatchOperationError) as info:
            db.create_batch([Record({"n": 1}, id="d"), Record({"n": 2}, id="d")])
        assert set(info.value.failed) == {1}

    def test_existing_id_in_batch_is_reported_never_dropped(self, db: Any) -> None:
        db.create(Record({"n": 0}, id="taken"))
        with pytest.raises(BatchOperationError) as info:
            db.create_batch([Record({"n": 1}, id="a"), Record({"n": 2}, id="taken")])
        err = info.value
        assert 1 in err.failed and isinstance(err.failed[1], RecordExistsError)
        stored_a = db.exists("a")
        assert (0 in err.succeeded) == stored_a
        if db.capabilities.atomic_batches:
            assert not stored_a
        assert db.read("taken")["n"] == 0

    def test_read_update_delete_upsert_batch(self, db: Any) -> None:
        db.create_batch([Record({"n": i}, id=f"r{i}") for i in range(5)])
        got = db.read_batch(["r0", "nope", "r4"])
        assert [r.id if r else None for r in got] == ["r0", None, "r4"]
        assert db.update_batch([("r0", Record({"n": 10})), ("nope", Record({"n": 0}))]) == [
            True, False]
        assert db.read("r0")["n"] == 10
        assert db.delete_batch(["r1", "nope", "r2"]) == [True, False, True]
        assert db.upsert_batch([Record({"n": 30}, id="r3"), ("r9", Record({"n": 9}))]) == [
            "r3", "r9"]
        assert sorted(ids_of(db.all())) == ["r0", "r3", "r4", "r9"]
        assert db.read("r3")["n"] == 30

    def test_clear_returns_count(self, db: Any) -> None:
        db.create_batch([Record({"n": i}) for i in range(7)])
        assert db.clear() == 7
        assert db.count() == 0 and db.all() == []


class QueryOperatorTests(_Base):
    """One test per operator rule of docs/query-semantics.md, on the PEOPLE dataset."""

    def test_eq_numbers_int_float_mixed(self, people: Any) -> None:
        self.assert_query(people, Query().filter("score", Operator.EQ, 7), ["p2", "p4"])
        self.assert_query(people, Query().filter("age", Operator.EQ, 36.0), ["p1"])

    def test_eq_string_is_case_sensitive(self, people: Any) -> None:
        self.assert_query(people, Query().filter("name", Operator.EQ, "Ada"), ["p1"])

    def test_eq_bool_is_not_number(self, people: Any) -> None:
        self.assert_query(people, Query().filter("active", Operator.EQ, True), ["p1", "p3"])
        self.assert_query(people, Query().filter("score", Operator.EQ, True), [])

    def test_eq_datetime_as_instant(self, people: Any) -> None:
        instant = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)  # p2's 14:00+02:00
        self.assert_query(people, Query().filter("joined", Operator.EQ, instant), ["p2"])

    def test_neq_never_matches_missing_or_null(self, people: Any) -> None:
        self.assert_query(people, Query().filter("score", Operator.NEQ, 7), ["p1"])
        self.assert_query(people, Query().filter("age", Operator.NEQ, 30), ["p1", "p2", "p4"])

    def test_ordering_comparisons(self, people: Any) -> None:
        self.assert_query(people, Query().filter("age", Operator.GT, 30), ["p1", "p4"])
        self.assert_query(people, Query().filter("age", Operator.GTE, 30), ["p1", "p3", "p4"])
        self.assert_query(people, Query().filter("age", Operator.LT, 30), ["p2"])
        self.assert_query(people, Query().filter("age", Operator.LTE, 30), ["p2", "p3"])
        self.assert_query(people, Query().filter("score", Operator.GT, 7), ["p1"])

    def test_string_ordering_by_code_point(self, people: Any) -> None:
        # "Z" < "a" < "b" < "É" by code point
        self.assert_query(people, Query().filter("name", Operator.LT, "a"), ["p1", "p3", "p4"])
        self.assert_query(people, Query().filter("name", Operator.GT, "b"), ["p2", "p5"])

    def test_datetime_ordering_as_instants(self, people: Any) -> None:
        cut = datetime(2021, 6, 1, 12, 15, tzinfo=UTC)
        self.assert_query(people, Query().filter("joined", Operator.GT, cut), ["p3"])
        self.assert_query(people, Query().filter("joined", Operator.LT, cut), ["p1", "p2"])

    def test_ordering_across_types_is_false(self, people: Any) -> None:
        self.assert_query(people, Query().filter("name", Operator.GT, 0), [])
        self.assert_query(people, Query().filter("age", Operator.LT, "zzz"), [])

    def test_in_and_not_in(self, people: Any) -> None:
        self.assert_query(people, Query().filter("age", Operator.IN, [25, 40.0, "36"]),
                          ["p2", "p4"])
        self.assert_query(people, Query().filter("age", Operator.NOT_IN, [25, 40]),
                          ["p1", "p3"])
        self.assert_query(people, Query().filter("age", Operator.IN, []), [])
        self.assert_query(people, Query().filter("age", Operator.NOT_IN, []),
                          ["p1", "p2", "p3", "p4"])

    def test_between_inclusive_and_not_between(self, people: Any) -> None:
        self.assert_query(people, Query().filter("age", Operator.BETWEEN, [25, 36]),
                          ["p1", "p2", "p3"])
        self.assert_query(people, Query().filter("age", Operator.NOT_BETWEEN, [25, 36]), ["p4"])
        self.assert_query(people, Query().filter("age", Operator.BETWEEN, [40, 25]), [])

    def test_like_is_case_sensitive_sql_pattern(self, people: Any) -> None:
        self.assert_query(people, Query().filter("name", Operator.LIKE, "A%"), ["p1"])
        self.assert_query(people, Query().filter("name", Operator.LIKE, "_y"), ["p3"])
        self.assert_query(people, Query().filter("name", Operator.LIKE, "%\\_\\%"), ["p4"])
        self.assert_query(people, Query().filter("name", Operator.NOT_LIKE, "%a%"),
                          ["p2", "p3", "p4", "p5"])

    def test_ilike_ignores_case(self, people: Any) -> None:
        self.assert_query(people, Query().filter("name", Operator.ILIKE, "ada%"), ["p1", "p6"])
        self.assert_query(people, Query().filter("team.name", Operator.ILIKE, "core"),
                          ["p1", "p3", "p5"])

    def test_regex_is_unanchored_search(self, people: Any) -> None:
        self.assert_query(people, Query().filter("name", Operator.REGEX, "d[ae]"),
                          ["p1", "p6"])
        self.assert_query(people, Query().filter("name", Operator.REGEX, "^[A-D]"),
                          ["p1", "p3", "p4"])
        self.assert_query(people, Query().filter("name", Operator.REGEX, "(ob|y)$"),
                          ["p2", "p3"])

    def test_regex_outside_portable_subset_is_rejected(self) -> None:
        with pytest.raises(QueryError):
            Query().filter("name", Operator.REGEX, "\\d+")
        with pytest.raises(QueryError):
            Query().filter("name", Operator.REGEX, "(?i)ada")

    def test_starts_with(self, people: Any) -> None:
        self.assert_query(people, Query().filter("name", Operator.STARTS_WITH, "ad"), ["p6"])

    def test_exists_and_not_exists(self, people: Any) -> None:
        self.assert_query(people, Query().filter("score", Operator.EXISTS), ["p1", "p2", "p4"])
        self.assert_query(people, Query().filter("score", Operator.NOT_EXISTS),
                          ["p3", "p5", "p6"])
        self.assert_query(people, Query().filter("team.name", Operator.NOT_EXISTS),
                          ["p4", "p6"])

    def test_dotted_paths(self, people: Any) -> None:
        self.assert_query(people, Query().filter("team.name", Operator.EQ, "core"), ["p1", "p3"])
        self.assert_query(people, Query().filter("team.size", Operator.GT, 1), ["p1"])
        self.assert_query(people, Query().filter("team.name.x", Operator.EXISTS), [])

    def test_whole_value_equality_for_lists_and_objects(self, people: Any) -> None:
        self.assert_query(people, Query().filter("tags", Operator.EQ, ["x", "y"]), ["p1"])
        self.assert_query(people, Query().filter("tags", Operator.EQ, "x"), [])
        self.assert_query(people, Query().filter("team", Operator.EQ, {"name": "infra"}), ["p2"])


class BooleanLogicTests(_Base):
    """and_ / or_ / not_ to any depth, with two-valued logic."""

    def test_and_of_filters(self, people: Any) -> None:
        q = Query().filter("team.name", Operator.EQ, "core").filter("age", Operator.GT, 30)
        self.assert_query(people, q, ["p1"])

    def test_or(self, people: Any) -> None:
        q = Query().or_(Filter("name", Operator.EQ, "bob"), Filter("age", Operator.GTE, 40))
        self.assert_query(people, q, ["p2", "p4"])

    def test_not_is_exact_complement(self, people: Any) -> None:
        inner = Filter("score", Operator.GT, 7)
        self.assert_query(people, Query().not_(inner), ["p2", "p3", "p4", "p5", "p6"])
        positive = set(self.search_ids(people, Query().where(inner)))
        negative = set(self.search_ids(people, Query().not_(inner)))
        assert positive | negative == {p["id"] for p in PEOPLE}
        assert not positive & negative

    def test_nested_three_levels(self, people: Any) -> None:
        q = Query().or_(
            Filter("name", Operator.EQ, "Cy"),
            Filter("age", Operator.LT, 30) & ~(Filter("active", Operator.EQ, True)
                                               | Filter("score", Operator.EXISTS)),
        )
        self.assert_query(people, q, ["p3"])
        q2 = Query().not_(Filter("team.name", Operator.EQ, "core") | Filter("age", Operator.EXISTS))
        self.assert_query(people, q2, ["p5", "p6"])


class SortPagingProjectionTests(_Base):
    """sort (missing/null last, id tie-break), offset/limit, select."""

    def test_default_order_is_by_id(self, people: Any) -> None:
        assert self.search_ids(people, Query()) == ["p1", "p2", "p3", "p4", "p5", "p6"]

    def test_sort_missing_and_null_last_both_directions(self, people: Any) -> None:
        asc = self.search_ids(people, Query().sort("age"))
        assert asc == ["p2", "p3", "p1", "p4", "p5", "p6"]
        desc = self.search_ids(people, Query().sort("age", SortOrder.DESC))
        assert desc == ["p4", "p1", "p3", "p2", "p5", "p6"]

    def test_ties_broken_by_id(self, people: Any) -> None:
        got = self.search_ids(people, Query().sort("score", SortOrder.DESC))
        assert got == ["p1", "p2", "p4", "p3", "p5", "p6"]

    def test_multi_key_sort(self, people: Any) -> None:
        got = self.search_ids(people, Query().sort("team.name").sort("age", SortOrder.DESC))
        assert got == ["p5", "p1", "p3", "p2", "p4", "p6"]

    def test_offset_limit_pages_are_stable(self, people: Any) -> None:
        q = Query().sort("active")
        full = self.search_ids(people, q)
        pages = [self.search_ids(people, q.copy().offset(i).limit(2)) for i in (0, 2, 4)]
        assert [rid for p in pages for rid in p] == full
        assert self.search_ids(people, Query().offset(10)) == []
        assert self.search_ids(people, Query().limit(0)) == []

    def test_count_ignores_paging(self, people: Any) -> None:
        assert people.count(Query().limit(1).offset(1)) == 6
        assert people.count() == 6

    def test_projection(self, people: Any) -> None:
        (rec,) = people.search(Query().filter("name", Operator.EQ, "Ada")
                               .select("name", "team.name", "nope"))
        assert rec.id == "p1"
        assert rec.data == {"name": "Ada", "team": {"name": "core"}}

    def test_datetime_sort_as_instants(self, people: Any) -> None:
        got = self.search_ids(people, Query().filter("joined", Operator.EXISTS).sort("joined"))
        assert got == ["p1", "p2", "p3"]


class MixedTypeTests(_Base):
    """A field holding different types in different records."""

    needs = ("mixed_type_fields", "declares mixed_type_fields=False")

    @pytest.fixture
    def mixed(self, db: Any) -> Any:
        db.create_batch([
            Record({"v": 1}, id="m1"), Record({"v": "1"}, id="m2"), Record({"v": True}, id="m3"),
            Record({"v": 2.5}, id="m4"), Record({"v": "a"}, id="m5"), Record({"v": None}, id="m6"),
            Record({"v": datetime(2020, 1, 1, tzinfo=UTC)}, id="m7"),
            Record({"v": [1]}, id="m8"), Record({"v": {"k": 1}}, id="m9"), Record({}, id="m0"),
        ])
        return db

    def test_type_order_in_sort(self, mixed: Any) -> None:
        # boolean < number < string < datetime < list < object, then missing/null
        assert self.search_ids(mixed, Query().sort("v")) == [
            "m3", "m1", "m4", "m2", "m5", "m7", "m8", "m9", "m0", "m6"]
        assert self.search_ids(mixed, Query().sort("v", SortOrder.DESC)) == [
            "m9", "m8", "m7", "m5", "m2", "m4", "m1", "m3", "m0", "m6"]

    def test_string_never_equals_number(self, mixed: Any) -> None:
        self.assert_query(mixed, Query().filter("v", Operator.EQ, 1), ["m1"])
        self.assert_query(mixed, Query().filter("v", Operator.EQ, "1"), ["m2"])
        self.assert_query(mixed, Query().filter("v", Operator.NEQ, 1),
                          ["m2", "m3", "m4", "m5", "m7", "m8", "m9"])

    def test_ordering_only_within_type(self, mixed: Any) -> None:
        self.assert_query(mixed, Query().filter("v", Operator.GT, 0), ["m1", "m4"])
        self.assert_query(mixed, Query().filter("v", Operator.GTE, ""), ["m2", "m5"])


class StreamingTests(_Base):
    """stream_read / stream_write."""

    def test_stream_read_matches_search(self, people: Any) -> None:
        q = Query().filter("age", Operator.EXISTS).sort("age", SortOrder.DESC)
        streamed = ids_of(list(people.stream_read(q, StreamConfig(batch_size=2))))
        assert streamed == self.search_ids(people, q)

    def test_stream_read_everything_once(self, db: Any) -> None:
        db.create_batch([Record({"n": i}) for i in range(53)])
        got = ids_of(list(db.stream_read(None, StreamConfig(batch_size=10))))
        assert len(got) == 53 and len(set(got)) == 53

    def test_stream_write_reports_every_failure(self, db: Any) -> None:
        records = [Record({"n": i}) for i in range(10)]
        records[3] = Record({"n": object()})
        result = db.stream_write(records, StreamConfig(batch_size=4, on_error="skip"))
        assert result.total_processed == 10
        assert result.successful == 9 and result.failed == 1
        assert [f.index for f in result.failures] == [3]
        assert db.count() == 9

    def test_stream_write_stop_policy(self, db: Any) -> None:
        records = [Record({"n": i}) for i in range(10)]
        records[1] = Record({"n": object()})
        result = db.stream_write(records, StreamConfig(batch_size=4, on_error="stop"))
        assert result.stopped_early and result.failed >= 1
        assert db.count() == result.successful


class SpecRuleTests(_Base):
    """Every numbered rule of docs/query-semantics.md (R1, R2, ...), one test per rule.

    The examples come from ``testing.spec_cases`` (the copy of the page shipped with the
    package). Each example runs on an empty database (``clear()`` between the examples of a
    rule). An example whose query uses an operator in ``capabilities.unsupported_operators``
    must raise ``UnsupportedQueryError`` instead of answering; one that stores a field with
    values of different kinds is skipped when ``capabilities.mixed_type_fields`` is False.

    ``spec_rules = False`` in a test class skips these (with that reason): for a variant
    whose query path another class of the same adapter already checks rule by rule.
    ``spec_skips`` ({rule: reason}) skips single rules with their reason: for a server that
    imitates another and differs from it there (the adapter checked on the real one)."""

    spec_rules: ClassVar[bool] = True
    spec_skips: ClassVar[dict[str, str]] = {}

    @pytest.mark.parametrize("rule", spec_rule_ids())
    def test_spec_rule(self, db: Any, rule: str) -> None:
        if not self.spec_rules:
            pytest.skip(f"{type(self).__name__} sets spec_rules = False")
        if rule in self.spec_skips:
            pytest.skip(f"{type(self).__name__}: {rule}: {self.spec_skips[rule]}")
        skipped: list[str] = []
        stored: SpecExample | None = None  # whose records the database holds
        for example in examples_of(rule):
            mixed = example.mixed_kind_paths()
            if mixed and not db.capabilities.mixed_type_fields:
                skipped.append(f"{example.name} (mixed kinds at {', '.join(mixed)})")
                continue
            if example.raises is not None:
                run_example(db, example)
                continue
            # consecutive examples of a rule often share their records: store them once
            load = not example.same_records(stored)
            if load and stored is not None:
                db.clear()
            run_example(db, example, load=load)
            stored = example
        if skipped and len(skipped) == len(examples_of(rule)):
            pytest.skip(f"{db.backend_name} declares mixed_type_fields=False: "
                        + "; ".join(skipped))


class TransactionTests(_Base):
    """``transaction()``: all of a block's writes take effect, or none when it raises; a
    nested block is a savepoint. Run on sync adapters declaring ``transactions``; an async
    adapter's ``transaction()`` is an async context manager, which this sync-shaped suite
    cannot enter across calls (tests/postgres checks the async PostgreSQL one)."""

    needs = ("transactions", "declares no transactions")
    sync_only = "async transaction(): an async context manager (see the class doc)"

    def test_a_block_that_ends_commits_everything(self, db: Any) -> None:
        db.create(Record({"v": 1}, id="a"))
        with db.transaction() as tx:
            tx.create(Record({"v": 2}, id="b"))
            tx.update("a", Record({"v": 10}))
            assert db.read("a")["v"] == 10 and db.count() == 2  # its own writes are seen
        assert db.read("a")["v"] == 10 and db.read("b")["v"] == 2

    def test_a_block_that_raises_leaves_nothing_behind(self, db: Any) -> None:
        db.create_batch([Record({"v": 1}, id="a"), Record({"v": 2}, id="b")])
        with pytest.raises(ZeroDivisionError), db.transaction():
            db.create(Record({"v": 3}, id="c"))
            db.update("a", Record({"v": 10}))
            db.delete("b")
            db.create_batch([Record({"v": 4}, id="d")])
            raise ZeroDivisionError
        assert sorted(ids_of(db.search(Query()))) == ["a", "b"]
        assert db.read("a")["v"] == 1 and db.count(Query().filter("v", "=", 10)) == 0

    def test_a_nested_block_is_a_savepoint(self, db: Any) -> None:
        with db.transaction():
            db.create(Record({"v": 1}, id="a"))
            with pytest.raises(KeyError), db.transaction():
                db.create(Record({"v": 2}, id="b"))
                raise KeyError("inner")
            db.create(Record({"v": 3}, id="c"))
        assert sorted(ids_of(db.search(Query()))) == ["a", "c"]


class DatabaseConformance(
    SpecRuleTests,
    CrudTests,
    VersionTests,
    RoundTripTests,
    BatchTests,
    QueryOperatorTests,
    BooleanLogicTests,
    SortPagingProjectionTests,
    MixedTypeTests,
    StreamingTests,
    TransactionTests,
    VectorTests,
    ColumnarTests,
):
    """Every conformance test. Subclass it and provide the ``database`` fixture."""
