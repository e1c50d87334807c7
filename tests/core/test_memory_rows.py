"""The memory adapter's row table (``RowTable`` in adapters/memory.py) stays consistent
through every kind of write: each live row has one ``owner`` entry naming its record, no
entry outlives its row, and no data dict serves two records. Sorted searches, which map
rows back to ids through ``owner``, are checked against the records read one by one."""

from __future__ import annotations

import random

from dataknobs_data import MemoryDatabase, Query, Record


def assert_consistent(db: MemoryDatabase) -> None:
    table = db._table
    live = {rid: data for rid, data in zip(table.ids, table.rows, strict=True) if rid is not None}
    assert set(live) == set(db._records)
    assert table.owner == {id(data): rid for rid, data in live.items()}
    assert len({id(data) for data in live.values()}) == len(live)  # no dict serves two
    for rid, data in live.items():
        assert db._records[rid].data is data  # the scan sees what a read copies
        assert table.slots[rid] == table.ids.index(rid)


def test_owner_entries_follow_creates_updates_and_deletes() -> None:
    rng = random.Random(7)
    db = MemoryDatabase()
    for i in range(300):
        db.create(Record({"n": i, "team": f"t{i % 5}"}, id=f"r{i:03d}"))
    for _ in range(600):
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
    assert_consistent(db)
    found = db.search(Query().sort_by("n").sort_by("id"))
    assert [(r.id, r["n"]) for r in found] == sorted(
        ((rid, db.read(rid)["n"]) for rid in db._records), key=lambda p: (p[1], p[0]))


def test_a_data_dict_already_stored_is_cloned_for_a_second_record() -> None:
    db = MemoryDatabase()
    db.create(Record({"n": 1}, id="a"))
    shared = db._records["a"]  # the stored record itself, handed to the hook directly
    with db._lock:
        db._put("b", shared)
        db._put("c", shared)
    assert_consistent(db)
    assert db._table.rows[1] is not db._table.rows[0]
    db.update("a", {"n": 2})
    assert [db.read(rid)["n"] for rid in "abc"] == [2, 1, 1]


def test_an_update_with_the_stored_dict_keeps_its_owner_entry() -> None:
    db = MemoryDatabase()
    db.create(Record({"n": 1}, id="a"))
    db.create(Record({"n": 2}, id="b"))
    stored = db._records["a"]
    with db._lock:
        db._put("a", stored)  # the same dict as the row: nothing to replace
    assert_consistent(db)
    assert [r.id for r in db.search(Query().sort_by("n"))] == ["a", "b"]
