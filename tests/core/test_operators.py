"""Each operator's semantics exists once (``domain.operators.value_predicate``); the matcher's
generated code is a fast path derived from it and must agree with it on every value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dataknobs_data.domain.matcher import compiled
from dataknobs_data.domain.operators import Operator, value_predicate
from dataknobs_data.domain.query import Filter
from dataknobs_data.domain.values import MISSING

_TZ = st.sampled_from([None, UTC, timezone(timedelta(hours=5, minutes=30))])
_DATETIMES = st.builds(lambda d, tz: d.replace(tzinfo=tz),
                       st.datetimes(datetime(1990, 1, 1), datetime(2030, 1, 1)), _TZ)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5),
                     st.floats(-5, 5, allow_nan=False), st.sampled_from([-0.0, 0.0]),
                     st.text("ab%_\\\n", max_size=4), _DATETIMES)
VALUES = st.one_of(st.just(MISSING), _SCALARS, st.lists(_SCALARS, max_size=2),
                   st.dictionaries(st.sampled_from("xy"), _SCALARS, max_size=2))
_ORDERED = st.one_of(st.integers(-5, 5), st.floats(-5, 5, allow_nan=False),
                     st.text("ab", max_size=3), _DATETIMES)


@st.composite
def filters(draw: st.DrawFn) -> Filter:
    op = draw(st.sampled_from(list(Operator)))
    if op in (Operator.EXISTS, Operator.NOT_EXISTS):
        operand: Any = None
    elif op in (Operator.IN, Operator.NOT_IN):
        operand = draw(st.lists(st.one_of(_SCALARS.filter(lambda v: v is not None),
                                          st.lists(st.integers(0, 2), max_size=2)),
                                max_size=3))
    elif op in (Operator.BETWEEN, Operator.NOT_BETWEEN):
        low = draw(_ORDERED)
        high = draw(_ORDERED.filter(lambda v: type(v) is type(low) or
                                    {type(v), type(low)} <= {int, float}))
        operand = [low, high]
    elif op in (Operator.LIKE, Operator.NOT_LIKE, Operator.ILIKE, Operator.STARTS_WITH):
        operand = draw(st.text("aAb%_\\\n", max_size=4))
    elif op is Operator.REGEX:
        operand = draw(st.sampled_from(["a", "^a", "a$", "a\\$", "b+", "^$", "[aA]"]))
    elif op in (Operator.EQ, Operator.NEQ):
        operand = draw(st.one_of(_SCALARS.filter(lambda v: v is not None),
                                 st.lists(st.integers(0, 2), max_size=2),
                                 st.dictionaries(st.sampled_from("xy"), st.integers(0, 2),
                                                 max_size=2)))
    else:
        operand = draw(_ORDERED)
    return Filter("f", op, operand)


@settings(max_examples=1500, derandomize=True, database=None)
@given(filters(), VALUES)
def test_generated_code_agrees_with_the_operator_semantics(f: Filter, value: Any) -> None:
    data = {} if value is MISSING else {"f": value}
    expected = value_predicate(f.operator, f.value)(value)
    assert compiled(f).predicate(data) is expected, compiled(f).source
    assert f.matches(value) is expected


@settings(max_examples=300, derandomize=True, database=None)
@given(filters(), VALUES)
def test_nested_paths_use_the_same_semantics(f: Filter, value: Any) -> None:
    nested = Filter("a.f", f.operator, f.value)
    data = {"a": {} if value is MISSING else {"f": value}}
    assert compiled(nested).predicate(data) is value_predicate(f.operator, f.value)(value)
