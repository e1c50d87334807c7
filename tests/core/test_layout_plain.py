"""``columnar.layout_plain``: the screen that lets a Parquet file store vouch for its records
without walking their values. It may say False of plain records (it is conservative); it
must never say True of a table holding a value ``is_plain`` refuses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataknobs_data import Record
from dataknobs_data.domain import columnar
from dataknobs_data.domain.errors import DataknobsError
from dataknobs_data.domain.values import MAX_DEPTH, is_plain


def _table(records: list[Record]) -> Any:
    return columnar.records_table(records)


def _found(table: Any) -> Any:
    found = columnar.layout_fields(table.schema, "t")
    assert found is not None
    return found


def _with_column(table: Any, name: str, values: Any) -> Any:
    """``table`` with column ``name`` replaced by ``values`` (an Arrow array), the layout
    metadata kept: what a program editing the file by hand could write."""
    index = table.schema.names.index(name)
    out = table.set_column(index, pa.field(name, values.type), values)
    return out.replace_schema_metadata(table.schema.metadata)


def _decoded_plain(table: Any) -> bool:
    return all(is_plain(r.data) and is_plain(r.metadata)
               for r in columnar.layout_records(table, "t"))


def test_what_the_adapter_writes_passes() -> None:
    records = [Record({"name": f"p{i}", "age": i, "score": i / 7, "ok": i % 2 == 0,
                       "at": datetime(2024, 1, 1, i, tzinfo=UTC), "naive": datetime(2024, 1, i + 1),
                       "team": {"name": "core", "tags": [i, [i]]}, "vec": [0.5, float(i)]},
                      id=f"r{i}", metadata={"source": "x"} if i else {})
               for i in range(5)]
    table = _table(records)
    kinds = dict(_found(table)[0])
    assert kinds["score"] == "float" and kinds["vec"] == "vector:2" and kinds["team"] == "json"
    assert columnar.layout_plain(table, _found(table))


@pytest.mark.parametrize(("column", "values"), [
    ("score", pa.array([1.5, float("nan")])),
    ("score", pa.array([float("-inf"), 1.0])),
    ("score", pa.array([1, 2], pa.int32())),            # not the layout's type for "float"
    ("vec", pa.array([[1.0, float("inf")], [1.0, 2.0]], pa.list_(pa.float64(), 2))),
    ("team", pa.array(['{"x": NaN}', "1"])),
    ("team", pa.array(["-Infinity", "1"])),
    ("team", pa.array(["1267650600228229401496703205376", "1"])),
    ("team", pa.array(["9223372036854775808", "1"])),  # INT64_MAX + 1
    ("team", pa.array(["[1e400]", "1"])),
    ("team", pa.array(['{"$datetime": "2024-01-01T00:00:00+05:30:00.500000"}', "1"])),
    ("team", pa.array(['{"$datetime":"2024-01-01T00:00:00+05:30:00.500000"}', "1"])),
    ("team", pa.array(['[{"$datetime":"2024-01-01T00:00:00"},{"$datetime":"20240101T000000+0530"}]',
                       "1"])),
    ("team", pa.array(["[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5), "1"])),
    ("team", pa.array([1, 2], pa.int64())),             # a JSON column that holds no text
])
def test_a_hand_edited_column_is_not_vouched_for(column: str, values: Any) -> None:
    records = [Record({"score": 1.5, "vec": [1.0, 2.0], "team": {"a": i}}, id=f"r{i}")
               for i in range(2)]
    table = _with_column(_table(records), column, values)
    assert not columnar.layout_plain(table, _found(table))


def test_a_damaged_kind_is_not_vouched_for() -> None:
    table = _table([Record({"n": 1}, id="a")])
    meta = json.loads(table.schema.metadata[columnar.LAYOUT_KEY])
    for kind in ("vector:", "vector:x", "decimal"):
        meta["fields"] = [["n", kind]]
        damaged = table.replace_schema_metadata({columnar.LAYOUT_KEY: json.dumps(meta)})
        assert not columnar.layout_plain(damaged, _found(damaged))


def test_datetimes_in_other_zones_and_dollar_keys_pass() -> None:
    """The encoder's own tags and escapes: datetimes with whole-second offsets, naive ones,
    keys and strings starting with ``$``."""
    ist = timezone(timedelta(hours=5, minutes=30))
    odd = timezone(timedelta(hours=-3, seconds=15))
    records = [Record({"at": datetime(2024, 5, 1, 9, 30, tzinfo=ist),
                       "when": {"start": datetime(2024, 5, 1, tzinfo=odd),
                                "end": datetime(2024, 5, 2, 3, 4, 5, 600)},
                       "obj": {"$price": "$5", "$k": [1]}}, id=f"r{i}") for i in range(3)]
    table = _table(records)
    assert dict(_found(table)[0])["at"] == "json"
    assert columnar.layout_plain(table, _found(table)) and _decoded_plain(table)


def test_hostile_metadata_cells_are_screened_too() -> None:
    table = _table([Record({"n": 1}, id="a", metadata={"m": 1})])
    bad = _with_column(table, columnar.METADATA_COLUMN, pa.array(['{"m": NaN}']))
    assert not columnar.layout_plain(bad, _found(bad))
    assert not _decoded_plain(bad)  # the screen's False is right here: NaN decodes


def test_long_cells_of_shallow_values_pass() -> None:
    long_text = json.dumps({"k": ["x" * 50] * 20})  # far longer than 2 * MAX_DEPTH
    table = _with_column(_table([Record({"t": {"a": 1}}, id="a")]), "t", pa.array([long_text]))
    assert columnar.layout_plain(table, _found(table)) and _decoded_plain(table)


_json_scalars = st.one_of(
    st.none(), st.booleans(), st.text(max_size=5),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.sampled_from([2 ** 63 - 1, 2 ** 63, -(2 ** 63), -(2 ** 63) - 1, 2 ** 64, 10 ** 18]),
    st.floats(allow_nan=True, allow_infinity=True))
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["a", "b", "$datetime", "$k", "c"]), inner, max_size=3),
    max_leaves=8)
_exponents = st.builds(lambda m, e: f"{m}e{e}", st.integers(-9, 9), st.integers(-400, 400))
_nested = st.builds(lambda d, leaf: "[" * d + leaf + "]" * d, st.integers(0, MAX_DEPTH + 3),
                    st.sampled_from(["1", "1e999", "{}", '"x"']))
_cells = st.one_of(_json_values.map(json.dumps), _exponents, _nested,
                   st.sampled_from(['{"$datetime": "2024-01-01T00:00:00+00:00"}',
                                    '{"$datetime": "2024-01-01T00:00:00+05:30:00.5"}', "NaN"]))


_float_cells = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                         st.floats(allow_nan=False, allow_infinity=False),
                         st.floats(allow_nan=False, allow_infinity=False), st.floats())


@settings(max_examples=400, deadline=None)
@given(st.lists(_cells, min_size=1, max_size=2), st.lists(_float_cells, min_size=1, max_size=2))
def test_the_screen_never_vouches_for_a_value_is_plain_refuses(cells: list[str],
                                                                floats: list[float]) -> None:
    """Soundness: whatever hand-written cells and floats a layout table holds, if the screen
    passes it, every record it decodes to is plain."""
    n = len(cells)
    floats = (floats * n)[:n]
    table = _table([Record({"f": 1.0, "j": [i]}, id=f"r{i}") for i in range(n)])
    table = _with_column(table, "j", pa.array(cells))
    table = _with_column(table, "f", pa.array(floats, pa.float64()))
    if not columnar.layout_plain(table, _found(table)):
        return
    try:
        plain = _decoded_plain(table)
    except DataknobsError:
        return  # a damaged cell: the store refuses to load, nothing is read
    assert plain
