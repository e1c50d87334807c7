"""The differential suite against the memory adapter, and the reference against an oracle.

Three subjects run the random queries of ``DifferentialSuite``: the memory adapter with
hash indexes on the queried paths (indexes must never change an answer), the async memory
adapter, and ``OracleDatabase`` below -- a brute-force implementation of
docs/query-semantics.md written from the specification, sharing no code with
``domain/matcher.py`` or ``domain/values.py``, so the reference itself is checked against
something independent. The remaining tests check the suite: that it notices a wrong adapter
and says what diverged, that it generates every operator, and that it honours capabilities.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from dataknobs_data import (
    AsyncMemoryDatabase,
    Capabilities,
    Filter,
    LogicCondition,
    LogicOperator,
    MemoryDatabase,
    Operator,
    Query,
    Record,
    SortOrder,
    SyncDatabase,
)
from dataknobs_data.domain.errors import RecordExistsError
from dataknobs_data.ports.database import check_version
from dataknobs_data.testing.differential import (
    QUERY_PATHS,
    DifferentialSuite,
    Scenario,
    check_scenario,
    same_value,
    scenarios,
)

# --- the oracle: the specification, read literally -----------------------------------------
_ABSENT = object()
_KIND_ORDER = ("boolean", "number", "string", "datetime", "list", "object")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, list):
        return "list"
    return "object"


def _get(data: dict[str, Any], path: str) -> Any:
    # Dots always separate segments, and a segment only descends into an object.
    current: Any = data
    for segment in path.split("."):
        if not isinstance(current, dict) or segment not in current:
            return _ABSENT
        current = current[segment]
    return current


def _has_value(value: Any) -> bool:
    return value is not _ABSENT and value is not None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _equal(a: Any, b: Any) -> bool:
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == "null":
        return True
    if kind == "datetime":
        return _utc(a) == _utc(b)
    if kind == "list":
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if kind == "object":
        return set(a) == set(b) and all(_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def _order(a: Any, b: Any) -> int | None:
    """-1/0/1 for two values of the same orderable kind, None otherwise."""
    kind = _kind(a)
    if kind != _kind(b) or kind not in ("number", "string", "datetime"):
        return None
    if kind == "datetime":
        a, b = _utc(a), _utc(b)
    return (a > b) - (a < b)


def _like(value: str, pattern: str, fold: bool) -> bool:
    # Tokenise: ("any",), ("one",) or ("lit", ch); a trailing lone backslash is literal.
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            tokens.append(("lit", pattern[i + 1]))
            i += 2
            continue
        tokens.append(("any", "") if ch == "%" else ("one", "") if ch == "_" else ("lit", ch))
        i += 1

    def same(x: str, y: str) -> bool:
        if fold and x.isascii() and y.isascii():
            return x.lower() == y.lower()
        return x == y

    @functools.cache
    def match(t: int, v: int) -> bool:
        if t == len(tokens):
            return v == len(value)
        kind, ch = tokens[t]
        if kind == "any":
            return any(match(t + 1, k) for k in range(v, len(value) + 1))
        if v == len(value):
            return False
        if kind == "one" or same(ch, value[v]):
            return match(t + 1, v + 1)
        return False

    return match(0, 0)


def _positive(op: Operator, value: Any, operand: Any) -> bool:
    if not _has_value(value):
        return False
    if op is Operator.EQ:
        return _equal(value, operand)
    if op is Operator.IN:
        return any(_equal(value, item) for item in operand)
    if op in (Operator.GT, Operator.GTE, Operator.LT, Operator.LTE):
        c = _order(value, operand)
        if c is None:
            return False
        return {Operator.GT: c > 0, Operator.GTE: c >= 0,
                Operator.LT: c < 0, Operator.LTE: c <= 0}[op]
    if op is Operator.BETWEEN:
        low, high = _order(operand[0], value), _order(value, operand[1])
        return low is not None and high is not None and low <= 0 and high <= 0
    if not isinstance(value, str):
        return False
    if op is Operator.LIKE:
        return _like(value, operand, fold=False)
    if op is Operator.ILIKE:
        return _like(value, operand, fold=True)
    if op is Operator.REGEX:
        return re.search(operand, value, re.DOTALL) is not None
    if op is Operator.STARTS_WITH:
        return value.startswith(operand)
    raise AssertionError(op)


_NEGATIONS = {Operator.NEQ: Operator.EQ, Operator.NOT_IN: Operator.IN,
              Operator.NOT_LIKE: Operator.LIKE, Operator.NOT_BETWEEN: Operator.BETWEEN}


def _at(rid: str, data: dict[str, Any], path: str) -> Any:
    """The value a query path names: the path ``id`` is the storage key (R75-R77)."""
    return rid if path == "id" else _get(data, path)


def _holds(condition: Filter | LogicCondition, data: dict[str, Any], rid: str) -> bool:
    if isinstance(condition, LogicCondition):
        results = [_holds(c, data, rid) for c in condition.conditions]
        if condition.operator is LogicOperator.NOT:
            return not results[0]
        return all(results) if condition.operator is LogicOperator.AND else any(results)
    value = _at(rid, data, condition.field)
    op = condition.operator
    if op is Operator.EXISTS:
        return _has_value(value)
    if op is Operator.NOT_EXISTS:
        return not _has_value(value)
    if op in _NEGATIONS:
        return _has_value(value) and not _positive(_NEGATIONS[op], value, condition.value)
    return _positive(op, value, condition.value)


def _compare_records(query: Query, a: tuple[str, dict[str, Any]],
                     b: tuple[str, dict[str, Any]]) -> int:
    for spec in query.sort_specs:
        va, vb = _at(*a, spec.field), _at(*b, spec.field)
        if not _has_value(va) or not _has_value(vb):
            if _has_value(va) != _has_value(vb):
                return -1 if _has_value(va) else 1  # absent last, whatever the direction
            continue
        ka, kb = _KIND_ORDER.index(_kind(va)), _KIND_ORDER.index(_kind(vb))
        if ka != kb:
            c = (ka > kb) - (ka < kb)
        elif _kind(va) == "boolean":
            c = (va > vb) - (va < vb)
        elif _kind(va) in ("list", "object"):
            c = 0
        else:
            c = _order(va, vb) or 0
        if c:
            return -c if spec.order is SortOrder.DESC else c
    return (a[0] > b[0]) - (a[0] < b[0])


def _project(data: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    import copy

    out: dict[str, Any] = {}
    for path in fields:
        value = _get(data, path)
        if value is _ABSENT:
            continue
        *parents, leaf = path.split(".")
        target = out
        for segment in parents:
            if not isinstance(target.get(segment), dict):
                target[segment] = {}
            target = target[segment]
        target[leaf] = copy.deepcopy(value)
    return out


class OracleDatabase(SyncDatabase):
    """A deliberately naive store: every query is a full scan with the rules spelled out."""

    backend_name = "oracle"
    capabilities = Capabilities(atomic_batches=False)

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._versions: dict[str, int] = {}
        self._clock = 0

    def _write(self, record_id: str, record: Record) -> None:
        import copy

        self._clock += 1
        self._rows[record_id] = (copy.deepcopy(record.data), copy.deepcopy(record.metadata))
        self._versions[record_id] = self._clock

    def _out(self, record_id: str, fields: list[str] | None = None) -> Record:
        import copy

        data, metadata = self._rows[record_id]
        body = _project(data, fields) if fields else copy.deepcopy(data)
        return Record(body, copy.deepcopy(metadata), record_id)

    def _create(self, record_id: str, record: Record) -> None:
        if record_id in self._rows:
            raise RecordExistsError(record_id)
        self._write(record_id, record)

    def _read(self, record_id: str) -> Record | None:
        return self._out(record_id) if record_id in self._rows else None

    def _update(self, record_id: str, record: Record, expected_version: str | None) -> bool:
        check_version(record_id, expected_version, self._get_version(record_id))
        if record_id not in self._rows:
            return False
        self._write(record_id, record)
        return True

    def _delete(self, record_id: str, expected_version: str | None) -> bool:
        check_version(record_id, expected_version, self._get_version(record_id))
        self._versions.pop(record_id, None)
        return self._rows.pop(record_id, None) is not None

    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> None:
        check_version(record_id, expected_version, self._get_version(record_id))
        self._write(record_id, record)

    def _get_version(self, record_id: str) -> str | None:
        version = self._versions.get(record_id)
        return None if version is None else str(version)

    def _matches(self, query: Query) -> list[tuple[str, dict[str, Any]]]:
        return [(rid, data) for rid, (data, _) in self._rows.items()
                if all(_holds(c, data, rid) for c in query.filters)]

    def _search(self, query: Query) -> list[Record]:
        rows = sorted(self._matches(query),
                      key=functools.cmp_to_key(functools.partial(_compare_records, query)))
        start = query.offset_value or 0
        stop = None if query.limit_value is None else start + query.limit_value
        return [self._out(rid, query.fields) for rid, _ in rows[start:stop]]

    def _count(self, query: Query) -> int:
        return len(self._matches(query))

    def _clear(self) -> int:
        n = len(self._rows)
        self._rows.clear()
        self._versions.clear()
        return n


# --- the suites --------------------------------------------------------------------------
class TestIndexedMemoryDifferential(DifferentialSuite):
    """Indexes on every queried path must never change an answer."""

    @pytest.fixture
    def database(self) -> Iterator[MemoryDatabase]:
        yield MemoryDatabase(indexes=list(QUERY_PATHS))


class TestAsyncMemoryDifferential(DifferentialSuite):
    differential_examples = 60

    @pytest.fixture
    def database(self) -> Iterator[AsyncMemoryDatabase]:
        yield AsyncMemoryDatabase(indexes=["a", "o.x"])


class TestReferenceAgainstOracle(DifferentialSuite):
    """The reference matcher against the specification read literally."""

    differential_examples = 150

    @pytest.fixture
    def database(self) -> Iterator[OracleDatabase]:
        yield OracleDatabase()


# --- the suite checks itself ---------------------------------------------------------------
class OffsetIgnoringDatabase(MemoryDatabase):
    """A wrong adapter: it forgets the offset."""

    backend_name = "offset-ignoring"

    def _search(self, query: Query) -> list[Record]:
        trimmed = query.copy()
        trimmed.offset_value = None
        return super()._search(trimmed)


def test_divergence_message_names_records_query_and_difference() -> None:
    scenario = Scenario(
        [Record({"a": 1}, id="r1"), Record({"a": 2}, id="r2")],
        [Query().filter("a", Operator.GTE, 1).offset(1)],
    )
    with pytest.raises(AssertionError) as info:
        check_scenario(OffsetIgnoringDatabase(), scenario)
    message = str(info.value)
    assert "offset-ignoring diverges" in message
    assert "'id': 'r1'" in message and "'data': {'a': 1}" in message
    assert "Query.from_dict(" in message and "'offset': 1" in message
    assert "expected ['r2']" in message and "got      ['r1', 'r2']" in message


def test_generated_queries_find_a_wrong_adapter() -> None:
    class Probe(DifferentialSuite):
        differential_examples = 60

    db = OffsetIgnoringDatabase()

    # no shrinking: finding the divergence is the point here, minimising it takes a minute
    @settings(Probe.differential_settings(), phases=[Phase.generate])
    @given(Probe().scenario_strategy(db.capabilities))
    def run(scenario: Scenario) -> None:
        check_scenario(db, scenario)

    with pytest.raises(AssertionError, match="diverges from the reference"):
        run()


def test_count_divergence_is_reported() -> None:
    class CountsOneMore(MemoryDatabase):
        def _count(self, query: Query) -> int:
            return super()._count(query) + 1

    scenario = Scenario([Record({"a": 1}, id="r1")], [Query()])
    with pytest.raises(AssertionError, match="count differs: expected 1, got 2"):
        check_scenario(CountsOneMore(), scenario)


def test_generator_covers_every_operator_logic_sort_and_projection() -> None:
    seen: set[Any] = set()

    def walk(condition: Any) -> None:
        if isinstance(condition, Filter):
            seen.add(condition.operator)
        else:
            seen.add(condition.operator)
            for child in condition.conditions:
                walk(child)

    # small record sets: this checks the query generator, and they keep it quick
    @settings(max_examples=100, derandomize=True, database=None, deadline=None)
    @given(scenarios(Capabilities(), max_records=6))
    def collect(scenario: Scenario) -> None:
        for q in scenario.queries:
            for c in q.filters:
                walk(c)
            if q.sort_specs:
                seen.add("sort")
            if len(q.sort_specs) == 3:
                seen.add("sort3")
            if q.fields:
                seen.add("select")
            if q.offset_value and q.limit_value is not None:
                seen.add("page")

    collect()
    assert set(Operator) <= seen
    assert set(LogicOperator) <= seen
    assert {"sort", "sort3", "select", "page"} <= seen


def test_capabilities_shape_the_generated_data() -> None:
    caps = Capabilities(mixed_type_fields=False,
                        unsupported_operators=frozenset({Operator.REGEX, Operator.ILIKE}))
    kinds_per_path: dict[str, set[str]] = {}

    def operators(condition: Any) -> Iterator[Operator]:
        if isinstance(condition, Filter):
            yield condition.operator
        else:
            for child in condition.conditions:
                yield from operators(child)

    @settings(max_examples=40, derandomize=True, database=None, deadline=None)
    @given(scenarios(caps, max_records=12))
    def collect(scenario: Scenario) -> None:
        per_set: dict[str, set[str]] = {}
        for record in scenario.records:
            for path in QUERY_PATHS:
                value = _get(record.data, path)
                if _has_value(value):
                    kind = _kind(value)
                    if kind == "number":
                        kind = type(value).__name__
                    per_set.setdefault(path, set()).add(kind)
        for path, kinds in per_set.items():
            kinds_per_path.setdefault(path, set())
            assert len(kinds) == 1, (path, kinds)
        for q in scenario.queries:
            for c in q.filters:
                assert not set(operators(c)) & caps.unsupported_operators

    collect()
    assert kinds_per_path  # the check above ran on real data


def test_same_value_is_strict_about_types() -> None:
    aware = datetime(2020, 1, 1, tzinfo=UTC)
    assert same_value({"a": [1, {"b": 2.5}]}, {"a": [1, {"b": 2.5}]})
    assert not same_value(1, 1.0) and not same_value(1, True)
    assert not same_value(aware, aware.replace(tzinfo=None))
    assert not same_value({"a": 1}, {"a": 1, "b": None})


class TestOracleSanity:
    """The oracle's own rules, on cases stated by hand from the specification."""

    rows: ClassVar[list[Record]] = [
        Record({"v": 1}, id="a"), Record({"v": 1.0}, id="b"), Record({"v": True}, id="c"),
        Record({"v": "1"}, id="d"), Record({"v": None}, id="e"), Record({}, id="f"),
        Record({"v": [None, 1]}, id="g"), Record({"v": {"w": "x"}}, id="h"),
    ]

    def ids(self, query: Query) -> list[str]:
        db = OracleDatabase()
        db.create_batch(self.rows)
        return [r.id or "" for r in db.search(query)]

    def test_eq_neq(self) -> None:
        assert self.ids(Query().filter("v", Operator.EQ, 1)) == ["a", "b"]
        assert self.ids(Query().filter("v", Operator.NEQ, 1)) == ["c", "d", "g", "h"]
        assert self.ids(Query().filter("v", Operator.EQ, [None, 1])) == ["g"]
        assert self.ids(Query().filter("v.w", Operator.EQ, "x")) == ["h"]

    def test_sort_type_order_and_absent_last(self) -> None:
        assert self.ids(Query().sort("v")) == ["c", "a", "b", "d", "g", "h", "e", "f"]
        assert self.ids(Query().sort("v", SortOrder.DESC)) == [
            "h", "g", "d", "a", "b", "c", "e", "f"]

    def test_like(self) -> None:
        assert _like("a%b", "a\\%b", fold=False) and not _like("axb", "a\\%b", fold=False)
        assert _like("ABC", "a_c", fold=True) and not _like("ABC", "a_c", fold=False)
        assert _like("anything", "%", fold=False) and _like("", "%", fold=False)


# --- writes between queries: tombstones, compaction, index upkeep ---------------------------
_OP_QUERIES = [
    Query(),
    Query().filter("v", Operator.NOT_EXISTS),
    Query().filter("v", Operator.GTE, 5).sort("v", SortOrder.DESC).limit(7),
    Query().filter("g", Operator.EQ, "g1").sort("v").offset(2).limit(5),
    Query().filter("g", Operator.IN, ["g0", "g2"]).filter("v", Operator.LT, 40),
    Query().filter("g", Operator.NEQ, "g1").sort("s").limit(3),
    Query().sort("v").limit(4),
]


@settings(max_examples=40, derandomize=True, database=None, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("put", "put", "delete", "update")),
                          st.integers(0, 149), st.one_of(st.none(), st.integers(0, 60)),
                          st.sampled_from(("g0", "g1", "g2"))),
                min_size=50, max_size=400))
def test_writes_between_queries_match_the_oracle(
        ops: list[tuple[str, int, int | None, str]]) -> None:
    # Deletes leave tombstones in the memory adapter's row list and compaction rewrites
    # it; index buckets follow every write. The oracle knows nothing of either.
    memory, indexed, oracle = MemoryDatabase(), MemoryDatabase(indexes=["g", "v"]), OracleDatabase()
    for step, (kind, n, v, g) in enumerate(ops):
        rid = f"r{n:03d}"
        data: dict[str, Any] = {"g": g, "s": f"s{(n * 7) % 13}"}
        if v is not None:
            data["v"] = v
        for db in (memory, indexed, oracle):
            if kind == "put":
                db.upsert(rid, Record(data))
            elif kind == "update":
                db.update(rid, Record(data))
            else:
                db.delete(rid)
        if step % 50 == 49:
            _same_answers(memory, indexed, oracle)
    _same_answers(memory, indexed, oracle)
    # a mass delete: the tombstones outnumber the rows and compaction runs
    for n in range(150):
        if n % 5:
            for db in (memory, indexed, oracle):
                db.delete(f"r{n:03d}")
    _same_answers(memory, indexed, oracle)
    for n in range(0, 150, 2):
        for db in (memory, indexed, oracle):
            db.upsert(f"r{n:03d}", Record({"g": "g1", "v": n % 9, "s": "t"}))
    _same_answers(memory, indexed, oracle)


def _same_answers(memory: MemoryDatabase, indexed: MemoryDatabase, oracle: OracleDatabase
                  ) -> None:
    for q in _OP_QUERIES:
        want = [(r.id, r.data) for r in oracle.search(q.copy())]
        assert [(r.id, r.data) for r in memory.search(q.copy())] == want, q
        assert [(r.id, r.data) for r in indexed.search(q.copy())] == want, q
        assert memory.count(q.copy()) == indexed.count(q.copy()) == oracle.count(q.copy())


def test_bulk_loaded_records_are_seen_by_scans() -> None:
    # The file adapter fills ``_records`` directly when it loads a snapshot.
    db = MemoryDatabase()
    for i in range(5):
        db._records[f"r{i}"] = Record({"v": i}, id=f"r{i}")
        db._versions[f"r{i}"] = str(i)
    assert [r.id for r in db.search(Query().filter("v", Operator.GTE, 3))] == ["r3", "r4"]
    assert db.count(Query().filter("v", Operator.LT, 3)) == 3


def test_one_data_dict_never_serves_two_records() -> None:
    db = MemoryDatabase()
    shared = Record({"v": 1}, id="a")
    db._create("a", shared)
    db._create("b", Record(shared.data, id="b"))  # same dict object, as a careless hook might
    db.delete("a")
    assert [r.id for r in db.search(Query().filter("v", Operator.EQ, 1))] == ["b"]


def test_read_back_that_changes_a_type_is_reported() -> None:
    class IntsComeBackAsFloats(MemoryDatabase):
        def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
            out = super()._read_batch(record_ids)
            for rec in out:
                if rec is not None:
                    rec.data.update({k: float(v) for k, v in rec.data.items()
                                     if type(v) is int})
            return out

    scenario = Scenario([Record({"a": 1}, id="r1")], [Query()])
    with pytest.raises(AssertionError, match="read_batch differs") as info:
        check_scenario(IntsComeBackAsFloats(), scenario)
    assert "'data': {'a': 1.0}" in str(info.value)
