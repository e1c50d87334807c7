"""The memory adapter's row table (``RowTable`` in adapters/memory.py) stays consistent
through every kind of write. Its ``owner`` map (data dict -> record id, for sorted scans)
is built by the first sorted search and kept exact from then on: each live row has one
entry naming its record, no entry outlives its row, and no data dict serves two records.
Before it is built two records may share a dict; building it gives each its own copy.
Sorted searches, which map rows back to ids through ``owner``, are checked against the
records read one by one."""

from __future__ import annotations

import random

import pytest

from dataknobs_data import MemoryDatabase, Query, Record


def assert_consistent(db: MemoryDatabase) -> None:
    table = db._table
    live = {rid: data for rid, data in zip(table.ids, table.rows, strict=True) if rid is not None}
    assert set(live) == set(db._records)
    assert table.owner is not None
    assert table.owner == {id(data): rid for rid, data in live.items()}
    assert len({id(data) for data in live.values()}) == len(live)  # no dict serves two
    for rid, data in live.items():
        assert db._records[rid].data is data  # the scan sees what a read copies
        assert table.slots[rid] == table.ids.index(rid)


def sorted_by_n(db: MemoryDatabase) -> list[tuple[str, int]]:
    return [(r.id, r["n"]) for r in db.search(Query().sort_by("n").sort_by("id"))]


def expected_by_n(db: MemoryDatabase) -> list[tuple[str, int]]:
    return sorted(((rid, db.read(rid)["n"]) for rid in db._records),
                  key=lambda p: (p[1], p[0]))


def random_writes(db: MemoryDatabase, rng: random.Random, count: int) -> None:
    for _ in range(count):
        rid = f"r{rng.randrange(300):03d}"
        action = rng.choice(["update", "upsert", "delete", "create"])
        if action == "update":
            db.update(rid, Record({"n": rng.randrange(1000), "team": "u"}))
        elif action == "upsert":
            db.upsert(rid, Record({"n": rng.randrange(1000), "team": "v"}))
        elif action == "delete":
            db.delete(rid)
        elif not db.exists(rid):
            db.create(Record({"n": -1, "team": "w"}, id=rid))


@pytest.mark.parametrize("search_first", [False, True], ids=["built-late", "built-early"])
def test_owner_entries_follow_creates_updates_and_deletes(search_first: bool) -> None:
    rng = random.Random(7)
    db = MemoryDatabase()
    for i in range(300):
        db.create(Record({"n": i, "team": f"t{i % 5}"}, id=f"r{i:03d}"))
    if search_first:
        assert sorted_by_n(db) == expected_by_n(db)
        assert_consistent(db)  # from here every write keeps the map exact
    random_writes(db, rng, 600)
    if search_first:
        assert_consistent(db)
    assert sorted_by_n(db) == expected_by_n(db)
    assert_consistent(db)


def test_writes_before_a_sorted_search_build_no_owner_map() -> None:
    db = MemoryDatabase()
    db.create(Record({"n": 2}, id="b"))
    db.create_batch([Record({"n": 1}, id="a"), Record({"n": 3}, id="c")])
    db.update("b", Record({"n": 0}))
    db.delete("c")
    assert db.search(Query().filter("n", "<", 5)) and db.count(Query()) == 2
    assert db._table.owner is None  # unsorted scans need no ids from data
    assert sorted_by_n(db) == [("b", 0), ("a", 1)]
    assert_consistent(db)


@pytest.mark.parametrize("indexed", [False, True], ids=["scan", "hash-index"])
def test_records_sharing_a_dict_are_told_apart_when_the_map_is_built(indexed: bool) -> None:
    db = MemoryDatabase(indexes=["team"] if indexed else ())
    db.create(Record({"n": 1, "team": "x"}, id="a"))
    shared = db._records["a"]  # the stored record itself, handed to the hook directly
    with db._lock:
        db._put("b", shared)
        db._put("c", shared)
        db._put("d", Record({"n": 0, "team": "x"}, id="d"))
    assert db._table.owner is None
    assert db._table.rows[1] is db._table.rows[0]  # shared until the map is built
    versions = {rid: db.get_version(rid) for rid in "abcd"}
    query = Query().filter("team", "=", "x").sort_by("n").sort_by("id")
    assert [r.id for r in db.search(query)] == ["d", "a", "b", "c"]
    assert_consistent(db)
    assert {rid: db.get_version(rid) for rid in "abcd"} == versions  # a read, not a write
    db.update("a", {"n": 2, "team": "x"})
    assert [db.read(rid)["n"] for rid in "abc"] == [2, 1, 1]
    assert [r.id for r in db.search(query)] == ["d", "b", "c", "a"]
    if indexed:
        bucket = db._indexes["team"].lookup(["x"])
        assert bucket is not None
        assert all(bucket[rid] is db._records[rid].data for rid in "abcd")


def test_a_data_dict_already_stored_is_cloned_once_the_map_is_built() -> None:
    db = MemoryDatabase()
    db.create(Record({"n": 1}, id="a"))
    assert sorted_by_n(db) == [("a", 1)]  # builds the map
    shared = db._records["a"]
    with db._lock:
        db._put("b", shared)
        db._put("c", shared)
        db.create_batch([Record({"n": 5}, id="e"), Record({"n": 6}, id="f")])
    assert_consistent(db)
    assert db._table.rows[1] is not db._table.rows[0]
    db.update("a", {"n": 2})
    assert [db.read(rid)["n"] for rid in "abc"] == [2, 1, 1]


def test_an_update_with_the_stored_dict_keeps_its_owner_entry() -> None:
    db = MemoryDatabase()
    db.create(Record({"n": 1}, id="a"))
    db.create(Record({"n": 2}, id="b"))
    assert sorted_by_n(db) == [("a", 1), ("b", 2)]
    stored = db._records["a"]
    with db._lock:
        db._put("a", stored)  # the same dict as the row: nothing to replace
    assert_consistent(db)
    assert [r.id for r in db.search(Query().sort_by("n"))] == ["a", "b"]
