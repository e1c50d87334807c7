"""Vectors survive a migration exactly: memory -> Parquet (a fixed-size list column) ->
SQLite, and the nearest neighbours are the same at every stop."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow.parquet as pq

from dataknobs_data import MemoryDatabase, Query, Record
from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.adapters.sqlite import SQLiteDatabase
from dataknobs_data.migration import Migrator


def test_vectors_migrate_exactly_and_rank_the_same(tmp_path: Path) -> None:
    rnd = random.Random(3)
    source = MemoryDatabase()
    source.create_batch([Record({"team": f"t{i % 4}",
                                 "embedding": [rnd.uniform(-1, 1) for _ in range(16)]},
                                id=f"r{i:03d}") for i in range(200)])
    parquet = FileDatabase(path=str(tmp_path / "docs.parquet"))
    sqlite = SQLiteDatabase(path=str(tmp_path / "docs.db"))
    assert Migrator(source, parquet).run(verify=True).ok
    assert Migrator(parquet, sqlite).run(verify=True).ok
    for rec in source.all():
        assert parquet.read(rec.id).data == rec.data == sqlite.read(rec.id).data
    probe = [rnd.uniform(-1, 1) for _ in range(16)]
    flt = Query().filter("team", "==", "t1")
    expected = [(h.id, h.score) for h in source.vector_search(probe, k=7, filter=flt)]
    assert len(expected) == 7
    for db in (parquet, sqlite):
        assert [(h.id, h.score) for h in db.vector_search(probe, k=7, filter=flt)] == expected
    parquet.close()
    sqlite.close()
    column = pq.read_table(tmp_path / "docs.parquet").schema.field("embedding").type
    assert str(column).startswith("fixed_size_list<") and column.list_size == 16
    reopened = FileDatabase(path=str(tmp_path / "docs.parquet"))
    assert [(h.id, h.score) for h in reopened.vector_search(probe, k=7, filter=flt)] == expected
    reopened.close()
