"""Source mode queries files in place: every answer is the one the reference pipeline gives
over all the files' records (read the way source mode read them before, all at open), for
random queries over Parquet, CSV and JSON files with and without an id column; the SQL
condition never drops a match and is exact when it says so; a selective filter brings few
rows into Python, and opening a large file brings none."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataknobs_data import Filter, MemoryDatabase, Operator, Query, Record
from dataknobs_data.adapters.duckdb import AsyncDuckDBDatabase, DuckDBDatabase
from dataknobs_data.adapters.duckdb.prefilter import column_target, compare, condition
from dataknobs_data.adapters.duckdb.source import SourceRows, _reader, _value
from dataknobs_data.domain.columnar import records_table
from dataknobs_data.domain.errors import ConfigurationError, QueryError, SerializationError
from dataknobs_data.domain.matcher import apply_query
from dataknobs_data.domain.query import And, Not, Or, SortOrder
from dataknobs_data.ports.streaming import StreamConfig
from dataknobs_data.testing.servers import require_module

duckdb = require_module("duckdb")

UTC2 = dt.timezone(dt.timedelta(hours=2))
POOLS: dict[str, list[Any]] = {
    "i": [None, -3, 0, 1, 2, 5, 2**53 + 1, -(2**62)],
    "u": [None, 0, 7, 2**63 + 5],
    "f": [None, float("nan"), float("inf"), float("-inf"), -0.0, 0.0, 1.5, 2.0, -7.25, 1e300,
          float(2**53)],
    "r": [None, 0.1, 1.5, -2.0],
    "s": [None, "", "a", "ab", "Ab", "é", "\U0001f600", "\uff5e", "a%b", "a_b", "x\\y", "None",
          "30", "a\nb"],
    "b": [None, True, False],
    # the ends of the range tie with DuckDB's infinities, which Python reads as them
    "d": [None, dt.date(2020, 1, 1), dt.date(2021, 6, 1), dt.date(1999, 12, 31),
          dt.date(9999, 12, 31)],
    "ts": [None, dt.datetime(2021, 6, 1, 12), dt.datetime(2021, 6, 1, 12, 0, 0, 1),
           dt.datetime(1999, 12, 31, 23, 59, 59), dt.datetime(1, 1, 1)],
    "tz": [None, dt.datetime(2021, 6, 1, 12, tzinfo=dt.UTC),
           dt.datetime(2021, 6, 1, 14, tzinfo=UTC2)],
    "dec": [None, "1.50", "2.00", "-3.25"],
    "st": [None, {"a": 1, "b": "x"}, {"a": None, "b": "y"}, {"a": 2, "b": None}],
    "l": [None, [], [1, 2], [1]],
    "t": [None, dt.time(1, 2, 3), dt.time(1, 2, 3, 500000)],
    "uid": [None, uuid.UUID(int=1), uuid.UUID(int=2**127)],
    "m": [None, {"k": 1}],
}
TYPES = {"i": "BIGINT", "u": "UBIGINT", "f": "DOUBLE", "r": "FLOAT", "s": "VARCHAR",
         "b": "BOOLEAN", "d": "DATE", "ts": "TIMESTAMP", "tz": "TIMESTAMPTZ",
         "dec": "DECIMAL(10,2)", "st": "STRUCT(a INTEGER, b VARCHAR)", "l": "INTEGER[]",
         "t": "TIME", "uid": "UUID", "m": "MAP(VARCHAR, INTEGER)"}
N = 60
IDS = [f"r{i:02d}" for i in range(N - 3)] + ["é1", "Z2", "a\U0001f600"]


def _table(conn: Any, with_id: bool) -> None:
    rng = random.Random(7)
    ids = list(IDS)
    rng.shuffle(ids)  # file order is not id order
    cols = (["id VARCHAR"] if with_id else []) + [f"{c} {t}" for c, t in TYPES.items()]
    conn.execute(f"CREATE OR REPLACE TABLE t ({', '.join(cols)})")
    rows = []
    for n in range(N):
        row = [rng.choice(POOLS[c]) for c in TYPES]
        rows.append(([ids[n]] if with_id else []) + row)
    marks = ", ".join("?" * len(cols))
    conn.executemany(f"INSERT INTO t VALUES ({marks})", rows)
    # DuckDB's infinities, which Python reads as the ends of the datetime range
    target = "id = ?" if with_id else "i IS NULL AND ? IS NOT NULL"
    conn.execute(f"UPDATE t SET d = DATE 'infinity', ts = TIMESTAMP '-infinity' WHERE {target}",
                 [ids[3]])


def _write(tmp: Path) -> dict[str, Path]:
    conn = duckdb.connect()
    paths = {}
    for with_id in (True, False):
        _table(conn, with_id)
        tag = "id" if with_id else "rows"
        for kind in ("parquet", "csv", "jsonl"):
            path = tmp / f"{tag}.{kind}"
            fmt = {"parquet": "(FORMAT parquet)", "csv": "(HEADER)", "jsonl": "(FORMAT json)"}
            conn.execute(f"COPY t TO '{path}' {fmt[kind]}")
            paths[f"{tag}.{kind}"] = path
    # a glob of three Parquet files without ids: row numbers run across the files
    _table(conn, False)
    for part, (lo, hi) in enumerate([(0, 25), (25, 25), (25, 60)]):
        conn.execute(f"COPY (SELECT * FROM t LIMIT {hi - lo} OFFSET {lo}) TO "
                     f"'{tmp / f'part{part}.parquet'}' (FORMAT parquet)")
    paths["glob"] = tmp / "part*.parquet"
    conn.close()
    return paths


def reference(source: Path, id_field: str | None = None) -> list[Record]:
    """The records as source mode loaded them before: every row read at open."""
    conn = duckdb.connect()
    try:
        text = str(source).replace("'", "''")
        cur = conn.execute(f"SELECT * FROM {_reader(str(source))}('{text}')")
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        conn.close()
    key = id_field if id_field is not None else ("id" if "id" in columns else None)
    width = len(str(max(len(rows) - 1, 0)))
    out = []
    for n, row in enumerate(rows):
        data = {c: _value(v, c) for c, v in zip(columns, row, strict=True)}
        out.append(Record.trusted(data, {}, id=f"{n:0{width}d}" if key is None else str(data[key])))
    return out


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _write(tmp_path_factory.mktemp("sources"))


KINDS = ["id.parquet", "id.csv", "id.jsonl", "rows.parquet", "rows.csv", "rows.jsonl", "glob"]

PATHS = [*TYPES, "id", "st.a", "st.b", "m.k", "s.x", "nope", "l.a"]
EXTRA = [0, 1, 1.5, -1, 2**53, 2**62, "a", "", "1", "r05", "r1", "Z", True, False,
         dt.datetime(2021, 6, 1, 12), dt.datetime(2021, 6, 1, 12, tzinfo=UTC2),
         dt.datetime(2020, 1, 1), dt.datetime(9999, 12, 31), [1, 2], {"a": 1, "b": "x"}]


def _operands(path: str) -> st.SearchStrategy[Any]:
    pool = [v for v in POOLS.get(path.split(".")[0], []) if v is not None]
    plain = []
    for v in pool:
        if isinstance(v, float) and not (v == v and abs(v) != float("inf")):
            continue
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            v = dt.datetime(v.year, v.month, v.day)
        elif isinstance(v, dt.time | uuid.UUID):
            v = str(v)
        elif isinstance(v, str) and path == "dec":
            v = float(v)
        plain.append(v)
    if path == "id":
        plain = [*IDS[:5], "00", "05", "59", "r99"]
    return st.sampled_from(plain + EXTRA) if plain else st.sampled_from(EXTRA)


@st.composite
def filters(draw: st.DrawFn) -> Filter:
    path = draw(st.sampled_from(PATHS))
    op = draw(st.sampled_from(list(Operator)))
    operand = _operands(path)
    if op in (Operator.IN, Operator.NOT_IN):
        value: Any = draw(st.lists(operand, max_size=3))
    elif op in (Operator.BETWEEN, Operator.NOT_BETWEEN):
        value = [draw(operand), draw(operand)]
    elif op in (Operator.LIKE, Operator.NOT_LIKE, Operator.ILIKE, Operator.STARTS_WITH,
                Operator.REGEX):
        value = draw(st.sampled_from(["a%", "a", "%b", "a\\%b", "a_b", "", "r0%", "r0_",
                                      "0%", "\U0001f600", "A%", "x\\", "é%"]))
    else:
        value = draw(operand)
    try:
        return Filter(path, op, value)
    except QueryError:
        return Filter(path, Operator.EXISTS)


@st.composite
def conditions(draw: st.DrawFn, depth: int = 2) -> Any:
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(filters())
    parts = draw(st.lists(conditions(depth - 1), min_size=0, max_size=3))
    which = draw(st.sampled_from(["and", "or", "not"]))
    if which == "not":
        return Not(parts[0] if parts else draw(filters()))
    return And(*parts) if which == "and" else Or(*parts)


@st.composite
def queries(draw: st.DrawFn) -> Query:
    query = Query(filters=draw(st.lists(conditions(), max_size=3)))
    for _ in range(draw(st.integers(0, 2))):
        query.sort(draw(st.sampled_from(PATHS)), draw(st.sampled_from(list(SortOrder))))
    if draw(st.booleans()):
        query.limit(draw(st.integers(0, 8)))
    if draw(st.booleans()):
        query.offset(draw(st.integers(0, 5)))
    if draw(st.integers(0, 3)) == 0:
        query.select(*draw(st.lists(st.sampled_from(PATHS), min_size=1, max_size=3)))
    return query


def _same(got: list[Record], want: list[Record]) -> None:
    assert [r.id for r in got] == [r.id for r in want]
    assert [r.data for r in got] == [r.data for r in want]


@pytest.mark.parametrize("kind", KINDS)
def test_answers_are_the_reference(files: dict[str, Path], kind: str) -> None:
    records = reference(files[kind])
    by_id = {r.id: r for r in records}
    checked = {"exact": 0, "matched": 0}
    with DuckDBDatabase(source=files[kind]) as db:
        rows = db._rows_cache
        assert rows is not None

        @settings(max_examples=150, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(query=queries(), probe=st.sampled_from([*by_id, "x", "None", "0", "r99"]))
        def check(query: Query, probe: str) -> None:
            want = apply_query(records, query)
            _same(db.search(query), want)
            _same(list(db.stream_read(query, StreamConfig(batch_size=3))), want)
            matched = apply_query(records, Query(filters=query.filters))
            assert db.count(query) == len(matched)
            # the SQL condition keeps every match, and exactly the matches when exact
            where, params, exact = rows.where(query)
            with db._cursor("check") as conn:
                kept = {r[0] for r in conn.execute(
                    f"SELECT {rows.id_text} FROM {rows.relation} WHERE {where}",
                    params).fetchall()}
            assert {r.id for r in matched} <= kept, (query, where)
            if exact:
                assert kept == {r.id for r in matched}, (query, where)
                checked["exact"] += 1
            checked["matched"] += bool(matched)
            found = db.read(probe)
            assert (found is None) == (probe not in by_id)
            assert found is None or found.data == by_id[probe].data
            assert db.exists(probe) == (probe in by_id)

        check()
    assert checked["exact"] >= 30 and checked["matched"] >= 30, checked


def test_all_reads_back_every_record_in_id_order(files: dict[str, Path]) -> None:
    query = Query().filter("i", Operator.GTE, 0).sort_by("s", "desc")
    for kind in KINDS:
        records = reference(files[kind])
        with DuckDBDatabase(source=files[kind]) as db:
            _same(db.all(), apply_query(records, Query()))
            assert db.to_arrow(query).to_pylist() == records_table(
                apply_query(records, query)).to_pylist()


def test_the_async_adapter_streams_from_its_own_cursor(files: dict[str, Path]) -> None:
    query = Query().filter("i", Operator.GTE, 0).sort_by("s").offset(1)

    async def run() -> tuple[list[Record], list[Record]]:
        db = AsyncDuckDBDatabase(source=files["rows.csv"], max_workers=2)
        await db.connect()
        try:
            streamed = [r async for r in db.stream_read(query, StreamConfig(batch_size=4))]
            return streamed, await db.search(query)
        finally:
            await db.close()

    streamed, searched = asyncio.run(run())
    want = apply_query(reference(files["rows.csv"]), query)
    _same(streamed, want)
    _same(searched, want)


def copy_to(path: Path, sql: str) -> Path:
    """The rows of ``sql`` written by DuckDB to ``path`` (Parquet, or CSV with a header)."""
    conn = duckdb.connect()
    conn.execute(f"COPY ({sql}) TO '{path}' "
                 f"{'(FORMAT parquet)' if path.suffix == '.parquet' else '(HEADER)'}")
    conn.close()
    return path


@pytest.mark.parametrize("sql", [
    # names that need quoting, a dotted one, and the names source mode's own columns take
    """SELECT i AS "x""); DROP TABLE t; --", i % 3 AS "a.b", i * 2 AS dk_row,
              i % 2 AS file_index, 'v' || i AS file_row_number FROM range(12) t(i)""",
    """SELECT i AS "Name", 'n' || i AS "NAME ", {'k"': i} AS "s""t" FROM range(12) t(i)""",
])
def test_hostile_column_names(tmp_path: Path, sql: str) -> None:
    for suffix in ("parquet", "csv"):
        path = copy_to(tmp_path / f"h.{suffix}", sql)
        records = reference(path)
        with DuckDBDatabase(source=path) as db:
            for column in records[0].data:
                for query in (Query().filter(column, Operator.GTE, 3).sort_by(column, "desc"),
                              Query().filter(column, Operator.EQ, "v3").select(column),
                              Query().filter(f"{column}.k\"", Operator.EXISTS)):
                    _same(db.search(query), apply_query(records, query))
                    assert db.count(query) == len(apply_query(
                        records, Query(filters=query.filters)))
            assert db.read("07") == records[7]


@pytest.mark.parametrize(("typ", "values", "probes"), [
    ("BIGINT", [5, -3, 10, None], ["5", "-3", "10", "None", "05", "+5", "-0", "x"]),
    ("UTINYINT", [0, 255], ["0", "255", "256", "-1"]),
    ("UUID", [uuid.UUID(int=7), uuid.UUID(int=2**100)], [str(uuid.UUID(int=7)), "x"]),
    ("DOUBLE", [1.5, -0.0, 1e16, float("nan")], ["1.5", "-0.0", "1e+16", "None", "nan"]),
    ("DATE", [dt.date(2020, 1, 2), None], ["2020-01-02 00:00:00", "None", "2020-01-02"]),
    ("BOOLEAN", [True, False], ["True", "False", "true"]),
    ("STRUCT(a INTEGER)", [{"a": 1}, {"a": 2}], ["{'a': 1}", "{'a': 3}"]),
])
def test_ids_of_every_type(tmp_path: Path, typ: str, values: list[Any], probes: list[str]
                           ) -> None:
    """The id is the column's converted value as text, whatever its type (SQL's own text
    where it is Python's, else a function of the converted value)."""
    path = tmp_path / "ids.parquet"
    conn = duckdb.connect()
    conn.execute(f"CREATE TABLE t (k {typ}, v INTEGER)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [[k, n] for n, k in enumerate(values)])
    conn.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    conn.close()
    records = reference(path, "k")
    ids = {r.id for r in records}
    with DuckDBDatabase(source=path, id_field="k") as db:
        _same(db.all(), apply_query(records, Query()))
        for probe in [*ids, *probes]:
            assert db.exists(probe) == (probe in ids), probe
            found = db.read(probe)
            assert (found is not None) == (probe in ids), probe
        for query in (Query().sort_by("id", "desc"), Query().filter("id", Operator.GT, "1"),
                      Query().filter("id", Operator.IN, sorted(ids)[:1]).limit(1)):
            _same(db.search(query), apply_query(records, query))
            assert db.count(query) == len(apply_query(records, Query(filters=query.filters)))


def _parquet(path: Path, sql: str) -> Path:
    conn = duckdb.connect()
    conn.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")
    conn.close()
    return path


@pytest.mark.parametrize(("rows", "named"), [
    ("SELECT * FROM (VALUES ('a', 1), ('b', 2), ('c', 3), ('b', 4), ('a', 5)) t(id, v)", "b"),
    ("SELECT * FROM (VALUES (NULL, 1), ('x', 2), ('None', 3)) t(id, v)", "None"),
    ("SELECT * FROM (VALUES (7, 1), (8, 2), (8, 3)) t(id, v)", "8"),
])
def test_a_repeated_id_is_named(tmp_path: Path, rows: str, named: str) -> None:
    for suffix in ("parquet", "csv"):
        path = copy_to(tmp_path / f"dup.{suffix}", rows)
        with pytest.raises(ConfigurationError,
                           match=f"id '{named}' appears twice in column 'id'"):
            DuckDBDatabase(source=path).count()


def test_a_blob_column_is_refused_when_the_source_opens(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "b.parquet", "SELECT 1 AS v, 'x'::BLOB AS payload")
    with pytest.raises(SerializationError, match="payload"):
        DuckDBDatabase(source=path).count()


def test_columns_duckdb_renames_read_as_renamed(tmp_path: Path) -> None:
    """DuckDB's readers rename a repeated name (ignoring case): ``name`` reads as ``name_1``."""
    path = tmp_path / "case.csv"
    path.write_text("Name,name,v\nA,a,1\nB,b,2\n")
    records = reference(path)
    assert list(records[0].data) == ["Name", "name_1", "v"]
    with DuckDBDatabase(source=path) as db:
        for query in (Query(), Query().filter("v", Operator.EQ, 2),
                      Query().filter("name_1", Operator.EQ, "b"),
                      Query().sort_by("v", "desc").select("v")):
            _same(db.search(query), apply_query(records, query))


def _spy(monkeypatch: pytest.MonkeyPatch, columns: list[list[str]] | None = None
         ) -> list[int]:
    """How many rows each conversion from DuckDB into records handles (and, into
    ``columns``, which columns)."""
    seen: list[int] = []
    convert = SourceRows._converted

    def counting(self: SourceRows, rows: list[Any], names: list[str]) -> Any:
        seen.append(len(rows))
        if columns is not None:
            columns.append(list(names))
        return convert(self, rows, names)

    monkeypatch.setattr(SourceRows, "_converted", counting)
    return seen


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large") / "events.parquet"
    return _parquet(path, "SELECT 'e' || lpad(i::VARCHAR, 6, '0') AS id, i % 1000 AS kind, "
                          "(i * 7919) % 100003 * 0.5::DOUBLE AS score, 'user ' || i AS name "
                          "FROM range(300000) t(i)")


def test_a_selective_filter_brings_few_rows_into_python(
        large: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _spy(monkeypatch)
    with DuckDBDatabase(source=large) as db:
        assert db.count(Query().filter("kind", Operator.EQ, 7)) == 300
        assert seen == []  # an exact condition: counted in SQL
        hits = db.search(Query().filter("kind", Operator.EQ, 7).filter("name", "like", "user 1%"))
        assert len(hits) == 111 and sum(seen) == 111
        seen.clear()
        top = db.search(Query().filter("kind", Operator.BETWEEN, [10, 20])
                        .sort_by("score", "desc").limit(5))
        assert sum(seen) == 5 and len(top) == 5
        assert [r["score"] for r in top] == sorted((r["score"] for r in db.search(
            Query().filter("kind", Operator.BETWEEN, [10, 20]).select("score"))), reverse=True)[:5]
        seen.clear()
        assert db.read("e123456")["kind"] == 456 and sum(seen) == 1
        # a filter SQL cannot decide (ILIKE) is checked in Python over the rows the rest keeps
        seen.clear()
        assert db.count(Query().filter("kind", Operator.EQ, 3).filter("name", "ilike", "USER 3")
                        ) == 1
        assert sum(seen) == 300
    with DuckDBDatabase(source=large) as db, db._cursor("explain") as conn:
        where, params, exact = db._rows_cache.where(Query().filter("id", Operator.EQ, "e000042"))
        plan = conn.execute(f"EXPLAIN ANALYZE SELECT * FROM {db._rows_cache.relation} "
                            f"WHERE {where}", params).fetchall()[0][1]
        assert exact and "Row Groups Scanned: 1 / 3" in plan  # the file's statistics


def test_a_vector_search_reads_the_filters_rows_and_vectors_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _parquet(tmp_path / "v.parquet",
                    "SELECT 'd' || lpad(i::VARCHAR, 4, '0') AS id, i % 10 AS kind, "
                    "[sin(i), cos(i), (i % 5)::DOUBLE] AS embedding, 'x' || i AS other "
                    "FROM range(2000) t(i)")
    reference_db = MemoryDatabase()
    reference_db.create_batch(reference(path))
    columns: list[list[str]] = []
    seen = _spy(monkeypatch, columns)
    flt = Query().filter("kind", Operator.EQ, 3)
    with DuckDBDatabase(source=path) as db:
        for metric in ("cosine", "euclidean", "dot_product"):
            seen.clear()
            columns.clear()
            got = db.vector_search([0.2, -0.4, 1.0], k=5, metric=metric, filter=flt)
            want = reference_db.vector_search([0.2, -0.4, 1.0], k=5, metric=metric, filter=flt)
            assert [(h.record.id, h.score, h.record.data) for h in got] == [
                (h.record.id, h.score, h.record.data) for h in want]
            # the filter's 200 rows (their kind and vector only), then the 5 winners in full
            assert sum(seen) == 205 and columns[0] == ["kind", "embedding"], (seen, columns)


def test_opening_a_large_file_reads_no_row(large: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    seen = _spy(monkeypatch)
    tracemalloc.start()
    try:
        db = DuckDBDatabase(source=large)
        db.connect()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    try:
        assert seen == [] and peak < 2_000_000, peak  # 300,000 records would be ~100 MB
        assert db.count() == 300_000
        assert [r.id for r in db.search(Query().limit(2))] == ["e000000", "e000001"]
    finally:
        db.close()


@pytest.mark.parametrize(("typ", "flt", "exact"), [
    ("BIGINT", Filter("v", Operator.GT, 3), True),
    ("BIGINT", Filter("v", Operator.GT, 2.5), False),      # through a double
    ("BIGINT", Filter("v", Operator.EQ, "3"), True),       # a string never equals a number
    ("DOUBLE", Filter("v", Operator.LTE, 2**53), True),
    ("DOUBLE", Filter("v", Operator.LT, 2**60), False),    # rounds to a double
    ("VARCHAR", Filter("v", Operator.BETWEEN, ["a", "b"]), True),
    ("VARCHAR", Filter("v", Operator.LIKE, "a%"), True),
    ("VARCHAR", Filter("v", Operator.LIKE, "a%b"), False),  # its prefix only
    ("VARCHAR", Filter("v", Operator.NEQ, "a"), True),
    ("DATE", Filter("v", Operator.GTE, dt.datetime(2020, 1, 1, tzinfo=UTC2)), True),
    ("TIMESTAMP", Filter("v", Operator.EQ, dt.datetime(9999, 12, 31, 12)), None),  # the ends
    ("DECIMAL(10,2)", Filter("v", Operator.EQ, 1.5), None),  # float(value): left to Python
    ("VARCHAR", Filter("v", Operator.REGEX, "a"), None),
    ("BIGINT", Filter("v", Operator.REGEX, "a"), True),     # false for every number
    ("DOUBLE", Filter("v", Operator.NOT_EXISTS), True),     # NaN reads as null
])
def test_which_column_filters_are_exact(typ: str, flt: Filter, exact: bool | None) -> None:
    target = column_target('"v"', _type(typ))
    pushed = condition(flt, lambda _: target)
    assert (None if pushed is None else pushed[2]) is exact


def test_json_conditions_are_unchanged() -> None:
    """Table mode's conditions go through the same rules (``compare``) as source mode's."""
    from dataknobs_data.adapters.duckdb.prefilter import data_condition
    at = "(dk_text, '$.\"$object\".\"$a\"')"  # a key with "$" is inside a wrapper
    assert data_condition(Filter("$a", Operator.GT, 3)) == (
        f"TRY_CAST(json_extract{at} AS DOUBLE) >= ?", [3.0])
    assert data_condition(Filter("$a", Operator.IN, ["x", "y"])) == (
        f"json_extract_string{at} IN (?, ?)", ["x", "y"])
    assert data_condition(Filter("$a", Operator.STARTS_WITH, "x")) == (
        f"starts_with(json_extract_string{at}, ?)", ["x"])
    assert data_condition(Filter("$a", Operator.IN, ["x", 1])) is None
    assert data_condition(Filter("$a", Operator.IN, [])) == ("FALSE", [])  # matches nothing
    assert compare(Operator.EQ, "x", column_target('"v"', _type("INTEGER"))) == ("FALSE", [], True)


def _type(name: str) -> Any:
    conn = duckdb.connect()
    cur = conn.execute(f"SELECT NULL::{name} AS v")
    typ = cur.description[0][1]
    cur.fetchall()
    conn.close()
    return typ
