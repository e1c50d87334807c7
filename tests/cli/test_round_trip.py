"""``import`` then ``export`` then ``import`` is the identity, for every format.

Each test generates a 10,000-row file with empty cells (missing fields), imports it, exports
the store to the same or another format, imports that file into a fresh store and demands the
two stores hold the identical records: the same ids, keys, types (``1`` is not ``1.0`` nor
``"1"``), the sign of zero, naive and aware datetimes with their offsets, and codes with leading
zeros kept as text. Exporting the second store again must give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataknobs_data.adapters.sqlite import SQLiteDatabase
from dataknobs_data.cli.cells import MISSING, cell_text, read_cell
from dataknobs_data.domain import codec
from dataknobs_data.domain.errors import SerializationError
from dataknobs_data.domain.values import INT64_MAX, INT64_MIN
from dataknobs_data.testing.fidelity import HOSTILE_STRINGS, exactly

ROWS = 10_000
FORMATS = ("csv", "json", "jsonl", "parquet")
OFFSETS = (UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30)),
           timezone(timedelta(hours=5, minutes=30, seconds=15)), timezone(timedelta(hours=14)))
TEXTS = ("", " ", "12", "-0", "0.5", "true", "False", "null", "NaN", "inf", "[1]", "{}",
         '"q"', "0123", "09156", "2024-01-01", "a,b", "line\r\nbreak", "cr\ronly", "tab\tx",
         "nul\x00x", "é", "e\u0301", "\U0001f600", "a\ud800b", "  padded  ", "yes", "$x")


def store(workdir: Path, name: str) -> dict[str, Any]:
    """The records of the embedded default store ``name``, by id."""
    with SQLiteDatabase(path=workdir / ".dataknobs" / f"{name}.sqlite") as db:
        return {rec.id: rec for rec in db.all()}


def assert_same_stores(left: dict[str, Any], right: dict[str, Any]) -> None:
    assert left.keys() == right.keys()
    for rid, rec in left.items():
        other = right[rid]
        assert exactly(rec.data, other.data), (rid, rec.data, other.data)
        assert exactly(rec.metadata, other.metadata), rid


def ok(result) -> None:
    assert result.exit_code == 0, result.stderr


# --- generated files ----------------------------------------------------------------------------
def rich_row(i: int, rng: random.Random) -> dict[str, Any]:
    """One record with every kind of value; about a third of the fields left out."""
    moment = datetime(2000, 1, 1) + timedelta(seconds=rng.randrange(10**9),
                                              microseconds=rng.choice((0, rng.randrange(10**6))))
    values: dict[str, Any] = {
        "id": f"{i:05d}",
        "zip": f"{rng.randrange(100_000):05d}",
        "count": rng.choice((0, -1, 7, INT64_MAX, INT64_MIN, rng.randrange(-10**12, 10**12))),
        "price": rng.choice((0.0, -0.0, 0.1, 1e-7, 1e300, -2.5, 5e-324, rng.uniform(-1e6, 1e6))),
        "active": rng.choice((True, False, None)),
        "seen": rng.choice((moment, *(moment.replace(tzinfo=tz) for tz in OFFSETS))),
        "day": datetime.combine(moment.date(), datetime.min.time()),
        "note": rng.choice(TEXTS),
        "team": rng.choice(({"name": "core", "lead": None}, {}, {"a.b": 1, "": 2, "$x": 3},
                            {"name": {"first": "Ada", "last": "0123"}})),
        "tags": rng.choice(([], ["a", 1, 2.5, None, True], [[moment], {"k": "v"}])),
        "mixed": [1, "one", True, moment.replace(tzinfo=UTC), [1], {"x": "1"}, None, 1.0][i % 8],
    }
    row = {k: v for k, v in values.items() if k == "id" or rng.random() < 0.7}
    if i >= ROWS // 2:
        row["late"] = rng.choice(("x", "0042"))  # a column missing from the first record
    if i == 17:
        row["note"] = "long " * 40_000  # beyond the csv module's 131,072-character cells
    return row


def rich_rows() -> list[dict[str, Any]]:
    rng = random.Random(12)
    return [rich_row(i, rng) for i in range(ROWS)]


def write_json_source(path: Path, rows: list[dict[str, Any]], fmt: str) -> None:
    encoded = [json.dumps(codec.encode(row)) for row in rows]  # ASCII: lone surrogates escaped
    text = "\n".join(encoded) + "\n" if fmt == "jsonl" else "[" + ",\n".join(encoded) + "]"
    path.write_text(text, encoding="utf-8")


def csv_source(path: Path) -> None:
    """A CSV as a user writes it: plain cells, many of them empty."""
    rng = random.Random(3)
    cells = {
        "zip": ("09156", "0123", "10115", "00501", ""),
        "amount": ("12", "12.50", "-0", "-0.0", "1e3", ".5", "00.5", "99999999999999999999",
                   "NaN", "inf", ""),
        "flag": ("true", "FALSE", "null", "", "yes"),
        "when": ("2024-01-05", "2024-01-05T10:11:12+05:30", "2024-01-05T10:11:12Z",
                 "2024-01-05 10:11", "2024-01-05T10:11:12.250", "2024-02-30", ""),
        "note": ("plain", '"12"', "[1, 2]", '{"a": 1}', "[broken", "a,b", "two\r\nlines",
                 "  padded  ", "é😀", ""),
        "team.name": ("core", "infra", ""),
        "team.lead": ("Ada", ""),
        "tags": ('["ui", "sql"]', "[]", ""),
    }
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["id", *cells, "late"])
    for i in range(ROWS):
        late = rng.choice(("0042", "x", "")) if i >= ROWS // 2 else ""
        writer.writerow([f"{i:05d}", *(rng.choice(c) for c in cells.values()), late])
    path.write_text(buf.getvalue(), encoding="utf-8")


def parquet_source(path: Path) -> None:
    """A Parquet file another tool wrote: native columns with nulls, no dataknobs layout."""
    import pyarrow as pa  # the dev extra's: a missing one fails, never skips
    import pyarrow.parquet as pq
    rng = random.Random(5)

    def maybe(value: Any) -> Any:
        return value if rng.random() < 0.7 else None

    base = datetime(2020, 1, 1)
    columns = {
        "id": pa.array([f"{i:05d}" for i in range(ROWS)]),
        "zip": pa.array([maybe(f"{rng.randrange(100_000):05d}") for _ in range(ROWS)]),
        "count": pa.array([maybe(rng.randrange(-10**9, 10**9)) for _ in range(ROWS)],
                          pa.int64()),
        "price": pa.array([maybe(rng.choice((-0.0, 0.1, 2.5))) for _ in range(ROWS)]),
        "active": pa.array([maybe(rng.random() < 0.5) for _ in range(ROWS)]),
        "day": pa.array([maybe(date(2020, 1, 1) + timedelta(days=i % 900)) for i in range(ROWS)]),
        "utc": pa.array([maybe((base + timedelta(minutes=i)).replace(tzinfo=UTC))
                         for i in range(ROWS)], pa.timestamp("us", tz="UTC")),
        "oslo": pa.array([maybe(base + timedelta(hours=i)) for i in range(ROWS)],
                         pa.timestamp("us", tz="+02:00")),
        "naive": pa.array([maybe(base + timedelta(seconds=i)) for i in range(ROWS)],
                          pa.timestamp("us")),
        "team": pa.array([maybe({"name": rng.choice(("core", "web")), "lead": maybe("Ada")})
                          for _ in range(ROWS)]),
        "tags": pa.array([maybe(rng.sample(["a", "b", "c"], rng.randrange(3)))
                          for _ in range(ROWS)]),
        "late": pa.array([None if i < ROWS // 2 else maybe("0042") for i in range(ROWS)],
                         pa.string()),
    }
    pq.write_table(pa.table(columns), path)


def make_source(workdir: Path, fmt: str) -> Path:
    path = workdir / f"source.{fmt}"
    if fmt == "csv":
        csv_source(path)
    elif fmt == "parquet":
        parquet_source(path)
    else:
        write_json_source(path, rich_rows(), fmt)
    return path


# --- the round trips ----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_generated_file_round_trips(cli, workdir: Path, fmt: str):
    # import a generated file of this format, export it to the same format, import that:
    # the two stores are identical, and exporting the second gives the same bytes again
    source = make_source(workdir, fmt)
    ok(cli("import", str(source), "--db", "first"))
    ok(cli("export", f"out.{fmt}", "--db", "first"))
    ok(cli("import", f"out.{fmt}", "--db", "second"))
    first, second = store(workdir, "first"), store(workdir, "second")
    assert len(first) == ROWS
    assert_same_stores(first, second)
    ok(cli("export", f"again.{fmt}", "--db", "second"))
    assert (workdir / f"again.{fmt}").read_bytes() == (workdir / f"out.{fmt}").read_bytes()
    # the values are what the file said: codes keep their zeros, times keep their offsets,
    # an empty cell (a null in Parquet) is a missing field, columns first seen late survive
    zips = [r.data["zip"] for r in first.values() if "zip" in r.data]
    assert {type(z) for z in zips} == ({str, int} if fmt == "csv" else {str})
    assert all(type(z) is str for z in zips if str(z)[:1] == "0") and "00501" in zips \
        if fmt == "csv" else any(z[:1] == "0" for z in zips)
    assert any(r.data.get("late") == "0042" for r in first.values())
    assert any("zip" not in r.data for r in first.values())
    if fmt == "csv":
        row = next(r.data for r in first.values() if r.data.get("zip") == "09156")
        assert row["zip"] == "09156"
        aware = [r.data["when"] for r in first.values() if type(r.data.get("when")) is datetime
                 and r.data["when"].tzinfo is not None]
        assert {w.utcoffset() for w in aware} == {timedelta(0), timedelta(hours=5, minutes=30)}
        amounts = {r.data["amount"] for r in first.values() if "amount" in r.data}
        assert amounts == {12, 12.5, 0, -0.0, 1000.0, 0.5, "00.5", "99999999999999999999",
                           "NaN", "inf"}
    if fmt == "parquet":
        utc = next(r.data["utc"] for r in first.values() if "utc" in r.data)
        oslo = next(r.data["oslo"] for r in first.values() if "oslo" in r.data)
        assert utc.utcoffset() == timedelta(0) and oslo.utcoffset() == timedelta(hours=2)
        assert "late" not in first["00000"].data


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_value_through_every_format(cli, workdir: Path, fmt: str):
    # a store holding every kind of value (nulls, -0.0, 64-bit edges, offsets with seconds,
    # text that reads as a number, lone surrogates, objects with dotted and empty keys, a field
    # changing type) goes out to each format and comes back identical
    source = make_source(workdir, "jsonl")
    ok(cli("import", str(source), "--db", "first"))
    ok(cli("export", f"out.{fmt}", "--db", "first"))
    ok(cli("import", f"out.{fmt}", "--db", "second"))
    first, second = store(workdir, "first"), store(workdir, "second")
    assert len(first) == ROWS
    assert exactly(first["00000"].data, rich_rows()[0])
    assert_same_stores(first, second)


# --- the two defects of issue 12 ----------------------------------------------------------------
def test_csv_import_keeps_leading_zeros(cli, workdir: Path):
    (workdir / "zips.csv").write_text("id,zip,code,share\n0001,09156,0123,00.5\n0002,10115,0,0.5\n")
    ok(cli("import", "zips.csv"))
    records = store(workdir, "default")
    assert set(records) == {"0001", "0002"}
    assert records["0001"].data == {"id": "0001", "zip": "09156", "code": "0123", "share": "00.5"}
    assert exactly(records["0002"].data, {"id": "0002", "zip": 10115, "code": 0, "share": 0.5})
    assert cli("count", "--where", "zip=09156").stdout.strip() == "1"
    assert cli("count", "--where", "code=0123").stdout.strip() == "1"


def test_parquet_export_keeps_late_columns_and_time_zones(cli, workdir: Path):
    oslo = timezone(timedelta(hours=2))
    rows = [{"id": "a", "n": 1},
            {"id": "b", "when": datetime(2024, 5, 1, 10, tzinfo=oslo)},
            {"id": "c", "utc": datetime(2024, 5, 1, 10, tzinfo=UTC), "naive": datetime(2024, 5, 1)}]
    write_json_source(workdir / "in.jsonl", rows, "jsonl")
    ok(cli("import", "in.jsonl", "--db", "src"))
    ok(cli("export", "out.parquet", "--db", "src"))
    ok(cli("import", "out.parquet", "--db", "dst"))
    got = {rid: rec.data for rid, rec in store(workdir, "dst").items()}
    assert exactly(got, {row["id"]: row for row in rows})


# --- the cell codec -------------------------------------------------------------------------------
@pytest.mark.parametrize(("cell", "value"), [
    ("", MISSING), ("  ", MISSING), ("true", True), ("FALSE", False), ("null", None),
    ("0", 0), ("-12", -12), ("+7", 7), ("0123", "0123"), ("09156", "09156"),
    ("9223372036854775807", INT64_MAX), ("9223372036854775808", "9223372036854775808"),
    ("0.5", 0.5), ("-0.0", -0.0), (".5", 0.5), ("1e3", 1000.0), ("00.5", "00.5"),
    ("1e400", "1e400"), ("NaN", "NaN"), ("inf", "inf"), ("1e", "1e"),
    ("2024-05-01", datetime(2024, 5, 1)),
    ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("2024-05-01T10:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=2)))),
    ("2024-02-30", "2024-02-30"), ('"0123"', "0123"), ('"a', '"a'), ("[1, 2]", [1, 2]),
    ('{"$datetime": "2024-05-01T10:00:00"}', datetime(2024, 5, 1, 10)), ("[x", "[x"),
    ("yes", "yes"), ("  padded  ", "  padded  "),
])
def test_read_cell(cell: str, value: Any):
    got = read_cell(cell)
    assert got is MISSING if value is MISSING else exactly(got, value), got


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(INT64_MIN, INT64_MAX),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(st.characters(codec="utf-8") | st.sampled_from(("\ud800", "\r", "\x00"))),
    st.sampled_from(HOSTILE_STRINGS),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                 timezones=st.none() | st.integers(-23 * 3600, 23 * 3600)
                 .map(lambda seconds: timezone(timedelta(seconds=seconds)))),
)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(values)
def test_every_value_reads_back_from_its_cell(value: Any):
    assert exactly(read_cell(cell_text(value)), value)


def test_an_offset_no_store_holds_is_refused_not_rounded():
    # ISO 8601 text holds UTC offsets to the second; a finer one would come back different
    moment = datetime(2000, 1, 1, tzinfo=timezone(timedelta(microseconds=1)))
    for value, where in ((moment, "value"), ([moment], r"value\[0\]")):
        with pytest.raises(SerializationError, match=f"{where}: datetime .*fraction of a second"):
            cell_text(value)


# --- the columnar path ----------------------------------------------------------------------------
def test_parquet_export_reads_the_store_as_arrow(cli, workdir: Path, monkeypatch):
    # a Parquet export asks the store for its records as Arrow (read_arrow, which the memory
    # and file stores serve without copying a record), in one batch, so the file's columns
    # are typed over every record: the same bytes as the snapshot of the same records
    from dataknobs_data.adapters.file.parquet_format import ParquetFormat
    from dataknobs_data.ports.database import SyncDatabase

    rows = [{"id": f"r{i}", "n": i, "tag": "x" if i % 2 else None} for i in range(5)]
    write_json_source(workdir / "in.jsonl", rows, "jsonl")
    ok(cli("import", "in.jsonl", "--db", "src"))
    asked: list[int | None] = []
    real = SyncDatabase.read_arrow

    def spy(self: SyncDatabase, query: Any = None, *, batch_size: int | None = None) -> Any:
        asked.append(batch_size)
        return real(self, query, batch_size=batch_size)

    monkeypatch.setattr(SyncDatabase, "read_arrow", spy)
    ok(cli("export", "out.parquet", "--db", "src", "--where", "n>=1"))
    assert asked == [4]
    stored = sorted(store(workdir, "src").values(), key=lambda r: r.id)[1:]
    assert (workdir / "out.parquet").read_bytes() == ParquetFormat().dump(stored, None)
    ok(cli("import", "out.parquet", "--db", "dst"))
    assert_same_stores({r.id: r for r in stored}, store(workdir, "dst"))


def test_a_plain_parquet_file_is_read_column_by_column(cli, workdir: Path):
    # another tool's Parquet file: one field per column, nulls left out at the top and inside
    # objects, dates as midnight datetimes, decimals as numbers, large strings as text; a
    # file whose columns repeat a name is refused naming the file and the name
    from decimal import Decimal

    import pyarrow as pa  # the dev extra's: a missing one fails, never skips
    import pyarrow.parquet as pq
    table = pa.table({
        "id": pa.array(["a", "b"]),
        "team": pa.array([{"name": "core", "lead": None}, None]),
        "tags": pa.array([[{"k": 1, "v": None}], []]),
        "day": pa.array([date(2024, 5, 1), None]),
        "price": pa.array([Decimal("12.00"), Decimal("0.25")], pa.decimal128(6, 2)),
        "note": pa.array(["é", None], pa.large_string()),
        "n": pa.array([1, None], pa.int32()),
    })
    pq.write_table(table, workdir / "plain.parquet")
    ok(cli("import", "plain.parquet", "--db", "plain"))
    got = {rid: rec.data for rid, rec in store(workdir, "plain").items()}
    assert exactly(got, {
        "a": {"id": "a", "team": {"name": "core"}, "tags": [{"k": 1}],
              "day": datetime(2024, 5, 1), "price": 12, "note": "é", "n": 1},
        "b": {"id": "b", "tags": [], "price": 0.25},
    })
    twice = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["x", "x"])
    pq.write_table(twice, workdir / "twice.parquet")
    result = cli("import", "twice.parquet", "--db", "twice")
    assert result.exit_code != 0
    assert "twice.parquet" in result.stderr and "'x'" in result.stderr
