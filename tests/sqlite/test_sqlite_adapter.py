"""What the SQLite adapter does beyond the shared suites: its file and table, its pushdown
(which conditions run as plain SQL, which indexes answer them), WAL and several processes on
one file, and its errors."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data import Operator, Query, Record, database_factory
from dataknobs_data.adapters.sqlite import AsyncSQLiteDatabase, SQLiteDatabase
from dataknobs_data.adapters.sqlite.translator import (
    index_columns,
    kind_expression,
    like_glob,
    order_by,
    value_expression,
    where_clause,
)
from dataknobs_data.domain.errors import (
    BatchOperationError,
    ConfigurationError,
    OperationalError,
    RecordExistsError,
    SerializationError,
    StorageError,
)
from dataknobs_data.domain.matcher import matches
from dataknobs_data.testing.servers import in_ci


def test_the_constructor_does_no_io(tmp_path: Path) -> None:
    db = SQLiteDatabase(path=tmp_path / "lazy.db")
    assert not (tmp_path / "lazy.db").exists()
    db.connect()
    assert (tmp_path / "lazy.db").exists()
    db.close()


def test_registered_as_sqlite(tmp_path: Path) -> None:
    db = database_factory.create("sqlite", path=str(tmp_path / "r.db"))
    adb = database_factory.create("sqlite", use_async=True, path=str(tmp_path / "r.db"))
    assert isinstance(db, SQLiteDatabase) and isinstance(adb, AsyncSQLiteDatabase)
    with pytest.raises(ConfigurationError, match="pth"):
        database_factory.create("sqlite", pth="x.db")


def test_rows_are_the_documented_table_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    with SQLiteDatabase(path=path, table="people") as db:
        db.create(Record({"name": "Ada", "$k": 1}, id="a\x00\ud800"))
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        columns = [row[1] for row in raw.execute('PRAGMA table_info("people")')]
        assert columns == ["id", "version", "data", "metadata"]
        rid, data = raw.execute('SELECT id, data FROM "people"').fetchone()
        assert rid == "a\x00\ud800".encode("utf-8", "surrogatepass")
        assert data.isascii()
    finally:
        raw.close()


@pytest.mark.parametrize("query", [
    Query().filter("age", Operator.GTE, 30),
    Query().filter("team.name", Operator.EQ, "core"),
    Query().filter("tag", Operator.IN, ["a", 1, True]),
    Query().filter("v", Operator.NOT_EXISTS).filter("id", Operator.LT, "m"),
    Query().filter("$k.x", Operator.NEQ, 2.5),
    Query().filter("name", Operator.BETWEEN, ["B", "D\x00"]),
    Query().filter("when", Operator.GT, datetime(2020, 1, 1)),
    Query().filter("when", Operator.IN, [datetime(2020, 1, 1, tzinfo=UTC), 3, "x"]),
    Query().filter("name", Operator.ILIKE, "a%"),
    Query().filter("name", Operator.REGEX, "^a[bc]+$"),
    Query().filter("$k.x", Operator.LIKE, "a_"),
])
def test_these_conditions_are_plain_sql(query: Query) -> None:
    sql, _ = where_clause(query)
    assert "dk_match" not in sql


@pytest.mark.parametrize("query", [
    Query().filter("when", Operator.EQ, [datetime(2020, 1, 1)]),
    Query().filter('we"ird', Operator.REGEX, "a"),
    Query().filter('we"ird', Operator.EQ, 1),
])
def test_these_conditions_run_the_reference_matcher(query: Query) -> None:
    sql, _ = where_clause(query)
    assert "dk_match" in sql


def _plan(db: SQLiteDatabase, query: Query) -> str:
    where, params = where_clause(query)
    with db._cursor("explain") as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN SELECT id FROM {db._table_sql} "
                            f"WHERE ({where})", params).fetchall()
    return " ".join(str(row[-1]) for row in rows)


def test_indexed_paths_answer_equality_in_and_ranges(tmp_path: Path) -> None:
    with SQLiteDatabase(path=tmp_path / "i.db", indexes=["team.name", "age"]) as db:
        db.create_batch([Record({"team": {"name": f"t{i % 7}"}, "age": i}, id=f"r{i:03d}")
                         for i in range(200)])
        for query in (Query().filter("team.name", Operator.EQ, "t3"),
                      Query().filter("age", Operator.BETWEEN, [10, 20]),
                      Query().filter("team.name", Operator.IN, ["t1", "t2"])):
            assert "USING INDEX" in _plan(db, query), query
        assert "USING INDEX" not in _plan(db, Query().filter("team.name", Operator.LIKE, "t%"))
        assert db.count(Query().filter("team.name", Operator.EQ, "t3")) == 29
        assert [r.id for r in db.search(Query().filter("age", Operator.BETWEEN, [10, 12]))] \
            == ["r010", "r011", "r012"]


def test_an_index_holds_the_kind_so_counts_never_read_the_rows(tmp_path: Path) -> None:
    # the filter's kind test (a boolean is not a number) is the index's second column, and
    # the table has rowids, so SQLite answers it from the index entries alone
    path = tmp_path / "kinds.db"
    with SQLiteDatabase(path=path, indexes=["age"]) as db:
        db.create_batch([Record({"age": v}, id=f"r{i}") for i, v in
                         enumerate([1, 2.5, True, False, "3", None, 7, [8]])])
        assert db.count(Query().filter("age", Operator.GTE, 1)) == 3  # not True, not "3"
        assert db.count(Query().filter("age", Operator.EQ, 1)) == 1
    raw = sqlite3.connect(path)
    try:
        (table,), = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'records'")
        (index,), = raw.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'records index age'")
        assert "WITHOUT ROWID" not in table
        assert index.endswith(f"({index_columns('age')})")
        # the count's program touches the table's cursor only to open it and to defer a
        # seek it never needs: every value it tests comes from the index entries
        where, params = where_clause(Query().filter("age", Operator.GTE, 1))
        roots = dict(raw.execute("SELECT rootpage, name FROM sqlite_master"))
        program = raw.execute(f'EXPLAIN SELECT count(*) FROM "records" WHERE {where}',
                              params).fetchall()
        cursors = {row[2]: roots[row[3]] for row in program if row[1] == "OpenRead"}
        reads = {"Column", "Rowid", "SeekRowid", "NotExists", "NotFound", "Found", "Rewind",
                 "Next", "SeekGE", "SeekGT", "SeekLE", "SeekLT"}
        by = {name: {row[1] for row in program if row[1] in reads
                     and cursors.get(row[2]) == name} for name in cursors.values()}
        assert by["records"] == set(), by
        assert {"Column", "SeekGE", "Next"} <= by["records index age"], by
    finally:
        raw.close()


def _reads(program: list[tuple[Any, ...]], roots: dict[int, str]) -> dict[str, list[int]]:
    """The addresses of the ops that read through each cursor of an ``EXPLAIN`` program, by
    the table or index the cursor opens."""
    cursors = {row[2]: roots[row[3]] for row in program if row[1] == "OpenRead"}
    reads = {"Column", "Rowid", "SeekRowid", "NotExists", "NotFound", "Found", "Rewind",
             "Next", "SeekGE", "SeekGT", "SeekLE", "SeekLT", "IdxGT", "IdxGE", "IdxLT"}
    by: dict[str, list[int]] = {name: [] for name in cursors.values()}
    for row in program:
        if row[1] in reads and row[2] in cursors:
            by[cursors[row[2]]].append(row[0])
    return by


def test_a_string_equality_is_counted_from_the_index_rows_with_nul_aside(tmp_path: Path
                                                                         ) -> None:
    # json_extract stops a string at U+0000, so the index's third column flags rows whose
    # JSON holds one: only those are read, to compare the string's JSON text
    path = tmp_path / "nul.db"
    values = ["core", "core\x00x", "core\x00", "ui", "core", 1, True, None, ["core"],
              {"$k": "core"}, "\\u0000", "Core"]
    records = [Record({"team": v, "o": {"$w": 1, "team": v}}, id=f"r{i:02d}")
               for i, v in enumerate(values)]
    with SQLiteDatabase(path=path, indexes=["team", "o.team"]) as db, \
            database_factory.create("memory") as reference:
        db.create_batch(records)
        reference.create_batch(records)
        for field in ("team", "o.team"):
            for op, x in ((Operator.EQ, "core"), (Operator.IN, ["core", "ui", "nope"]),
                          (Operator.EQ, "core\x00"), (Operator.EQ, "\\u0000"),
                          (Operator.NEQ, "core"), (Operator.NOT_IN, ["core", "\x00"]),
                          (Operator.IN, ["core", "core\x00x"])):
                q = Query().filter(field, op, x)
                assert db.count(q) == reference.count(q), q
                assert [r.id for r in db.search(q)] == [r.id for r in reference.search(q)]
    raw = sqlite3.connect(path)
    try:
        roots = dict(raw.execute("SELECT rootpage, name FROM sqlite_master"))
        where, params = where_clause(Query().filter("team", Operator.EQ, "core"))
        program = raw.execute(f'EXPLAIN SELECT count(*) FROM "records" WHERE {where}',
                              params).fetchall()
        by = _reads(program, roots)
        index = by["records index team"]
        assert {program[a][1] for a in index} >= {"SeekGE", "Column", "Next"}
        # the flag is the index's column 2; the test right after it jumps to the branch
        # that reads the row, and every read of the table lies in that branch
        flag = next(a for a in index if program[a][1] == "Column" and program[a][3] == 2)
        test = program[flag + 1]  # (address, op, p1, p2 = jump, p3, ...)
        assert test[1] == "Ne" and test[4] == program[flag][4], test
        else_at = test[3]
        after = next(row[3] for row in program[flag:else_at] if row[1] == "Goto")
        table = by["records"]
        assert table and all(else_at <= a < after for a in table), (table, else_at, after)
        assert {program[a][1] for a in table} == {"Column"}  # never scanned or sought
    finally:
        raw.close()


def test_counts_with_several_indexed_filters_probe_the_other_indexes(tmp_path: Path) -> None:
    # each indexed filter's rowids come from its own index; many matches everywhere: one
    # index drives, the others' rowid sets are probed, no row read; one filter matching few:
    # only its rows are read
    records = [Record({"age": i % 50, "team": f"t{i % 4}", "n": i % 7, "city": "ab"[i % 2]},
                      id=f"r{i:04d}") for i in range(400)]
    records += [Record({"age": True, "team": "t1\x00", "n": 1.0}, id="x1"),
                Record({"age": "3", "team": 1, "n": False}, id="x2"), Record({}, id="x3")]
    queries = [Query().filter("team", Operator.EQ, "t1").filter("age", Operator.LT, 30),
               Query().filter("age", Operator.GTE, 45).filter("team", Operator.IN, ["t1", "t2"]),
               Query().filter("age", Operator.EQ, 1).filter("team", Operator.EQ, "t1")
               .filter("city", Operator.EQ, "b"),
               Query().filter("age", Operator.LT, 30).filter("n", Operator.IN, [1, 2])
               .filter("team", Operator.EQ, "t1"),
               Query().filter("age", Operator.BETWEEN, [0, 1]).filter("team", Operator.EQ,
                                                                       "t1\x00"),
               Query().filter("team", Operator.NEQ, "t0").filter("age", Operator.LT, 2)]
    path = tmp_path / "and.db"
    with SQLiteDatabase(path=path, indexes=["age", "team", "n"]) as db, \
            database_factory.create("memory") as reference:
        db.create_batch(records)
        reference.create_batch(records)
        shapes = set()
        for probe in (0, 1_000_000):  # 0: never selective (probe the sets); huge: always
            db.PROBE_ROWS = probe
            for i, q in enumerate(queries):
                with db._cursor("explain") as conn:
                    where, params = where_clause(q)
                    base = f"SELECT count(*) FROM {db._table_sql} WHERE ({where})"
                    sql, values = db._indexed_count(conn, q, base, params)
                    plan = [str(row[-1]) for row in conn.execute(
                        f"EXPLAIN QUERY PLAN {sql}", values)]
                # a string holding U+0000, a NEQ: no index term, so SQLite's plan
                assert (sql == base) is (i >= 4), (i, sql)
                if sql != base:
                    assert plan[0].startswith("SEARCH records USING INDEX"), plan
                    lists = sum(p.startswith("LIST SUBQUERY") for p in plan)
                    assert lists == (0 if probe else len(q.filters) - 1 - (i == 2)), plan
                    shapes.add(lists > 0)
                assert db.count(q) == reference.count(q), (probe, q)
        assert shapes == {True, False}
        db.PROBE_ROWS = 0
        q = Query().filter("age", Operator.LT, 30).filter("n", Operator.IN, [1, 2])
        with db._cursor("explain") as conn:
            sql, values = db._indexed_count(conn, q, "", [])
            program = conn.execute(f"EXPLAIN {sql}", values).fetchall()
            roots = dict(conn.execute("SELECT rootpage, name FROM sqlite_master"))
        by = _reads(program, roots)
        assert by["records"] == [], by  # two number filters: no row read at all
        assert by["records index age"] and by["records index n"], by
        assert db.count(q) == reference.count(q) == 69


def test_a_file_of_the_earlier_layout_keeps_working(tmp_path: Path) -> None:
    # stores made before the rowid layout: WITHOUT ROWID, one-column indexes
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.execute('CREATE TABLE "records" (id BLOB PRIMARY KEY NOT NULL, version TEXT NOT '
                'NULL, data TEXT NOT NULL, metadata TEXT NOT NULL) WITHOUT ROWID')
    raw.execute(f'CREATE INDEX "records index age" ON "records" ({value_expression("age")})')
    # and the layout before the NUL flag: value and kind
    raw.execute(f'CREATE INDEX "records index team" ON "records" ({value_expression("team")}, '
                f'{kind_expression("team")})')
    raw.commit()
    raw.close()
    with SQLiteDatabase(path=path, indexes=["age"]) as db:
        db.create_batch([Record({"age": i, "team": "ab"[i % 2] + "\x00" * (i % 3 == 0)},
                                id=f"r{i:02d}") for i in range(20)])
        assert db.indexed_paths() == ["age", "team"]
        assert "USING INDEX" in _plan(db, Query().filter("age", Operator.GTE, 15))
        assert [r.id for r in db.search(Query().filter("age", Operator.GTE, 17))] == \
            ["r17", "r18", "r19"]
        both = Query().filter("age", Operator.LT, 10).filter("team", Operator.EQ, "a")
        assert db.count(both) == 3  # r02 r04 r08: the old indexes answer, the rows decide
        db.update("r01", Record({"age": 100}))
        assert db.read("r01")["age"] == 100
        db.create_index("age")  # rebuilds the one-column index in the current layout
        db.create_index("team")  # and the two-column one
        assert db.indexed_paths() == ["age", "team"]
        assert [r.id for r in db.search(Query().filter("age", Operator.GTE, 17))] == \
            ["r01", "r17", "r18", "r19"]
        assert db.count(both) == 3
    raw = sqlite3.connect(path)
    try:
        for path_name in ("age", "team"):
            (index,), = raw.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                                    (f"records index {path_name}",))
            assert index.endswith(f"({index_columns(path_name)})")
    finally:
        raw.close()


def test_create_index_lasts_in_the_file_for_later_handles(tmp_path: Path) -> None:
    path = tmp_path / "later.db"
    with SQLiteDatabase(path=path) as db:
        db.create_batch([Record({"age": i, "odd key": str(i)}, id=f"r{i:03d}")
                         for i in range(50)])
        assert db.indexed_paths() == []
        assert "USING INDEX" not in _plan(db, Query().filter("age", Operator.GTE, 40))
        db.create_index("age")
        db.create_index("odd key")
        db.create_index("age")  # already there: nothing to do
    with SQLiteDatabase(path=path) as again:  # no indexes option: the file has them
        assert again.indexed_paths() == ["age", "odd key"]
        assert "USING INDEX" in _plan(again, Query().filter("age", Operator.GTE, 40))
        assert again.count(Query().filter("age", Operator.GTE, 40)) == 10
    with SQLiteDatabase(path=path, table="other") as other:
        assert other.indexed_paths() == []
        with pytest.raises(ConfigurationError, match="cannot index"):
            other.create_index('we"ird')


def test_opening_an_indexed_file_takes_no_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    with SQLiteDatabase(path=path, indexes=["age"]) as db:
        db.create_batch([Record({"age": i}, id=f"r{i}") for i in range(10)])
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        with SQLiteDatabase(path=path, indexes=["age"], timeout=0) as reader:
            assert reader.count(Query().filter("age", Operator.GTE, 5)) == 5
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_an_index_path_sqlite_cannot_name_is_refused_up_front() -> None:
    with pytest.raises(ConfigurationError, match="cannot index"):
        SQLiteDatabase(path=":memory:", indexes=['we"ird'])


_WRITER = """
import sys
from dataknobs_data import Record
from dataknobs_data.adapters.sqlite import SQLiteDatabase
path, name = sys.argv[1], sys.argv[2]
with SQLiteDatabase(path=path) as db:
    for i in range(50):
        db.create(Record({"writer": name, "i": i}, id=f"{name}-{i:02d}"))
    db.create_batch([Record({"writer": name}, id=f"{name}-batch-{i}") for i in range(50)])
"""


def test_several_processes_write_one_file(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    SQLiteDatabase(path=path).connect()
    children = [subprocess.Popen([sys.executable, "-c", _WRITER, path, f"w{n}"])
                for n in range(3)]
    assert [child.wait() for child in children] == [0, 0, 0]
    with SQLiteDatabase(path=path) as db:
        assert db.count() == 300
        assert db.count(Query().filter("writer", Operator.EQ, "w1")) == 100


def test_a_write_while_another_connection_writes_is_an_operational_error(tmp_path: Path
                                                                         ) -> None:
    path = tmp_path / "busy.db"
    holder = SQLiteDatabase(path=path, timeout=0)
    waiter = SQLiteDatabase(path=path, timeout=0)
    with holder.transaction():
        holder.create(Record({"v": 1}, id="a"))
        with pytest.raises(OperationalError, match="locked"):
            waiter.create(Record({"v": 2}, id="b"))
    assert waiter.read("a") is not None and waiter.read("b") is None
    holder.close()
    waiter.close()


def test_a_split_surrogate_pair_is_refused_naming_the_path(tmp_path: Path) -> None:
    # two lone surrogates that would pair: ASCII JSON writes them as it writes U+1F600
    split = "\ud83d\ude00"
    with SQLiteDatabase(path=tmp_path / "p.db") as db:
        with pytest.raises(SerializationError, match=r"record 'a': data\.t\.k\[1\]"):
            db.create(Record({"t": {"k": ["x", split]}}, id="a"))
        with pytest.raises(BatchOperationError) as info:
            db.create_batch([Record({"ok": 1}, id="b"),
                             Record({"v": 1}, metadata={split: 1}, id="c")])
        assert list(info.value.failed) == [1]
        assert db.count() == 0
        db.create(Record({"v": "\U0001f600", "w": "\ud83d"}, id="d"))  # both kept exactly
        assert db.read("d") is not None and db.read("d")["w"] == "\ud83d"
        # an operand holding a split pair is answered in Python: it matches nothing stored
        assert db.search(Query().filter("v", Operator.EQ, split)) == []
        assert db.count(Query().filter("v", Operator.NEQ, split)) == 1
        assert [r.id for r in db.search(Query().filter("w", Operator.EQ, "\ud83d"))] == ["d"]


def test_a_refused_batch_names_every_failure_and_writes_nothing(tmp_path: Path) -> None:
    # the rows reach executemany one by one: a taken id stops it, and the records after it
    # are still checked, so each failure is named whatever comes first
    split = "\ud83d\ude00"
    with SQLiteDatabase(path=tmp_path / "b.db") as db:
        db.create(Record({"v": 0}, id="taken"))
        for batch, failures in (
                (["a", "taken", "split", "d"], {1: RecordExistsError, 2: SerializationError}),
                (["split", "a", "taken"], {0: SerializationError, 2: RecordExistsError}),
                (["a", "taken"], {1: RecordExistsError})):
            records = [Record({"v": split if rid == "split" else 1}, id=rid) for rid in batch]
            with pytest.raises(BatchOperationError) as info:
                db.create_batch(records)
            assert {i: type(e) for i, e in info.value.failed.items()} == failures
            assert info.value.succeeded == {}
            assert [r.id for r in db.search(Query())] == ["taken"]
        with db.transaction():  # inside a block: the block's earlier write stays
            db.create(Record({"v": 2}, id="kept"))
            with pytest.raises(BatchOperationError):
                db.create_batch([Record({"v": 3}, id="b"), Record({"v": 4}, id="taken")])
        assert [r.id for r in db.search(Query())] == ["kept", "taken"]
        assert db.create_batch([Record({"v": 5}, id="e")]) == ["e"]
        assert db.count() == 3


def test_sorts_and_comparisons_run_in_sql_with_the_reference_answers(tmp_path: Path) -> None:
    # one field holding every kind, strings with NUL and lone surrogates, datetimes with
    # offsets and naive ones (read as UTC), and a key inside a $-wrapped object
    values = {"n": None, "t": True, "f": False, "i": 2**62 + 1, "x": 2.0**62, "s": "a\x00b",
              "u": "a\ud800", "v": "a", "w": "\U0001f600",
              "d1": datetime(2021, 6, 1, 14, tzinfo=timezone(timedelta(hours=2))),
              "d2": datetime(2021, 6, 1, 12, 30), "d3": datetime(2021, 6, 1, 11, tzinfo=UTC),
              "l": [1], "o": {"k": 1}}
    records = [Record({"o": {"$w": 1, "v": v}}, id=k) for k, v in values.items()]
    records.append(Record({}, id="m"))
    query = Query().sort_by("o.v", "desc").limit(11)
    assert order_by(query) is not None and "dk_match" not in order_by(query)
    with SQLiteDatabase(path=tmp_path / "s.db") as db:
        db.create_batch(records)
        with database_factory.create("memory") as reference:
            reference.create_batch(records)
            noon = datetime(2021, 6, 1, 12, 30, tzinfo=UTC)
            for q in (query, Query().sort_by("o.v"), Query().sort_by("o.v").offset(3),
                      Query().filter("o.v", Operator.GT, noon.replace(tzinfo=None)),
                      Query().filter("o.v", Operator.IN, [noon, 1, "a"]),
                      Query().filter("o.v", Operator.NOT_BETWEEN, [noon, noon]),
                      Query().filter("o.v", Operator.LT, "a\ud800").sort_by("o.v")):
                assert [r.id for r in db.search(q)] == [r.id for r in reference.search(q)]


@pytest.mark.parametrize(("pattern", "glob"), [
    ("50\\%", "50%"), ("a\\_b", "a_b"), ("%\\\\%", "*\\*"), ("x\\", "x\\"),
    ("[a]*", "[[]a][*]"), ("a_c%", "a?c*"), ("\\a", "a"),
])
def test_like_patterns_become_glob_patterns(pattern: str, glob: str) -> None:
    assert like_glob(pattern) == glob


def test_like_and_starts_with_on_strings_sqlite_functions_stop_in(tmp_path: Path) -> None:
    with SQLiteDatabase(path=tmp_path / "g.db") as db:
        db.create_batch([Record({"v": "ab\x00cd"}, id="nul"), Record({"v": "abXcd"}, id="x"),
                         Record({"v": "a\ud800b"}, id="sur"), Record({"v": 5}, id="n")])
        assert [r.id for r in db.search(Query().filter("v", Operator.LIKE, "ab_cd"))] == [
            "nul", "x"]
        assert [r.id for r in db.search(Query().filter("v", Operator.LIKE, "a_b"))] == ["sur"]
        assert [r.id for r in db.search(Query().filter("v", Operator.STARTS_WITH, "ab"))] == [
            "nul", "x"]
        assert db.count(Query().filter("v", Operator.NOT_LIKE, "%d")) == 2


def test_ilike_and_regex_test_the_value_alone_with_the_reference_semantics(tmp_path: Path
                                                                          ) -> None:
    values = {"up": "\u00c9MILE", "low": "\u00e9mile", "nul": "\u00e9mi\x00le", "sur": "e\ud800",
              "nl": "mile\n", "num": 5, "list": ["\u00e9mile"], "none": None,
              "obj": {"$x": "\u00e9mile"}}
    with SQLiteDatabase(path=tmp_path / "p.db") as db:
        db.create_batch([Record({"v": v, "w": {"$k": v}}, id=k) for k, v in values.items()])
        for field in ("v", "w.$k"):
            for op, pattern, expected in (
                    (Operator.ILIKE, "\u00c9mile", ["low", "up"]),
                    (Operator.ILIKE, "%mi_le", ["nul"]),
                    (Operator.ILIKE, "e_", ["sur"]),
                    (Operator.REGEX, "mi.?le", ["low", "nl", "nul"]),
                    (Operator.REGEX, "mile$", ["low"]),
                    (Operator.REGEX, "e[^a]", ["nl", "sur"]),
                    (Operator.LIKE, "%\x00%", ["nul"]),
                    (Operator.NOT_LIKE, "%\x00%",
                     ["list", "low", "nl", "num", "obj", "sur", "up"])):
                query = Query().filter(field, op, pattern)
                where, _ = where_clause(query)
                assert "dk_match" not in where
                assert sorted(r.id for r in db.search(query)) == expected, (field, op, pattern)
                assert db.count(query) == len(expected)
                assert expected == sorted(  # the reference matcher agrees
                    k for k, v in values.items() if matches({"v": v, "w": {"$k": v}}, query))


@pytest.mark.parametrize("table", ["", "a\x00b", "a\ud800"])
def test_a_table_name_sqlite_cannot_hold_is_refused_up_front(table: str) -> None:
    with pytest.raises(ConfigurationError, match="table"):
        SQLiteDatabase(path=":memory:", table=table)


def test_a_file_that_is_not_a_database_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not an SQLite database, not at all" * 100)
    db = SQLiteDatabase(path=path)
    with pytest.raises(StorageError, match=r"junk\.db"):
        db.count()


@pytest.mark.parametrize("vectors", [None, "sqlite-vec"])
def test_numbers_far_from_one_compare_exactly(tmp_path: Path, vectors: str | None) -> None:
    """SQLite's own reading of a number's JSON text is not correctly rounded far from 1
    (SQLite 3.51 reads -1e-300 as -9.999999999999999e-301): comparisons with such operands
    still give the reference's answer, on either SQLite library."""
    from dataknobs_data.adapters.sqlite import database as sqlite_database
    from dataknobs_data.domain.errors import ConfigurationError

    if vectors is not None:
        try:
            sqlite_database.dbapi_module(vectors)
        except ConfigurationError as err:
            if in_ci():
                raise
            pytest.skip(str(err))
    values = [-1e-300, 1e300, 2.2790121708605243e+274, 7.654927133881691e-231,
              -1.3518464599291115e-274, 5e-324, 1e-40, 3.5, 0.0, 12]
    records = [Record({"x": v}, id=f"r{i}") for i, v in enumerate(values)]
    from dataknobs_data.adapters.memory import MemoryDatabase

    mem = MemoryDatabase()
    mem.create_batch([r.copy() for r in records])
    with SQLiteDatabase(path=tmp_path / "n.db", vectors=vectors, indexes=["x"]) as db:
        db.create_batch([r.copy() for r in records])
        for v in values:
            for op in ("==", "!=", "<", "<=", ">", ">="):
                q = Query().filter("x", op, v)
                want = sorted(r.id or "" for r in mem.search(q))
                assert sorted(r.id or "" for r in db.search(q)) == want, (op, v)
                assert db.count(q) == mem.count(q), (op, v)
        q = Query().filter("x", "in", [-1e-300, 3.5])
        assert sorted(r.id for r in db.search(q)) == ["r0", "r7"]
