"""The value model (values.py) and typed JSON (codec.py), as units."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataknobs_data.domain import codec
from dataknobs_data.domain.errors import SerializationError
from dataknobs_data.domain.values import (
    MAX_DEPTH,
    MISSING,
    TYPE_ORDER,
    as_instant,
    check_value,
    clone,
    compare,
    has_value,
    hash_key,
    is_plain,
    normalize_value,
    sort_key,
    type_rank,
    values_equal,
)

NAIVE = datetime(2021, 6, 1, 12, 0)
UTC_NOON = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
PLUS_TWO = datetime(2021, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))


def test_missing_is_a_falsy_singleton() -> None:
    assert type(MISSING)() is MISSING and not MISSING and repr(MISSING) == "MISSING"
    assert not has_value(MISSING) and not has_value(None)
    assert has_value(0) and has_value("") and has_value([]) and has_value(False)


def test_type_ranks_follow_the_documented_order() -> None:
    samples = [True, 1, "s", UTC_NOON, [1], {"a": 1}]
    assert [type_rank(v) for v in samples] == list(range(6))
    assert TYPE_ORDER == ("boolean", "number", "string", "datetime", "list", "object")
    assert type_rank(2.5) == type_rank(1)
    with pytest.raises(SerializationError, match="set"):
        type_rank({1})


def test_as_instant() -> None:
    assert as_instant(NAIVE) == UTC_NOON and as_instant(NAIVE).tzinfo is UTC
    assert as_instant(PLUS_TWO) == UTC_NOON and as_instant(PLUS_TWO).utcoffset() == timedelta(0)


@pytest.mark.parametrize(("a", "b", "equal"), [
    (1, 1.0, True), (True, 1, False), (0, False, False), ("1", 1, False),
    (NAIVE, PLUS_TWO, True), ([1, None], [1.0, None], True), ([None], [0], False),
    ([1, 2], [2, 1], False), ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
    ({"a": None}, {"a": None}, True), ({"a": None}, {}, False), ({"a": None}, {"a": 0}, False),
    ({"a": [True]}, {"a": [1]}, False),
])
def test_values_equal(a: object, b: object, equal: bool) -> None:
    assert values_equal(a, b) is equal
    assert values_equal(b, a) is equal


@pytest.mark.parametrize(("a", "b", "result"), [
    (1, 2.5, -1), (2.0, 2, 0), ("Z", "a", -1), ("\u00e9", "z", 1), (PLUS_TWO, NAIVE, 0),
    (1, "1", None), (True, False, None), ([1], [2], None), (NAIVE, "2021", None),
])
def test_compare(a: object, b: object, result: int | None) -> None:
    assert compare(a, b) == result


def test_sort_and_hash_keys() -> None:
    values = [{"k": 1}, [1], "a", 2, True, PLUS_TWO, 1.5]
    assert sorted(values, key=sort_key) == [True, 1.5, 2, "a", PLUS_TWO, [1], {"k": 1}]
    assert sort_key([9]) == sort_key([1])  # lists do not order by content
    assert hash_key(True) != hash_key(1) and hash_key(1) == hash_key(1.0)
    assert hash_key(NAIVE) == hash_key(PLUS_TWO)
    assert hash_key([1]) is None and hash_key({}) is None


@pytest.mark.parametrize(("value", "fragment"), [
    (float("nan"), "root: nan is not a finite number"),
    (float("inf"), "root: inf"),
    (2**63, "does not fit in 64 bits"),
    (-(2**63) - 1, "does not fit in 64 bits"),
    ({"a": {"b": [1, object()]}}, "root.a.b[1]: object is not storable"),
    ({1: "x"}, "root: object key 1 is not a string"),
    (b"x", "bytes is not storable"),
    ({1, 2}, "set is not storable"),
    ((1, 2), "tuple is not storable"),
])
def test_check_value_names_the_path(value: object, fragment: str) -> None:
    with pytest.raises(SerializationError) as info:
        check_value(value, "root")
    assert fragment in str(info.value)


def test_check_value_accepts_the_storable_types() -> None:
    check_value({"n": None, "b": True, "i": 2**63 - 1, "f": -0.5, "s": "x", "t": NAIVE,
                 "l": [[], {}], "d": {"e": {}}})


def test_normalize_value() -> None:
    class Colour(enum.IntEnum):
        RED = 1

    class Name(str):
        pass

    got = normalize_value({"t": (1, Colour.RED), "n": Name("x"), "b": True})
    assert got == {"t": [1, 1], "n": "x", "b": True}
    assert type(got["t"][1]) is int and type(got["n"]) is str
    with pytest.raises(SerializationError, match=r"v\.k: object"):
        normalize_value({"k": object()}, "v")
    with pytest.raises(SerializationError, match="object key 3"):
        normalize_value({3: 1})


def test_clone_copies_containers_only() -> None:
    inner = {"a": [1, {"b": 2}]}
    copied = clone(inner)
    assert copied == inner and copied is not inner
    assert copied["a"] is not inner["a"] and copied["a"][1] is not inner["a"][1]
    assert clone("s") == "s"


# --- typed JSON -----------------------------------------------------------------------------------
def test_codec_round_trips_every_storable_value() -> None:
    value = {"i": 1, "f": 1.0, "b": False, "n": None, "s": "\u00e9", "naive": NAIVE,
             "aware": PLUS_TWO, "l": [NAIVE, [1]], "$user": {"$datetime": "not a date"}}
    back = codec.loads(codec.dumps(value))
    assert back == value
    assert type(back["f"]) is float and type(back["i"]) is int
    assert back["naive"].tzinfo is None
    assert back["aware"].utcoffset() == timedelta(hours=2)
    assert back["$user"] == {"$datetime": "not a date"}


def test_codec_tags() -> None:
    assert codec.encode(NAIVE) == {"$datetime": "2021-06-01T12:00:00"}
    assert codec.encode({"$x": 1}) == {"$object": {"$x": 1}}
    assert codec.decode({"$datetime": "2021-06-01T12:00:00+00:00"}) == UTC_NOON
    with pytest.raises(SerializationError):
        codec.encode(object())
    with pytest.raises(ValueError):
        codec.dumps(float("nan"))


def test_check_text_names_the_lone_surrogate_and_nul() -> None:
    from dataknobs_data.domain.values import check_text, check_texts, lone_surrogate

    assert lone_surrogate("ab\U0001f600") is None and lone_surrogate("ab\ud800") == 2
    check_text("nul\x00ok", "data.s")  # NUL is text; only some backends refuse it
    lone = r"data\.s: lone surrogate '\\ud800' at position 1"
    with pytest.raises(SerializationError, match=lone):
        check_text("a\ud800b", "data.s")
    with pytest.raises(SerializationError, match=r"data\.s: NUL character at position 3"):
        check_text("nul\x00", "data.s", nul=False)
    with pytest.raises(SerializationError, match=r"data\.o\.l\[1\]"):
        check_texts({"o": {"l": ["fine", "bad\udfff"]}}, "data")
    with pytest.raises(SerializationError, match=r"data\.o: key '\\udc00'"):
        check_texts({"o": {"\udc00": 1}}, "data")


class Color(enum.IntEnum):
    RED = 1


NOT_PLAIN = [
    (1, 2),  # a tuple: normalised to a list
    Color.RED,  # an int subclass: normalised to int
    2**63,  # out of 64 bits: refused by normalize_value
    -(2**63) - 1,
    float("nan"),
    float("inf"),
    # an offset with a fraction of a second: refused by normalize_value
    datetime(2021, 6, 1, tzinfo=timezone(timedelta(seconds=1, microseconds=5))),
    {1: "a"},  # a key that is not a string
    {"a": {"b": [1, (2,)]}},
    {"a": [set()]},
]


@pytest.mark.parametrize("value", NOT_PLAIN, ids=repr)
def test_is_plain_defers_everything_normalize_value_would_touch(value: object) -> None:
    assert not is_plain(value)
    assert not is_plain({"f": value})
    assert not is_plain([[value]])


@pytest.mark.parametrize("value", [
    NAIVE, datetime(2021, 6, 1, tzinfo=UTC), datetime(2021, 6, 1, tzinfo=timezone(
        timedelta(hours=-5, seconds=30)))], ids=repr)
def test_plain_datetimes_are_plain_and_normalize_to_themselves(value: datetime) -> None:
    assert is_plain(value) and is_plain({"f": [value]})
    assert normalize_value(value) == value and type(normalize_value(value)) is datetime


def test_is_plain_depth_matches_normalize_value() -> None:
    deep: object = 1
    for _ in range(MAX_DEPTH):  # MAX_DEPTH nested lists in a field: the deepest allowed
        deep = [deep]
    normalize_value({"f": deep}, "data")
    assert is_plain({"f": deep})
    with pytest.raises(SerializationError):
        normalize_value({"f": [deep]}, "data")
    assert not is_plain({"f": [deep]})


plain_scalars = (st.none() | st.booleans() | st.text()
                 | st.integers(min_value=-(2**63), max_value=2**63 - 1)
                 | st.floats(allow_nan=False, allow_infinity=False))
plain_values = st.recursive(plain_scalars, lambda inner: st.lists(inner, max_size=4)
                            | st.dictionaries(st.text(max_size=5), inner, max_size=4),
                            max_leaves=20)


def _typed(value: object) -> object:
    """The value with every scalar paired with its exact type (so True != 1, 0.0 != -0.0)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value), repr(value))


@settings(max_examples=300, deadline=None)
@given(plain_values)
def test_a_plain_value_is_exactly_what_normalize_value_returns(value: object) -> None:
    assert is_plain(value)
    assert _typed(normalize_value(value)) == _typed(value)


@settings(max_examples=200, deadline=None)
@given(plain_values | st.text())
def test_json_encoder_writes_what_json_dumps_writes(value: object) -> None:
    for ascii_only in (True, False):
        encode = codec.json_encoder(ensure_ascii=ascii_only)
        assert encode(value) == json.dumps(value, ensure_ascii=ascii_only, allow_nan=False)


def test_json_encoder_refuses_like_json_dumps_and_recovers() -> None:
    encode = codec.json_encoder(ensure_ascii=True)
    shared = {"inner": [1]}
    with pytest.raises(TypeError):
        encode({"a": shared, "b": NAIVE})  # raises after entering ``shared``
    with pytest.raises(ValueError):
        encode({"a": float("nan")})
    assert encode({"again": shared}) == '{"again": {"inner": [1]}}'  # not "circular"
