"""The differential suite: random records and random queries, compared with the reference.

Where the conformance suite checks each rule of docs/query-semantics.md with hand-written
cases, this suite lets Hypothesis invent record sets (nested objects, nulls, missing fields,
mixed types, large integers, floats, aware and naive datetimes, unicode with quotes,
backslashes and characters outside the BMP, lists) and queries over them (every operator,
``and_``/``or_``/``not_`` nested three deep, multi-key sorts in both directions, offset,
limit and projection). For every query, ``search`` (ids, order, data, metadata) and
``count`` of the adapter under test must equal those of the memory reference loaded with the
same records. A divergence fails with the shrunk record set and query as Python literals.

Use it like the conformance suite: subclass and provide the ``database`` fixture::

    class TestMyDifferential(DifferentialSuite):
        differential_examples = 40          # optional: fewer record sets for a slow server

        @pytest.fixture
        def database(self):
            yield MyDatabase(...)

Runs are reproducible: examples are derandomized (the same on every run) unless the
environment sets ``DATAKNOBS_DIFFERENTIAL_SEED`` to an integer; ``DATAKNOBS_DIFFERENTIAL_EXAMPLES``
overrides the number of record sets. Declared differences come from ``db.capabilities``:
``mixed_type_fields=False`` makes every field hold one type, ``unsupported_operators`` are
never generated. ILIKE is generated only over fields whose strings are all ASCII, because the
specification guarantees ASCII case folding only.
"""

from __future__ import annotations

import copy
import functools
import pprint
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..adapters.memory import MemoryDatabase
from ..domain.errors import QueryError
from ..domain.query import (
    STORAGE_KEY,
    And,
    Condition,
    Filter,
    Not,
    Operator,
    Or,
    Query,
    SortOrder,
    check_portable_regex,
)
from ..domain.records import Record, lookup
from ..domain.values import INT64_MAX, INT64_MIN, MISSING
from ..ports.capabilities import Capabilities
from ..ports.streaming import StreamConfig
from .conformance import _Base
from .runner import exactly, run_reported, suite_settings

SEED_ENV = "DATAKNOBS_DIFFERENTIAL_SEED"
EXAMPLES_ENV = "DATAKNOBS_DIFFERENTIAL_EXAMPLES"

# --- the shape of generated records ------------------------------------------------------
# Top-level fields each get a type profile per record set; "o" is an object with fixed
# children so dotted paths hit, and "k.d" is a key holding a dot (stored, never addressable).
TOP_FIELDS = ("a", "b", "c", "d", "e")
OBJECT_FIELD = "o"
OBJECT_CHILDREN = ("x", "y")
INNER_OBJECT = "p"
INNER_CHILDREN = ("q", "r")
DOTTED_KEY = "k.d"
QUERY_PATHS = (
    "a", "b", "c", "d", "e", "o", "o.x", "o.y", "o.p", "o.p.q", "o.p.r",
    "a.x", "a.p.q", "o.x.y", "k", "k.d", "zz", "id",
)  # "id" is the storage key (docs/query-semantics.md R75-R77); some records shadow it in data
SCALAR_TYPES = ("bool", "int", "float", "str", "datetime")
ALL_TYPES = (*SCALAR_TYPES, "list", "object")

STRING_POOL = (
    "", "a", "A", "ab", "aB", "Ab", "b", "abc", "Ada", "ada", "z", "Z", "é", "É", "ß", "\u0131",
    "\U0001f600", "a\U0001f600", "\U0001f600z", "\ue000", "\uffff", "100", "30", "9",
    "%", "_", "a%b", "a_b", "\\", "a\\b", "\\%", "'", '"', "O'Reilly", 'say "hi"', " ",
    "a b", "line\nbreak", "tab\t", "@#&~<>", "[x]", "(y)", "a.b", "1.5", "true", "null",
)
ASCII_STRING_POOL = tuple(s for s in STRING_POOL if s.isascii())
BASE_INSTANTS = (
    datetime(2020, 1, 1, tzinfo=UTC),
    datetime(2021, 6, 1, 12, 30, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2038, 1, 19, 3, 14, 8, 123_456, tzinfo=UTC),
)
OFFSETS_MINUTES = (0, 120, -300, 330, 840, -720, 60)
INT_POOL = (0, 1, 2, 3, -1, 10, 30, 2**53 + 1, -(2**53) - 1, 10**15, INT64_MAX, INT64_MIN)
FLOAT_POOL = (0.0, 0.5, 1.0, 2.5, 3.0, -1.5, 30.0, 1e300, -1e-300, 9.223372036854776e18)


# --- value strategies --------------------------------------------------------------------
@functools.cache
def _ints() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(INT_POOL), st.integers(-5, 40),
                     st.integers(INT64_MIN, INT64_MAX))


@functools.cache
def _floats() -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from(FLOAT_POOL),
                     st.floats(allow_nan=False, allow_infinity=False))


@functools.cache
def _strings(excluded: str, ascii_only: bool = False) -> st.SearchStrategy[str]:
    if ascii_only:
        alphabet = st.characters(min_codepoint=1, max_codepoint=127,
                                 exclude_characters=excluded)
        pool = ASCII_STRING_POOL
    else:
        alphabet = st.characters(exclude_categories=["Cs"], exclude_characters=excluded)
        pool = STRING_POOL
    pool = tuple(s for s in pool if not any(ch in excluded for ch in s))
    return st.one_of(st.sampled_from(pool), st.text(alphabet, max_size=8))


@st.composite
def _datetime_values(draw: st.DrawFn) -> datetime:
    instant = draw(st.one_of(
        st.sampled_from(BASE_INSTANTS),
        st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30))
        .map(lambda d: d.replace(tzinfo=UTC)),
    ))
    if draw(st.booleans()):
        return instant.replace(tzinfo=None)  # naive: the same instant, read as UTC
    minutes = draw(st.sampled_from(OFFSETS_MINUTES))
    return instant.astimezone(timezone(timedelta(minutes=minutes)) if minutes else UTC)


@functools.cache
def _datetimes() -> st.SearchStrategy[datetime]:
    return _datetime_values()


SLOT_KINDS = st.integers(0, 9)
QUARTER = st.integers(0, 3)
EIGHTH = st.integers(0, 7)
# a slot of a pool of n values: 0 missing, 1 null, 2.. one of the values
SLOT_CHOICES = tuple(st.integers(0, n + 1) for n in range(8))


@dataclass(frozen=True)
class _Shapes:
    """Value strategies for one record set, honouring the backend's capabilities."""

    mixed: bool
    excluded: str

    @functools.cache  # noqa: B019 - a handful of value-equal instances, kept on purpose
    def scalar(self, type_name: str) -> st.SearchStrategy[Any]:
        if type_name == "str":
            return _strings(self.excluded)
        makers: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
            "bool": st.booleans, "int": _ints, "float": _floats, "datetime": _datetimes}
        return makers[type_name]()

    @functools.cache  # noqa: B019 - a handful of value-equal instances, kept on purpose
    def any_scalar(self) -> st.SearchStrategy[Any]:
        return st.one_of([self.scalar(t) for t in SCALAR_TYPES])

    @functools.cache  # noqa: B019 - a handful of value-equal instances, kept on purpose
    def loose_object(self, depth: int) -> st.SearchStrategy[dict[str, Any]]:
        """A free-form object (mixed-type backends only), up to ``depth`` more levels."""
        leaf = st.one_of(st.none(), self.any_scalar())
        child = leaf if depth <= 1 else st.one_of(leaf, self.loose_object(depth - 1))
        return st.dictionaries(st.sampled_from(("x", "y", "p", "q", "z.w", "$id")), child,
                               max_size=3)

    @functools.cache  # noqa: B019 - a handful of value-equal instances, kept on purpose
    def loose_list(self) -> st.SearchStrategy[list[Any]]:
        item = st.one_of(st.none(), self.any_scalar(), self.loose_object(1))
        return st.lists(item, max_size=3)

    @functools.cache  # noqa: B019 - a handful of value-equal instances, kept on purpose
    def typed(self, type_name: str) -> st.SearchStrategy[Any]:
        """Values of one profile entry: a scalar type, ``list:<elem>`` or ``object``."""
        if type_name.startswith("list"):
            elem = type_name.partition(":")[2]
            return st.lists(self.scalar(elem), max_size=3) if elem else self.loose_list()
        if type_name == "object":
            return self.loose_object(2)
        return self.scalar(type_name)


MIXED_PROFILES = st.lists(st.sampled_from(ALL_TYPES), min_size=1, max_size=3, unique=True)
SINGLE_PROFILES = st.sampled_from(
    (*((t,) for t in SCALAR_TYPES), ("list:str",), ("list:int",)))


@functools.cache
def _pool_strategy(shapes: _Shapes, profile: tuple[str, ...]) -> st.SearchStrategy[list[Any]]:
    values = st.one_of([shapes.typed(t) for t in profile])
    return st.lists(values, min_size=1, max_size=5)


def _pool(draw: st.DrawFn, shapes: _Shapes) -> list[Any]:
    """The values one field takes across a record set (its types follow the capabilities):
    a few, so records share them and equality, ties and paging all get exercised."""
    profile = tuple(draw(MIXED_PROFILES)) if shapes.mixed else draw(SINGLE_PROFILES)
    return draw(_pool_strategy(shapes, profile))


def _slot(draw: st.DrawFn, pool: list[Any]) -> Any:
    """A field's content in one record: missing, null or one of the field's values."""
    return (MISSING, None, *pool)[draw(SLOT_CHOICES[len(pool)])]


@dataclass
class Scenario:
    """One generated example: a record set and the queries to run over it.

    ``stream_batches`` holds, per query, the batch size with which ``stream_read`` must
    yield the same records as ``search`` (None: not streamed)."""

    records: list[Record]
    queries: list[Query] = field(default_factory=list)
    stream_batches: list[int | None] = field(default_factory=list)

    def __repr__(self) -> str:
        queries = pprint.pformat([q.to_dict() for q in self.queries], width=100)
        return f"Scenario(records={records_literal(self.records)},\n queries={queries})"


def records_literal(records: Sequence[Record]) -> str:
    """Records as ``[{"id": ..., "data": ..., "metadata": ...}, ...]`` Python source."""
    return pprint.pformat(
        [{"id": r.id, "data": r.data, "metadata": r.metadata} for r in records], width=100
    )


@st.composite
def record_sets(draw: st.DrawFn, capabilities: Capabilities, max_records: int,
                id_alphabet: str, excluded: str) -> list[Record]:
    """0..max_records records whose field types follow ``capabilities.mixed_type_fields``."""
    mixed = capabilities.mixed_type_fields
    shapes = _Shapes(mixed, excluded)
    top = {name: _pool(draw, shapes) for name in TOP_FIELDS}
    children = {name: _pool(draw, shapes) for name in (*OBJECT_CHILDREN, *INNER_CHILDREN)}
    dotted = _pool(draw, shapes)
    metadata = st.sampled_from(draw(st.lists(st.one_of(
        st.just({}),
        st.fixed_dictionaries({"src": st.sampled_from(("a", "b", "é"))}),
        st.dictionaries(st.sampled_from(("n", "tag", "at")),
                        st.one_of(st.none(), shapes.any_scalar()), max_size=2),
    ), min_size=1, max_size=3)))
    one = _record(st.text(id_alphabet, min_size=1, max_size=6), top, children, dotted,
                  metadata)
    # A size drawn first spreads the sizes over the whole range; the list itself lets the
    # shrinker delete single records.
    n = draw(st.integers(0, max_records))
    return draw(st.lists(one, min_size=n, max_size=max(n, max_records),
                         unique_by=lambda r: r.id))


def _fields(draw: st.DrawFn, pools: dict[str, list[Any]], names: Iterable[str]
            ) -> dict[str, Any]:
    """The fields ``names`` of one record, each left out, null or a value of its pool."""
    slots = {name: _slot(draw, pools[name]) for name in names}
    return {name: value for name, value in slots.items() if value is not MISSING}


@st.composite
def _record(draw: st.DrawFn, ids: st.SearchStrategy[str], top: dict[str, list[Any]],
            children: dict[str, list[Any]], dotted: list[Any],
            metadata: st.SearchStrategy[dict[str, Any]]) -> Record:
    data = _fields(draw, top, top)
    obj_kind = draw(SLOT_KINDS)
    if obj_kind >= 2:
        obj = _fields(draw, children, OBJECT_CHILDREN)
        if draw(QUARTER):
            obj[INNER_OBJECT] = _fields(draw, children, INNER_CHILDREN)
        data[OBJECT_FIELD] = obj
    elif obj_kind == 1:
        data[OBJECT_FIELD] = None
    if draw(EIGHTH) == 0:
        data[DOTTED_KEY] = draw(st.sampled_from(dotted))
    if draw(EIGHTH) == 0:  # a data field named id: stored, but queries reach the storage key
        data[STORAGE_KEY] = draw(st.sampled_from(dotted))
    return Record(copy.deepcopy(data), copy.deepcopy(draw(metadata)), draw(ids))


# --- query strategies --------------------------------------------------------------------
@dataclass
class _QueryContext:
    """What the queries of one record set may refer to."""

    capabilities: Capabilities
    shapes: _Shapes
    values: dict[str, list[Any]]
    ascii_paths: frozenset[str]
    operators: tuple[Operator, ...]

    @classmethod
    def build(cls, records: Sequence[Record], capabilities: Capabilities, excluded: str
              ) -> _QueryContext:
        values: dict[str, list[Any]] = {}
        ascii_paths: set[str] = set()
        for path in QUERY_PATHS:
            found = ([r.id for r in records] if path == STORAGE_KEY else
                     [v for r in records
                      if (v := lookup(r.data, path)) is not MISSING and v is not None])
            values[path] = found
            if all(v.isascii() for v in found if isinstance(v, str)):
                ascii_paths.add(path)
        unsupported = capabilities.unsupported_operators
        operators = tuple(op for op in Operator if op not in unsupported)
        return cls(capabilities, _Shapes(capabilities.mixed_type_fields, excluded), values,
                   frozenset(ascii_paths), operators)

    def value_for(self, path: str) -> st.SearchStrategy[Any]:
        """A non-null operand: usually one stored at ``path``, sometimes anything."""
        return _mostly(self.values.get(path) or [], st.one_of(
            self.shapes.any_scalar(), self.shapes.loose_list(), self.shapes.loose_object(1)))

    def orderable_for(self, path: str) -> st.SearchStrategy[Any]:
        found = [v for v in self.values.get(path) or []
                 if isinstance(v, int | float | str | datetime) and not isinstance(v, bool)]
        return _mostly(found, st.one_of(_ints(), _floats(), _strings(self.shapes.excluded),
                                        _datetimes()))

    def strings_at(self, path: str) -> list[str]:
        return [v for v in self.values.get(path) or [] if isinstance(v, str)]


def _mostly(found: list[Any], fresh: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Two times in three one of ``found`` (when there are any), else ``fresh``."""
    if not found:
        return fresh
    return st.one_of(st.sampled_from(found), st.sampled_from(found), fresh)


def _kind(value: Any) -> str:
    return "datetime" if isinstance(value, datetime) else "str" if isinstance(value, str) \
        else "number"


@st.composite
def _like_pattern(draw: st.DrawFn, sources: list[str], ascii_only: bool, excluded: str
                  ) -> str:
    """A LIKE pattern: a stored string with parts replaced by wildcards, or a random one."""
    if len(sources) > 0 and draw(QUARTER) > 0:
        text = draw(st.sampled_from(sources))
        out: list[str] = []
        for ch in text:
            action = draw(st.integers(0, 9))
            if action == 0:
                out.append("_")
            elif action == 1:
                out.append("%")
            elif action == 2 and ch.isascii() and ch.isalpha():
                out.append(ch.swapcase())
            else:
                out.append("\\" + ch if ch in "%_\\" else ch)
        if draw(st.booleans()):
            at: int = draw(st.integers(0, len(out)))
            out.insert(at, "%")
        return "".join(out)
    pieces = st.one_of(st.sampled_from(("%", "_", "\\%", "\\_", "\\\\", "a", "A", "b", "é")),
                       _strings(excluded, ascii_only=ascii_only))
    pattern = "".join(draw(st.lists(pieces, max_size=4)))
    if ascii_only and not pattern.isascii():
        pattern = pattern.encode("ascii", "ignore").decode()
    return pattern


_REGEX_LITERALS = (*"aAbBzé1 _-%@#&~<\"'/", "\U0001f600")
_REGEX_CLASSES = ("[a-z]", "[A-Z]", "[0-9]", "[^a]", "[ab]", "[^a-zA-Z]", "[\\]\\-]",
                  "[é\U0001f600]", "[.]", "[ -/]")


def _regex_literal(ch: str) -> str:
    return "\\" + ch if ch in ".^$*+?()[]{}|\\-/" else ch


@st.composite
def _regex_sequence(draw: st.DrawFn, chars: tuple[str, ...], depth: int) -> tuple[str, bool]:
    """(pattern, has_quantifier): 0..3 atoms, each optionally quantified."""
    parts: list[str] = []
    quantified = False
    for _ in range(draw(QUARTER)):
        kind = draw(st.integers(0, 9 if depth < 2 else 7))
        inner_quantified = False
        if kind <= 4:
            atom = _regex_literal(draw(st.sampled_from(chars)))
        elif kind == 5:
            atom = "."
        elif kind <= 7:
            atom = draw(st.sampled_from(_REGEX_CLASSES))
        else:
            alts = [draw(_regex_sequence(chars, depth + 1)) for _ in range(draw(st.integers(1, 2)))]
            atom = "(" + "|".join(p for p, _ in alts) + ")"
            inner_quantified = any(q for _, q in alts)
        # quantifying a group that already repeats invites catastrophic backtracking
        if not inner_quantified and draw(st.integers(0, 2)) == 0:
            low = draw(st.integers(0, 2))
            atom += draw(st.sampled_from(("*", "+", "?", f"{{{low}}}", f"{{{low},}}",
                                          f"{{{low},{low + draw(st.integers(0, 2))}}}")))
            quantified = True
        quantified = quantified or inner_quantified
        parts.append(atom)
    return "".join(parts), quantified


@st.composite
def _regex_pattern(draw: st.DrawFn, sources: list[str]) -> str:
    """A pattern of the portable subset, built from characters the records hold."""
    chars = _REGEX_LITERALS + tuple(ch for s in sources for ch in s)
    body, _ = draw(_regex_sequence(chars, 0))
    if draw(QUARTER) == 0:
        body = "|".join((body, draw(_regex_sequence(chars, 1))[0]))
    pattern = ("^" if draw(QUARTER) == 0 else "") + body
    if draw(QUARTER) == 0:
        pattern += "$"
    try:
        check_portable_regex(pattern)
    except QueryError:
        return "a"
    return pattern


@st.composite
def _filters(draw: st.DrawFn, ctx: _QueryContext) -> Filter:
    path = draw(st.sampled_from(QUERY_PATHS))
    op = draw(st.sampled_from(ctx.operators))
    if op is Operator.ILIKE and path not in ctx.ascii_paths:
        # non-ASCII case folding is unspecified; compare ASCII fields only
        path = draw(st.sampled_from(sorted(ctx.ascii_paths)))
    if op in (Operator.EXISTS, Operator.NOT_EXISTS):
        return Filter(path, op)
    if op in (Operator.EQ, Operator.NEQ):
        return Filter(path, op, draw(ctx.value_for(path)))
    if op in (Operator.GT, Operator.GTE, Operator.LT, Operator.LTE):
        return Filter(path, op, draw(ctx.orderable_for(path)))
    if op in (Operator.IN, Operator.NOT_IN):
        return Filter(path, op, draw(st.lists(ctx.value_for(path), max_size=4)))
    if op in (Operator.BETWEEN, Operator.NOT_BETWEEN):
        low = draw(ctx.orderable_for(path))
        high = draw(ctx.orderable_for(path).filter(lambda v: _kind(v) == _kind(low)))
        return Filter(path, op, [low, high])
    sources = ctx.strings_at(path)
    if op in (Operator.LIKE, Operator.NOT_LIKE):
        return Filter(path, op, draw(_like_pattern(sources, False, ctx.shapes.excluded)))
    if op is Operator.ILIKE:
        ascii_sources = [s for s in sources if s.isascii()]
        return Filter(path, op, draw(_like_pattern(ascii_sources, True, ctx.shapes.excluded)))
    if op is Operator.REGEX:
        return Filter(path, op, draw(_regex_pattern(sources)))
    if op is Operator.STARTS_WITH:
        if len(sources) > 0 and draw(st.booleans()):
            text = draw(st.sampled_from(sources))
            cut: int = draw(st.integers(0, len(text)))
            return Filter(path, op, text[:cut])
        return Filter(path, op, draw(_strings(ctx.shapes.excluded)))
    raise AssertionError(f"no generator for {op}")  # pragma: no cover


@st.composite
def _conditions(draw: st.DrawFn, ctx: _QueryContext, depth: int) -> Condition:
    if depth >= 3 or draw(st.integers(0, 2)) > 0:
        return draw(_filters(ctx))
    kind = draw(st.sampled_from(("and", "or", "not")))
    if kind == "not":
        return Not(draw(_conditions(ctx, depth + 1)))
    children = draw(st.lists(_conditions(ctx, depth + 1), max_size=3))
    return And(*children) if kind == "and" else Or(*children)


SORT_KEYS = st.lists(st.tuples(st.sampled_from(QUERY_PATHS), st.sampled_from(SortOrder)),
                     max_size=3)
CONDITION_COUNTS = st.sampled_from((0, 1, 1, 1, 2, 2, 3))
OFFSETS = st.one_of(st.none(), st.integers(0, 6))
LIMITS = st.one_of(st.none(), st.integers(0, 12))
PROJECTIONS = st.lists(st.sampled_from(QUERY_PATHS), min_size=1, max_size=3)


@st.composite
def queries(draw: st.DrawFn, ctx: _QueryContext) -> Query:
    """A random query over the paths of a record set."""
    q = Query()
    for _ in range(draw(CONDITION_COUNTS)):
        q.where(draw(_conditions(ctx, 0)))
    for path, order in draw(SORT_KEYS):
        q.sort(path, order)
    q.offset(draw(OFFSETS))
    q.limit(draw(LIMITS))
    if draw(QUARTER) == 0:
        q.select(*draw(PROJECTIONS))
    return q


@st.composite
def scenarios(draw: st.DrawFn, capabilities: Capabilities, max_records: int = 40,
              max_queries: int = 12, id_alphabet: str = string.ascii_letters + string.digits,
              excluded: str = "") -> Scenario:
    """A record set and 1..max_queries queries over it."""
    records = draw(record_sets(capabilities, max_records, id_alphabet, excluded))
    ctx = _QueryContext.build(records, capabilities, excluded)
    n = draw(st.sampled_from(range(min(2, max_queries), max_queries + 1)))
    drawn = [draw(queries(ctx)) for _ in range(n)]
    return Scenario(records, drawn, [draw(STREAM_BATCHES) for _ in range(n)])


STREAM_BATCHES = st.sampled_from((None, None, 1, 3, 7))


# --- comparing results -------------------------------------------------------------------
#: results compare with ``runner.exactly``: the same types, signs of zero and offsets
same_value = exactly


def _row(record: Record) -> dict[str, Any]:
    return {"id": record.id, "data": record.data, "metadata": record.metadata}


def first_difference(expected: Sequence[Record], got: Sequence[Record]) -> str | None:
    """None when the two results are the same; otherwise what differs first."""
    exp_ids, got_ids = [r.id for r in expected], [r.id for r in got]
    if exp_ids != got_ids:
        return f"ids differ:\n  expected {exp_ids}\n  got      {got_ids}"
    for i, (e, g) in enumerate(zip(expected, got, strict=True)):
        if not same_value(e.data, g.data) or not same_value(e.metadata, g.metadata):
            return (f"record {i} ({e.id!r}) differs:\n  expected {_row(e)!r}\n"
                    f"  got      {_row(g)!r}")
    return None


@dataclass
class DifferentialStats:
    """What one run of the differential test checked."""

    record_sets: int = 0
    queries: int = 0

    def line(self, name: str) -> str:
        return (f"differential {name}: {self.queries} random queries (search, count, some "
                f"stream_read) over {self.record_sets} record sets, 0 divergences")


#: Stats of every differential test run in this process, by test name.
RUN_STATS: dict[str, DifferentialStats] = {}


def load(db: Any, records: Sequence[Record]) -> None:
    """Store deep copies of ``records`` (the adapter must not share the caller's objects)."""
    db.create_batch([Record(copy.deepcopy(r.data), copy.deepcopy(r.metadata), r.id)
                     for r in records])


def check_scenario(db: Any, scenario: Scenario,
                   reference_factory: Callable[[], Any] = MemoryDatabase) -> int:
    """Load ``scenario``'s records into ``db`` (after clearing it) and into a fresh
    reference, read every record back (``read_batch``), run every query on both
    (``search`` and ``count``; ``stream_read`` where the scenario says so) and raise
    AssertionError at the first divergence.

    Returns the number of queries checked."""
    db.clear()
    load(db, scenario.records)
    reference = reference_factory()
    load(reference, scenario.records)
    ids = [r.id or "" for r in scenario.records]
    read_back = db.read_batch(ids)
    if None in read_back:
        missing = [rid for rid, rec in zip(ids, read_back, strict=True) if rec is None]
        _diverged(db, scenario, None, f"read_batch lost records {missing}")
    problem = first_difference(reference.read_batch(ids), read_back)
    if problem is not None:
        _diverged(db, scenario, None, f"read_batch differs: {problem}")
    batches = scenario.stream_batches or [None] * len(scenario.queries)
    for query, batch in zip(scenario.queries, batches, strict=True):
        expected = reference.search(query.copy())
        problem = first_difference(expected, db.search(query.copy()))
        if problem is None:
            n_expected, n_got = reference.count(query.copy()), db.count(query.copy())
            if n_expected != n_got:
                problem = f"count differs: expected {n_expected}, got {n_got}"
        if problem is None and batch is not None:
            streamed = list(db.stream_read(query.copy(), StreamConfig(batch_size=batch)))
            difference = first_difference(expected, streamed)
            if difference is not None:
                problem = f"stream_read(batch_size={batch}) differs from search: {difference}"
        if problem is not None:
            _diverged(db, scenario, query, problem)
    return len(scenario.queries)


def _diverged(db: Any, scenario: Scenario, query: Query | None, problem: str) -> None:
    shown = ("" if query is None else
             f"query = Query.from_dict({pprint.pformat(query.to_dict(), width=100)})\n")
    raise AssertionError(
        f"{getattr(db, 'backend_name', type(db).__name__)} diverges from the reference.\n"
        f"records = {records_literal(scenario.records)}\n{shown}{problem}"
    )


class DifferentialSuite(_Base):
    """Random record sets and queries, compared with the memory reference.

    Subclass it and provide the ``database`` fixture (sync or async). Class attributes tune
    the generation: ``differential_examples`` (record sets per run; the environment variable
    ``DATAKNOBS_DIFFERENTIAL_EXAMPLES`` overrides it), ``max_records``, ``max_queries``
    (queries per record set), ``id_alphabet`` and ``excluded_characters`` (characters the
    backend cannot store in strings; say why where you set it)."""

    differential_examples: ClassVar[int] = 150
    max_records: ClassVar[int] = 40
    max_queries: ClassVar[int] = 12
    id_alphabet: ClassVar[str] = string.ascii_letters + string.digits + "-_"
    excluded_characters: ClassVar[str] = ""

    @classmethod
    def differential_settings(cls) -> settings:
        """Hypothesis settings: derandomized unless a seed is given, no deadline."""
        return suite_settings(cls.differential_examples, EXAMPLES_ENV, SEED_ENV, [
            HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
            HealthCheck.data_too_large, HealthCheck.filter_too_much,
            HealthCheck.large_base_example])

    def scenario_strategy(self, capabilities: Capabilities) -> st.SearchStrategy[Scenario]:
        """The scenarios this backend is checked with."""
        return scenarios(capabilities, self.max_records, self.max_queries, self.id_alphabet,
                         self.excluded_characters)

    def test_random_queries_match_reference(self, db: Any, request: pytest.FixtureRequest
                                            ) -> None:
        stats = DifferentialStats()

        @self.differential_settings()
        @given(self.scenario_strategy(db.capabilities))
        def run(scenario: Scenario) -> None:
            stats.queries += check_scenario(db, scenario)
            stats.record_sets += 1

        run_reported(request, "differential", SEED_ENV, RUN_STATS, stats, run)


__all__ = ["EXAMPLES_ENV", "RUN_STATS", "SEED_ENV", "DifferentialStats", "DifferentialSuite",
           "Scenario", "check_scenario", "first_difference", "queries", "record_sets",
           "records_literal", "same_value", "scenarios"]
