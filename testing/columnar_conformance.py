"""The columnar part of the conformance suite: ``write_arrow``, ``read_arrow`` and
``to_arrow`` with exactly the record semantics of the row path (docs/columnar.md).

Every adapter runs these (``DatabaseConformance`` includes ``ColumnarTests``). The row path
is the reference: a query read as Arrow holds exactly the records ``search`` returns, in its
order, and Arrow written back gives exactly the records that were read.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ..domain import columnar
from ..domain.errors import BatchOperationError, DataknobsError, ValidationError
from ..domain.query import Query
from ..domain.records import Record

#: values of every storable type, and the shapes a column layout must not confuse
VALUES: dict[str, Any] = {
    "int": 42, "big": 2**62, "neg": -7, "float": 2.5, "float_whole": 3.0, "true": True,
    "str": "héllo \"quoted\" \\ back \n line \t tab 🎉", "empty_str": "", "null": None,
    "aware": datetime(2024, 5, 17, 10, 30, 15, 123456, tzinfo=UTC),
    "offset": datetime(2024, 5, 17, 12, 30, tzinfo=timezone(timedelta(hours=2))),
    "naive": datetime(2024, 5, 17, 10, 30),
    "nested": {"a": {"b": [1, "two", 3.5, None, {"c": False}]}},
    "list": [1, 2.0, "x", None, [True]], "empty_list": [], "empty_dict": {},
    "vector": [0.5, -1.25, 3.0], "dollar": {"$datetime": "not a date", "$object": 1},
    "$id": "a field called $id", "$metadata": 7, "$$x": "two dollars",
}


def columnar_records() -> list[Record]:
    """Records whose fields vary from row to row: a field missing in some, null in others,
    an int in one row and a string in the next (the same field name)."""
    out = [Record(copy.deepcopy(VALUES), id="all", metadata={"m": [1, {"n": "x"}]})]
    for i in range(12):
        data: dict[str, Any] = {"n": i, "team": ("core", "web", "infra")[i % 3],
                                "mixed": i if i % 2 else str(i), "when": datetime(
                                    2024, 1, 1 + i, tzinfo=UTC)}
        if i % 4 == 0:
            data["sometimes"] = None
        elif i % 4 == 1:
            data["sometimes"] = {"deep": [i]}
        out.append(Record(data, id=f"row-{i:02d}", metadata={"i": i} if i % 3 == 0 else {}))
    return out


def _same(got: list[Record], want: list[Record]) -> None:
    assert [r.id for r in got] == [r.id for r in want]
    for g, w in zip(got, want, strict=True):
        assert g.data == w.data, g.id
        for key, value in w.data.items():
            assert type(g.data[key]) is type(value), (g.id, key)
        assert g.metadata == w.metadata, g.id


class ColumnarTests:
    """The columnar path (docs/columnar.md): Arrow in and out, exact record semantics."""

    @pytest.fixture
    def columnar_db(self, db: Any) -> Any:
        db.create_batch([r.copy() for r in columnar_records()])
        return db

    def _arrow_batches(self, db: Any, query: Query | None = None, **kw: Any) -> list[Any]:
        return list(db.read_arrow(query, **kw))

    def test_read_arrow_holds_exactly_what_search_returns(self, columnar_db: Any) -> None:
        for query in (Query(), Query().filter("n", ">=", 3).sort_by("n", "desc").limit(5),
                      Query().filter("team", "==", "core").select("n", "sometimes"),
                      Query().sort_by("mixed").offset(2)):
            want = columnar_db.search(query)
            table = columnar_db.to_arrow(query)
            assert table.num_rows == len(want)
            _same(columnar.layout_records(table, "to_arrow"), want)
            batches = self._arrow_batches(columnar_db, query, batch_size=4)
            assert all(b.num_rows <= 4 for b in batches)
            got = [r for b in batches for r in columnar.layout_records(b, "batch")]
            _same(got, want)

    def test_a_reader_stopped_early_leaves_the_store_usable(self, columnar_db: Any) -> None:
        batches = columnar_db.read_arrow(batch_size=2)
        first = next(iter(batches))
        assert first.num_rows == 2
        close = getattr(batches, "close", None)
        if close is not None:
            close()
        columnar_db.create(Record({"after": True}, id="zz-after"))
        assert columnar_db.count() == len(columnar_records()) + 1
        assert columnar_db.to_arrow(Query().filter("after", "==", True)).num_rows == 1

    def test_arrow_written_back_restores_every_record_exactly(self, columnar_db: Any) -> None:
        want = columnar_db.all()
        table = columnar_db.to_arrow()
        assert columnar_db.clear() == len(want)
        assert columnar_db.write_arrow(table, batch_size=5) == len(want)
        _same(columnar_db.all(), want)
        # and from the batches of a stream, each with its own layout
        batches = self._arrow_batches(columnar_db, batch_size=3)
        columnar_db.clear()
        assert columnar_db.write_arrow(iter(batches)) == len(want)
        _same(columnar_db.all(), want)

    def test_plain_tables_give_one_record_per_row(self, db: Any) -> None:
        pa = columnar.pyarrow()
        when = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
        table = pa.table({
            "key": ["a", "b", "c"],
            "n": pa.array([1, None, -(2**63)], type=pa.int64()),
            "x": [0.5, 2.0, None],
            "ok": [True, False, None],
            "s": ["x", "", None],
            "at": pa.array([when, None, when], type=pa.timestamp("us", tz="UTC")),
            "obj": [{"p": 1, "q": "z"}, None, {"p": 2, "q": None}],
            "tags": [["t1", "t2"], [], None],
        })
        assert db.write_arrow(table, id_column="key") == 3
        a, b, c = db.read_batch(["a", "b", "c"])
        assert a is not None and b is not None and c is not None
        assert a.data == {"key": "a", "n": 1, "x": 0.5, "ok": True, "s": "x", "at": when,
                          "obj": {"p": 1, "q": "z"}, "tags": ["t1", "t2"]}
        assert type(a["x"]) is float and type(a["n"]) is int and a["at"].utcoffset() == \
            timedelta(0)
        assert b.data == {"key": "b", "n": None, "x": 2.0, "ok": False, "s": "", "at": None,
                          "obj": None, "tags": []}
        assert c["n"] == -(2**63) and c["obj"] == {"p": 2, "q": None} and c["x"] is None
        # na="drop": nulls leave the field out; without id_column the store assigns ids
        assert db.write_arrow(pa.table({"v": [1, None]}), na="drop") == 2
        rows = db.search(Query().filter("v", "exists"))
        assert [r.data for r in rows] == [{"v": 1}]
        assert db.count() == 5

    def test_an_unstorable_value_refuses_its_batch_and_names_the_column(self, db: Any
                                                                        ) -> None:
        pa = columnar.pyarrow()
        table = pa.table({"id": ["k1", "k2", "k3", "k4"],
                          "v": pa.array([1.0, 2.0, float("nan"), 4.0])})
        with pytest.raises(BatchOperationError) as info:
            db.write_arrow(table, id_column="id", batch_size=2)
        err = info.value
        # the first batch (rows 0-1) is written; the second (rows 2-3) is not, at all
        assert set(err.failed) == {2} and "2 rows before this batch were written" in str(err)
        assert "v" in str(err.failed[2])
        assert sorted(r.id or "" for r in db.all()) == ["k1", "k2"]
        for bad in (pa.array([2**63], type=pa.uint64()),
                    pa.array([b"\x00"], type=pa.binary())):
            with pytest.raises(DataknobsError, match=r"data\.w"):
                db.write_arrow(pa.table({"w": bad}))
        assert db.count() == 2

    def test_taken_and_repeated_ids_write_nothing_of_their_batch(self, db: Any) -> None:
        pa = columnar.pyarrow()
        db.create(Record({"v": 0}, id="taken"))
        with pytest.raises(BatchOperationError) as info:
            db.write_arrow(pa.table({"id": ["new", "taken"], "v": [1, 2]}), id_column="id")
        # as create_batch: an atomic backend writes none of the batch, another reports
        # exactly what it wrote
        assert set(info.value.failed) == {1}
        written = {} if db.capabilities.atomic_batches else {0: "new"}
        assert info.value.succeeded == written
        assert sorted(r.id or "" for r in db.all()) == sorted(["taken", *written.values()])
        db.delete_batch(list(written.values()))
        with pytest.raises(BatchOperationError) as info:  # refused before any write
            db.write_arrow(pa.table({"id": ["d", "d"], "v": [1, 2]}), id_column="id")
        assert set(info.value.failed) == {1} and info.value.succeeded == {}
        assert [r.id for r in db.all()] == ["taken"]

    def test_bad_arguments_are_named(self, db: Any) -> None:
        pa = columnar.pyarrow()
        with pytest.raises(ValidationError, match="'nope'"):
            db.write_arrow(pa.table({"v": [1]}), id_column="nope")
        with pytest.raises(ValidationError, match="batch_size"):
            db.write_arrow(pa.table({"v": [1]}), batch_size=0)
        with pytest.raises(ValidationError, match="na must be"):
            db.write_arrow(pa.table({"v": [1]}), na="keep")
        with pytest.raises(ValidationError, match="dict"):
            db.write_arrow([{"v": 1}])
        with pytest.raises(ValidationError, match="id must be"):
            db.write_arrow(pa.table({"i": [1.5]}), id_column="i")
        assert db.count() == 0

    def test_an_empty_store_reads_as_an_empty_table(self, db: Any) -> None:
        table = db.to_arrow()
        assert table.num_rows == 0
        assert table.schema.names[:2] == [columnar.ID_COLUMN, columnar.METADATA_COLUMN]
        assert db.write_arrow(table) == 0
