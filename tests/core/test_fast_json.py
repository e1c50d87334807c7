"""The optional fast JSON path (orjson encodes, msgspec parses; ``domain.codec``): every text
it writes is the standard library's byte for byte, every value it parses is the standard
library's with the same types, every error is today's -- or it is not used for that value.
The same functions run with the libraries made unimportable."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataknobs_data.adapters.postgres import serializer
from dataknobs_data.domain import codec, envelope
from dataknobs_data.domain.errors import SerializationError
from dataknobs_data.testing.servers import require_module

orjson = require_module("orjson")
msgspec = require_module("msgspec")

STD = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
STD_ASCII = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode

#: floats whose text differs between Python and the fast encoders, and their neighbours
EDGE_FLOATS = [1e16, 1e15, 9999999999999998.0, 1e-4, math.nextafter(1e-4, 0), 1e-5, 2.5e-5,
               1e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e22, 1e300,
               -0.0, 0.0, 1.0, 0.1, 1 / 3, 123456789012345.6, -1e-300]
EDGE_INTS = [0, -1, 2**53 + 1, 2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1, 10**30]
EDGE_TEXT = ["", "\x00", "\x1f", "\x7f", "\u2028\u2029", "\U0001f600", "\ud800", "a\udfffb",
             "\ud83d\ude00", "é", '"\\/', "\b\f\n\r\t", "$id", "e-mail", "null", "0.00001",
             '"$', "1e-7"]


@contextmanager
def stdlib_only() -> Iterator[None]:
    """Run the block as if neither library were installed (the lazy import fails)."""
    saved = codec._import, codec._orjson, codec._fast_decode

    def refuse(name: str) -> Any:
        raise ImportError(f"No module named {name!r}")

    codec._import = refuse  # type: ignore[assignment]
    codec._orjson = codec._MISSING
    codec._fast_decode = codec._MISSING
    try:
        yield
    finally:
        codec._import, codec._orjson, codec._fast_decode = saved


def same(a: Any, b: Any) -> bool:
    """Equal with identical types all the way down (floats by repr: -0.0, nan; key order)."""
    if type(a) is not type(b):
        return False
    if type(a) is float:
        return repr(a) == repr(b)
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    """What a call gives: its value, or its exception's type and message."""
    try:
        return "value", fn(*args)
    except Exception as err:  # compared, not swallowed
        return type(err).__name__, str(err)


def same_outcome(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    return a[0] == b[0] and (same(a[1], b[1]) if a[0] == "value" else a[1] == b[1])


texts = st.text(st.characters(exclude_categories=())) | st.sampled_from(EDGE_TEXT)
scalars = (st.none() | st.booleans()
           | st.integers(-(2**63), 2**63 - 1) | st.sampled_from(EDGE_INTS)
           | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(EDGE_FLOATS)
           | texts)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=24)
zones = st.none() | st.just(UTC) | st.integers(-14 * 60, 14 * 60).map(
    lambda m: timezone(timedelta(minutes=m)))
datetimes = st.datetimes(timezones=zones)
storable = st.recursive(
    scalars | datetimes,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=24)


def test_both_libraries_are_found() -> None:
    assert codec.fast_encoder() is orjson
    assert codec.fast_decoder() is not None


@settings(max_examples=600, deadline=None)
@given(json_values)
def test_fast_text_is_the_stdlib_text_or_not_used(value: Any) -> None:
    data = codec.fast_compact(value)
    try:
        expected = STD(value)
    except ValueError:  # pragma: no cover - the strategies hold no NaN
        assert data is None
        return
    if data is not None:
        assert data.decode() == expected
        assert type(data) is bytes


@settings(max_examples=600, deadline=None)
@given(json_values)
def test_parse_of_fast_text_equals_parse_of_stdlib_text(value: Any) -> None:
    text = STD(value)
    fast = codec.fast_compact(value)
    if fast is not None:
        assert same(envelope.parse_json(fast.decode()), json.loads(text))
    for t in (text, STD_ASCII(value)):
        parsed = envelope.parse_json(t)
        with stdlib_only():
            reference = envelope.parse_json(t)
        assert same(parsed, reference)
        assert same(parsed, json.loads(t))


@settings(max_examples=500, deadline=None)
@given(storable)
def test_envelope_functions_match_the_stdlib(value: Any) -> None:
    got = outcome(envelope.dump_value, value)
    enc = outcome(envelope.encode, value)
    with stdlib_only():
        want = outcome(envelope.dump_value, value)
        want_utf8 = outcome(envelope.to_utf8, enc[1]) if enc[0] == "value" else None
    assert same_outcome(got, want)
    if want_utf8 is not None:
        assert same_outcome(outcome(envelope.to_utf8, enc[1]), want_utf8)
    if got[0] == "value":
        loaded = outcome(envelope.load_value, got[1])
        with stdlib_only():
            assert same_outcome(loaded, outcome(envelope.load_value, got[1]))


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(texts, storable, max_size=6))
def test_postgres_serializer_matches_the_stdlib(data: dict[str, Any]) -> None:
    got = outcome(serializer.dumps_object, data, "r1")
    with stdlib_only():
        want = outcome(serializer.dumps_object, data, "r1")
    assert same_outcome(got, want)
    if got[0] == "value":
        loaded = outcome(serializer.loads_object, got[1])
        with stdlib_only():
            assert same_outcome(loaded, outcome(serializer.loads_object, got[1]))
        # jsonb's own spelling of the text (spaces after separators) parses alike too
        spaced = json.dumps(json.loads(got[1]), ensure_ascii=False)
        with stdlib_only():
            want_spaced = outcome(serializer.loads_object, spaced)
        assert same_outcome(outcome(serializer.loads_object, spaced), want_spaced)


BAD_OR_ODD = ["", " ", " 1", "\t[]", "\n{}", "1 ", "1\u3000", "01", "1.", ".5", "+1", "-",
              "[1,]", '{"a":1,}', "[", "]", '"a"x', "tru", "nul", "NaN", "-Infinity",
              "Infinity", "1e400", "-1e400", '"\\ud800"', '"\\udc00\\ud800"', '"\ud800"',
              '"\x01"', '{"a":1,"a":2,"b":3}', '{"b":1,"a":2,"b":3}', "18446744073709551616",
              "-9223372036854775809", "123456789012345678901234567890", "1" * 5000, "-0",
              "-0.0", "1E5", "0.1e1", "1e-400", "\ufeff1", '{"\\u00e9":1}', "[" * 50 + "]" * 50,
              "0.1000000000000000055511151231257827021181583404541015625",
              "9007199254740993.0", "2.4703282292062327e-324", '"\\u001F"', '"\\/"']


@pytest.mark.parametrize("text", BAD_OR_ODD)
def test_parse_values_and_errors_are_todays(text: str) -> None:
    for fn in (envelope.parse_json, envelope.load_value, serializer._load):
        got = outcome(fn, text)
        with stdlib_only():
            want = outcome(fn, text)
        assert same_outcome(got, want), (fn.__name__, text[:40], got, want)


@settings(max_examples=800, deadline=None)
@given(st.text(st.sampled_from('{}[]",:0123456789.-+eE tnrufalsN\\u\ud800 ')))
def test_parse_of_arbitrary_text_is_todays(text: str) -> None:
    got = outcome(envelope.parse_json, text)
    with stdlib_only():
        want = outcome(envelope.parse_json, text)
    assert same_outcome(got, want)


@pytest.mark.parametrize("value", EDGE_FLOATS + EDGE_INTS + EDGE_TEXT)
def test_edge_scalars_alone_and_nested(value: Any) -> None:
    for v in (value, [value], {"k": value, "n": [value, {"x": value}]}):
        data = codec.fast_compact(v)
        if data is not None:
            assert data.decode() == STD(v)
        got = outcome(envelope.dump_value, v)
        with stdlib_only():
            want = outcome(envelope.dump_value, v)
        assert same_outcome(got, want)


def test_the_untrusted_float_forms_fall_back() -> None:
    for x in (1e-5, 2.5e-5, 1e-7, 5e-324, -1e-300):
        assert codec.fast_compact([x]) is None
        assert envelope.dump_value([x]) == STD([x])
    assert codec.fast_compact([float("nan")]) is None  # orjson writes null
    with pytest.raises(ValueError):
        envelope.dump_value(float("nan"))
    with pytest.raises(ValueError):
        envelope.to_utf8({"x": float("inf")})


def test_values_orjson_refuses_fall_back() -> None:
    assert codec.fast_compact("\ud800") is None
    assert envelope.dump_value("\ud800") == STD_ASCII("\ud800")
    assert envelope.to_utf8({"a": "\udfff"}) == STD_ASCII({"a": "\udfff"}).encode()
    assert codec.fast_compact(2**64) is None
    assert envelope.dump_value(2**64) == "18446744073709551616"
    deep: Any = 1
    for _ in range(300):
        deep = [deep]
    assert codec.fast_compact(deep) is None
    assert envelope.dump_value(deep) == STD(deep)


def test_non_storable_values_are_refused_as_today() -> None:
    import uuid

    for bad in ((1, 2), uuid.uuid4(), {1, 2}, b"x", {"a": (1,)}):
        got = outcome(envelope.dump_value, bad)
        with stdlib_only():
            want = outcome(envelope.dump_value, bad)
        assert got == want and got[0] == "SerializationError"


def test_tagged_text_counts_only_the_tags() -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    assert codec.fast_tagged({"t": when}) == b'{"t":{"$datetime":"2024-01-01T00:00:00+00:00"}}'
    for needs_walk in ({"$id": 1}, {"t": when, "s": "$5"}, {"a\"$b": 1}, {"t": [when, "$"]}):
        assert codec.fast_tagged(needs_walk) is None
    row = {"t": when, "$k": {"$datetime": "x"}, "z": -0.0, "big": 1e300}
    with stdlib_only():
        want = serializer.dumps_object(row)
    assert serializer.dumps_object(row) == want
    assert '"$$k":{"$$datetime":"x"}' in want


def test_postgres_refusals_are_todays() -> None:
    for bad in ({"s": "a\x00b"}, {"s": "\ud800"}, {"k\x00": 1}):
        with pytest.raises(SerializationError) as fast_err:
            serializer.dumps_object(bad, "r1")
        with stdlib_only(), pytest.raises(SerializationError) as std_err:
            serializer.dumps_object(bad, "r1")
        assert str(fast_err.value) == str(std_err.value)


def test_without_the_libraries_everything_still_works() -> None:
    when = datetime(2024, 1, 1, 12, tzinfo=UTC)
    value = {"a": [1, 2.5, None, True, "é"], "t": when, "$k": 1}
    with stdlib_only():
        assert codec.fast_encoder() is None
        assert codec.fast_decoder() is None
        assert codec.fast_compact([1]) is None
        assert codec.fast_tagged({"t": when}) is None
        assert codec.fast_parse("[1]") is codec._MISSING
        text = envelope.dump_value(value)
        assert same(envelope.load_value(text), value)
        assert envelope.to_utf8({"x": "é"}) == '{"x":"é"}'.encode()
        stored = serializer.dumps_object(value)
        assert same(serializer.loads_object(stored), value)
        with pytest.raises(ValueError):
            envelope.parse_json(" 1")
    # and the libraries are found again afterwards
    assert codec.fast_encoder() is orjson
    assert envelope.dump_value(value) == text
    assert serializer.dumps_object(value) == stored


def test_without_the_libraries_with_monkeypatch(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str) -> Any:
        raise ImportError(name)

    monkeypatch.setattr(codec, "_import", refuse)
    monkeypatch.setattr(codec, "_orjson", codec._MISSING)
    monkeypatch.setattr(codec, "_fast_decode", codec._MISSING)
    assert envelope.dump_value({"x": [1, 1e-7]}) == '{"x":[1,1e-07]}'
    assert envelope.parse_json('{"x":[1,1e-07]}') == {"x": [1, 1e-07]}
    assert codec._orjson is None and codec._fast_decode is None


def test_a_library_version_that_differs_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-time probe: an encoder writing ``1e16`` for Python's ``1e+16`` (msgspec's
    spelling) or a decoder turning big integers into floats (orjson's) is left unused."""

    class LooseEncoder:
        OPT_PASSTHROUGH_DATETIME = OPT_PASSTHROUGH_SUBCLASS = OPT_PASSTHROUGH_DATACLASS = 0

        @staticmethod
        def dumps(obj: Any, default: Any = None, option: int = 0) -> bytes:
            return bytes(msgspec.json.encode(obj))

    class LooseDecoder:
        @staticmethod
        def Decoder() -> Any:  # the msgspec.json spelling
            class D:
                decode = staticmethod(orjson.loads)
            return D()

    monkeypatch.setattr(codec, "_import",
                        lambda name: LooseEncoder if name == "orjson" else LooseDecoder)
    monkeypatch.setattr(codec, "_orjson", codec._MISSING)
    monkeypatch.setattr(codec, "_fast_decode", codec._MISSING)
    assert codec.fast_encoder() is None
    assert codec.fast_decoder() is None
    assert envelope.dump_value([1e16]) == "[1e+16]"
    assert envelope.parse_json("18446744073709551616") == 18446744073709551616


# -- a typed JSON column at once (envelope.load_cells, the Parquet snapshot's cells) ---------

def cells_outcome(cells: list[Any]) -> tuple[str, Any]:
    """``load_cells`` of a column, and what the cell-by-cell path gives (``load_value``
    of each present cell, in order, ``"<missing>"`` for a None cell)."""
    return outcome(envelope.load_cells, cells, "<missing>")


def cell_by_cell(cells: list[Any]) -> tuple[str, Any]:
    return outcome(lambda: ["<missing>" if c is None else envelope.load_value(c)
                            for c in cells])


@pytest.mark.parametrize("odd", BAD_OR_ODD)
def test_a_column_with_one_odd_cell_is_read_as_cell_by_cell(odd: str) -> None:
    clean = ['{"name":"core"}', "[1,2]", "null", '{"$datetime":"2024-01-02T03:04:05+00:00"}',
             '{"$object":{"$id":1}}', "-0.0", "123456789012345678901234567890", None]
    for cells in ([odd], [odd, *clean], [*clean, odd], [None, odd, None], clean):
        got = cells_outcome(cells)
        assert same_outcome(got, cell_by_cell(cells)), (cells, got)
        with stdlib_only():
            assert same_outcome(cells_outcome(cells), got), cells


@settings(max_examples=300, deadline=None)
@given(st.lists(storable.map(envelope.dump_value) | st.none(), max_size=12))
def test_a_column_of_dumped_values_reads_back_as_cell_by_cell(cells: list[Any]) -> None:
    got = cells_outcome(cells)
    assert got[0] == "value"
    assert same_outcome(got, cell_by_cell(cells))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from('{}[]",:0123456789.-e tnulN\n\\u\ud800$'), max_size=8)
                | st.none(), max_size=6))
def test_a_column_of_arbitrary_cells_reads_as_cell_by_cell(cells: list[Any]) -> None:
    assert same_outcome(cells_outcome(cells), cell_by_cell(cells))


def test_the_column_path_is_taken_with_nulls_and_refused_with_leading_space() -> None:
    cells = ["[1]", None, "null", '{"$datetime":"2024-01-02T03:04:05"}', "NaN"]
    assert envelope._fast_cells([c for c in cells[:4] if c is not None]) == [
        [1], None, datetime(2024, 1, 2, 3, 4, 5)]
    assert envelope._fast_cells(["[1]", "NaN"]) is None  # msgspec refuses: cell by cell
    assert envelope._fast_cells(["[1]", " 2"]) is None  # the scanner refuses " 2"
    assert envelope._fast_cells(["[1]", b"2"]) is None  # not text
    got = envelope.load_cells(cells, "<missing>")
    assert got[:4] == [[1], "<missing>", None, datetime(2024, 1, 2, 3, 4, 5)]
    assert math.isnan(got[4])  # the standard library reads NaN, msgspec does not


def _walked_put(rec: Any) -> bytes:
    """A put's log text through the envelope walk, the libraries unused."""
    from dataknobs_data.domain.values import MAX_DEPTH

    with stdlib_only():
        return envelope.to_utf8({"op": "put", **envelope.envelope(rec, MAX_DEPTH)})


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(texts, storable, max_size=5), st.dictionaries(texts, storable, max_size=2),
       texts)
def test_a_logged_put_is_the_walks_text(data: dict[str, Any], metadata: dict[str, Any],
                                        rid: str) -> None:
    """The file store's log writes a put through orjson when it can (``oplog._fast_put``):
    the text is the walk's byte for byte, or the walk writes it; a refusal is the walk's."""
    from dataknobs_data.adapters.file import oplog
    from dataknobs_data.domain.records import Record

    rec = Record.trusted(data, metadata, rid)
    got = outcome(oplog.encode_operation, ("put", rec))
    want = outcome(_walked_put, rec)
    if want[0] == "value" and got[0] == "value" and got[1] != want[1]:
        # a lone surrogate: the walk's line is ASCII-escaped as a whole; same JSON
        assert json.loads(got[1]) == json.loads(want[1])
    else:
        assert same_outcome(got, want), (got, want)
    assert oplog.is_put(got[1]) if got[0] == "value" else True


def test_a_logged_put_nested_past_the_limit_takes_the_walk() -> None:
    """orjson nests deeper than the store allows: past ``MAX_DEPTH`` the walk names it."""
    from dataknobs_data.adapters.file import oplog
    from dataknobs_data.domain.records import Record
    from dataknobs_data.domain.values import MAX_DEPTH

    def nested(levels: int) -> Any:
        value: Any = 1
        for _ in range(levels):
            value = [value]
        return value

    ok = Record.trusted({"a": nested(MAX_DEPTH)}, {}, "r")
    assert oplog.encode_operation(("put", ok)) == _walked_put(ok)
    with pytest.raises(SerializationError, match="nest deeper"):
        oplog.encode_operation(("put", Record.trusted({"a": nested(MAX_DEPTH + 1)}, {}, "r")))
    line = oplog.log_line([oplog.encode_operation(("put", ok)),
                           oplog.encode_operation(("del", "x"))])
    assert json.loads(line) == {"op": "batch", "ops": [json.loads(_walked_put(ok)),
                                                      {"op": "del", "id": "x"}]}
