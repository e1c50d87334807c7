"""Vectors in the file formats: Parquet keeps them as fixed-size lists of float64, and
every format reads them back exactly (docs/vectors.md)."""

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dataknobs_data.adapters.file import FileDatabase
from dataknobs_data.domain.query import Query
from dataknobs_data.domain.records import Record
from dataknobs_data.testing.runner import exactly
from dataknobs_data.testing.servers import require_module

np = require_module("numpy")


def test_parquet_stores_a_vector_field_as_a_fixed_size_list(tmp_path: Path) -> None:
    path = tmp_path / "v.parquet"
    vecs = {"a": [0.1, -0.0, 3.5, 1e-308], "b": [5e-324, -1.5, 2.0, 7.25]}
    with FileDatabase(path=path) as db:
        db.create_batch([Record({"e": v}, id=rid) for rid, v in vecs.items()]
                        + [Record({"n": 1}, id="c"),
                           Record({"e": np.array([1, 2, 3, 4], dtype=np.float32)}, id="d")])
    column = pq.read_schema(path).field("e").type
    assert str(column) == "fixed_size_list<element: double>[4]"
    with FileDatabase(path=path) as db:
        for rid, v in vecs.items():
            assert exactly(db.read(rid)["e"], v)
        assert "e" not in db.read("c").data
        assert exactly(db.read("d")["e"], [1.0, 2.0, 3.0, 4.0])
        hits = db.vector_search([1.0, 2.0, 3.0, 4.0], "e", k=2)
        assert [h.record.id for h in hits] == ["d", "b"]


@pytest.mark.parametrize("values", [
    [[1.0, 2.0], [1.0, 2.0, 3.0]],     # two lengths
    [[1.0, 2.0], [1, 2.0]],            # an int, which a float64 list would turn into 1.0
    [[1.0, 2.0], []],                  # an empty list
    [[1.0, 2.0], None],                # a stored null
])
def test_anything_else_in_the_field_keeps_the_typed_json_column(tmp_path: Path,
                                                                values: list) -> None:
    path = tmp_path / "v.parquet"
    with FileDatabase(path=path) as db:
        db.create_batch([Record({"e": v}, id=f"r{i}") for i, v in enumerate(values)])
    assert str(pq.read_schema(path).field("e").type) == "string"
    with FileDatabase(path=path) as db:
        for i, v in enumerate(values):
            assert exactly(db.read(f"r{i}")["e"], v)


@pytest.mark.parametrize("suffix", ["json", "jsonl", "csv", "parquet"])
def test_every_format_answers_the_same_nearest_neighbours(tmp_path: Path, suffix: str
                                                          ) -> None:
    rng = np.random.default_rng(3)
    records = [Record({"g": i % 2, "e": rng.normal(size=6)}, id=f"r{i:02d}")
               for i in range(40)]
    probe = rng.normal(size=6)
    path = tmp_path / f"v.{suffix}"
    with FileDatabase(path=path) as db:
        db.create_batch(records)
    with FileDatabase(path=path) as db:
        got = [r.id for r in db.search(Query().filter("g", "==", 1).similar_to(probe, "e", k=5))]
    matrix = np.array([r["e"] for r in records if r["g"] == 1])
    ids = [r.id for r in records if r["g"] == 1]
    sims = matrix @ probe / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(probe))
    assert got == [ids[i] for i in np.argsort(-sims, kind="stable")[:5]]
