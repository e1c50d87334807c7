"""COPY framing of create_batch: ids and values with backslashes, tabs and line breaks come
back exactly, whichever framing path a chunk takes, and the stream hands the driver exactly
the text of every chunk whatever read sizes it asks for."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dataknobs_data import Record
from dataknobs_data.adapters.postgres import PostgresDatabase
from dataknobs_data.adapters.postgres.database import _CopyStream
from dataknobs_data.adapters.postgres.serializer import copy_lines, row_values
from dataknobs_data.adapters.postgres.statements import COPY_CHUNK

MakeDb = Callable[..., PostgresDatabase]
IDS_PLAIN = ["plain", "back\\slash", "\\", "\\t not a tab", "ünï 🎉"]
IDS_FRAMING = ["tab\tid", "line\nid", "cr\rid", "all\\\t\n\r"]
VALUES = ["back\\slash", "\\", "line\nbreak\ttab\r", "\\n literal", "\\\\t", ""]


@pytest.mark.parametrize("ids", [IDS_PLAIN, IDS_PLAIN + IDS_FRAMING],
                         ids=["no-tab-or-newline-in-ids", "tab-and-newlines-in-ids"])
def test_create_batch_round_trips_backslashes_tabs_and_newlines(make_db: MakeDb,
                                                                ids: list[str]) -> None:
    db = make_db()
    records = [Record({"v": v, "k\\\t": [v, {"n": v}]}, metadata={"m": v}, id=rid)
               for rid in ids for v in VALUES[:1]]
    records += [Record({"v": v}, id=f"{ids[0]}-{i}\\") for i, v in enumerate(VALUES)]
    assert db.create_batch(records) == [r.id for r in records]
    for rec in records:
        got = db.read(rec.id)
        assert got is not None, rec.id
        assert got.data == rec.data and got.metadata == rec.metadata


def test_both_framings_give_the_same_text_where_both_apply() -> None:
    rows = [row_values(Record({"v": v}, id=f"id\\{i}")) for i, v in enumerate(VALUES)]
    fast = copy_lines(rows)
    slow = copy_lines([*rows, row_values(Record({}, id="tab\tid"))])
    assert slow.startswith(fast)
    assert slow[len(fast):] == "tab\\tid\t{}\t{}\n"
    assert "id\\\\0\t" in fast  # the id's backslash is doubled once


@pytest.mark.parametrize("size", [-1, 1, 7, 1 << 16])
def test_copy_stream_reads_every_chunk_exactly(size: int) -> None:
    records = [Record({"i": i, "s": "x\\y" * (i % 3)}, id=f"r{i}")
               for i in range(COPY_CHUNK * 2 + 3)]
    want = b"".join(copy_lines(row_values(r) for r in records[i:i + COPY_CHUNK]).encode()
                    for i in range(0, len(records), COPY_CHUNK))
    stream = _CopyStream(records)
    parts = []
    while True:
        part = stream.read(size)
        if not part:
            break
        assert size < 0 or len(part) <= size
        parts.append(part)
        if size < 0:
            assert stream.read(size) == b""
            break
    assert b"".join(parts) == want
