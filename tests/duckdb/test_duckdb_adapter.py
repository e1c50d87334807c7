"""What the DuckDB adapter does beyond the shared suites: registry, its table, source mode
over Parquet, CSV and JSON Lines files, refused writes, and table names."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from dataknobs_data import Operator, Query, Record, database_factory
from dataknobs_data.adapters.duckdb import AsyncDuckDBDatabase, DuckDBDatabase
from dataknobs_data.adapters.duckdb.database import ReadOnlyError
from dataknobs_data.domain.errors import ConfigurationError, DataknobsError


def test_the_constructor_does_no_io(tmp_path: Path) -> None:
    db = DuckDBDatabase(path=tmp_path / "lazy.duckdb")
    assert not (tmp_path / "lazy.duckdb").exists()
    db.connect()
    assert (tmp_path / "lazy.duckdb").exists()
    db.close()


def test_registered_as_duckdb(tmp_path: Path) -> None:
    db = database_factory.create("duckdb", path=str(tmp_path / "r.duckdb"))
    adb = database_factory.create("duckdb", use_async=True, path=str(tmp_path / "r.duckdb"))
    assert isinstance(db, DuckDBDatabase) and isinstance(adb, AsyncDuckDBDatabase)
    with pytest.raises(ConfigurationError, match="pth"):
        database_factory.create("duckdb", pth="x.duckdb")


def test_rows_are_the_documented_table(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    with DuckDBDatabase(path=path, table="people") as db:
        db.create(Record({"name": "Ada"}, id="a\x00\ud800"))
    raw = duckdb.connect(str(path))
    try:
        rid, data = raw.execute('SELECT id, data FROM "people"').fetchone()
        assert rid == "a\x00\ud800".encode("utf-8", "surrogatepass")
        assert json.loads(data) == {"name": "Ada"}
    finally:
        raw.close()


def test_a_large_batch_goes_through_arrow_and_is_atomic(tmp_path: Path) -> None:
    with DuckDBDatabase(path=tmp_path / "b.duckdb") as db:
        db.create_batch([Record({"i": i}, id=f"r{i:04d}") for i in range(500)])
        assert db.count() == 500 and db.read("r0499")["i"] == 499
        with pytest.raises(DataknobsError):
            db.create_batch([Record({"i": -1}, id=f"n{i}") for i in range(100)]
                            + [Record({"i": 0}, id="r0000")])
        assert db.count() == 500


@pytest.mark.parametrize("table", ["", "a\x00b", "a\ud800"])
def test_a_table_name_duckdb_cannot_hold_is_refused_up_front(table: str) -> None:
    with pytest.raises(ConfigurationError, match="table"):
        DuckDBDatabase(path=":memory:", table=table)


def test_a_hostile_table_name_is_quoted(tmp_path: Path) -> None:
    with DuckDBDatabase(path=tmp_path / "q.duckdb", table='x"; DROP TABLE y; --') as db:
        db.create(Record({"v": 1}, id="a"))
        assert db.read("a")["v"] == 1


def _sources(tmp_path: Path) -> dict[str, Path]:
    rows = [{"id": "u1", "name": "Ada", "age": 36}, {"id": "u2", "name": "Bob", "age": 25},
            {"id": "u3", "name": "Cy", "age": 30}]
    conn = duckdb.connect()
    conn.execute("CREATE TABLE t (id VARCHAR, name VARCHAR, age BIGINT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                     [[r["id"], r["name"], r["age"]] for r in rows])
    paths = {kind: tmp_path / f"people.{kind}" for kind in ("parquet", "csv", "jsonl")}
    conn.execute(f"COPY t TO '{paths['parquet']}' (FORMAT parquet)")
    conn.execute(f"COPY t TO '{paths['csv']}' (HEADER, DELIMITER ',')")
    paths["jsonl"].write_text("".join(json.dumps(r) + "\n" for r in rows))
    conn.close()
    return paths


@pytest.mark.parametrize("kind", ["parquet", "csv", "jsonl"])
def test_source_mode_queries_files_in_place(tmp_path: Path, kind: str) -> None:
    path = _sources(tmp_path)[kind]
    with database_factory.create("duckdb", source=str(path)) as db:
        assert db.count() == 3
        hits = db.search(Query().filter("age", Operator.GTE, 30).sort_by("age", "desc"))
        assert [r.id for r in hits] == ["u1", "u3"]
        assert db.read("u2")["name"] == "Bob" and db.read("u2")["age"] == 25


def test_source_mode_globs_and_row_numbers(tmp_path: Path) -> None:
    path = _sources(tmp_path)["parquet"]
    with DuckDBDatabase(source=str(tmp_path / "*.parquet"), id_field="name") as db:
        assert sorted(r.id for r in db.all()) == ["Ada", "Bob", "Cy"]
    plain = tmp_path / "noid.csv"
    plain.write_text("name\n" + "\n".join(f"n{i}" for i in range(12)) + "\n")
    with DuckDBDatabase(source=str(plain)) as db:
        assert [r.id for r in db.search(Query().limit(3))] == ["00", "01", "02"]
        assert db.read("11")["name"] == "n11"
    with pytest.raises(ConfigurationError, match="nope"):
        DuckDBDatabase(source=str(path), id_field="nope").count()


def test_source_mode_refuses_writes(tmp_path: Path) -> None:
    path = _sources(tmp_path)["parquet"]
    with DuckDBDatabase(source=str(path)) as db:
        for write in (lambda: db.create(Record({"v": 1}, id="x")),
                      lambda: db.delete("u1"), lambda: db.clear(),
                      lambda: db.upsert("u1", Record({"v": 1}))):
            with pytest.raises(ReadOnlyError, match="read-only"):
                write()
        assert db.count() == 3


def test_an_unknown_source_suffix_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="source"):
        DuckDBDatabase(source="data.xlsx").count()
