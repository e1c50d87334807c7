"""docs/query-semantics.md as an executable specification.

Every numbered rule's examples are read from the page itself (not from the shipped copy) and
run against the memory adapter, sync, sync with hash indexes, and async; so the page cannot
drift from the reference. The shipped copy (``testing/spec_cases.json``) must equal the page,
and the checker must notice a wrong answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dataknobs_data import AsyncMemoryDatabase, Capabilities, MemoryDatabase, Operator, Query
from dataknobs_data.domain.errors import UnsupportedQueryError
from dataknobs_data.ports.preparation import normalize_query
from dataknobs_data.testing import spec_cases
from dataknobs_data.testing.spec_cases import (
    SpecExample,
    SpecFormatError,
    arun_example,
    load_examples,
    parse_spec,
    render_examples,
    run_example,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "query-semantics.md"
DOC_TEXT = DOC.read_text(encoding="utf-8")
EXAMPLES = load_examples(DOC_TEXT)
RULES = list(dict.fromkeys(ex.rule for ex in EXAMPLES))
INDEXED = ["v", "t", "tags", "team", "name", "x.y", "team.size"]


def of(rule: str) -> list[SpecExample]:
    return [ex for ex in EXAMPLES if ex.rule == rule]


# --- every rule on the reference ----------------------------------------------------------
@pytest.mark.parametrize("rule", RULES)
def test_rule_sync(rule: str) -> None:
    for example in of(rule):
        run_example(MemoryDatabase(), example)


@pytest.mark.parametrize("rule", RULES)
def test_rule_sync_indexed(rule: str) -> None:
    # hash indexes answer EQ/IN without a scan; they must never change an answer
    for example in of(rule):
        run_example(MemoryDatabase(indexes=INDEXED), example)


@pytest.mark.parametrize("rule", RULES)
async def test_rule_async(rule: str) -> None:
    for example in of(rule):
        db = AsyncMemoryDatabase()
        try:
            await arun_example(db, example)
        finally:
            await db.close()


# --- the page's shape ------------------------------------------------------------------------
def test_rules_are_numbered_without_gaps() -> None:
    assert [f"R{n}" for n in range(1, len(RULES) + 1)] == RULES
    assert len(RULES) >= 70


def test_every_operator_has_an_answering_example() -> None:
    used: set[Operator] = set()
    for example in EXAMPLES:
        if example.raises is None:
            used |= example.operators()
    assert used == set(Operator), sorted(op.name for op in set(Operator) - used)


def test_every_rule_of_the_design_has_a_rule() -> None:
    # the decisions DESIGN.md says must not vary, each named by a rule title
    titles = " | ".join(ex.title.lower() for ex in EXAMPLES)
    for phrase in ("booleans are not numbers", "exists: present and not null",
                   "not is the exact complement", "negated operator", "code point",
                   "instants", "read as utc", "dots always split", "type rank",
                   "missing and null sort last", "ties by id", "ilike ignores case",
                   "regex searches anywhere", "portable subset", "lone trailing backslash",
                   "no any-element semantics", "count(query)"):
        assert phrase in titles, phrase


def test_every_example_is_well_formed() -> None:
    for example in EXAMPLES:
        if example.raises is not None:
            assert example.expect is None and not example.records, example.name
            continue
        example.build_query()
        assert example.expect is not None
        assert set(example.expect) <= set(example.records), example.name
        assert len(set(example.expect)) == len(example.expect), example.name
        query = example.build_query()
        if query.offset_value is None and query.limit_value is None:
            assert example.count is None, f"{example.name}: count is implied"
        if example.data is not None:
            assert len(example.data) == len(example.expect), example.name


# --- the shipped copy ----------------------------------------------------------------------
def test_shipped_copy_equals_the_page() -> None:
    # json.dumps tells 1, 1.0 and True apart, which == does not
    assert json.dumps(spec_cases.RAW_EXAMPLES) == json.dumps(parse_spec(DOC_TEXT)), (
        "testing/spec_cases.json is out of date: run "
        "`python -m dataknobs_data.testing.spec_cases docs/query-semantics.md --write`")


def test_shipped_file_is_what_regeneration_writes() -> None:
    assert spec_cases.SPEC_DATA.read_text(encoding="utf-8") == \
        render_examples(parse_spec(DOC_TEXT))


def test_shipped_rule_ids_and_examples() -> None:
    assert spec_cases.spec_rule_ids() == RULES
    assert [ex.name for ex in spec_cases.SPEC_EXAMPLES] == [ex.name for ex in EXAMPLES]
    assert spec_cases.examples_of("R1") == of("R1")


def test_main_reports_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert spec_cases.main([str(DOC)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert spec_cases.main([]) == 2


# --- the parser refuses a broken page --------------------------------------------------------
_GOOD = """### R1. First
```json spec
{"records": {"a": {"v": 1}}, "query": {}, "expect": ["a"]}
```
"""


@pytest.mark.parametrize(("page", "message"), [
    (_GOOD.replace("R1.", "R2."), "R2 found where R1 is due"),
    (_GOOD + "### R2. Second\nno example\n", "rules without an example: R2"),
    ("## Intro\n" + _GOOD.split("\n", 1)[1], "outside a numbered rule"),
    (_GOOD.replace('"expect"', '"expected"'), "unknown keys"),
    (_GOOD.replace(', "expect": ["a"]', ""), "exactly one of"),
    (_GOOD.replace('"expect": ["a"]', '"expect": [], "raises": "QueryError"'),
     "exactly one of"),
    (_GOOD.replace('"expect": ["a"]', '"raises": "KeyError"'), "unknown error"),
    (_GOOD.replace("{\"records\"", "{records"), "bad JSON"),
    (_GOOD.rsplit("```", 1)[0], "unterminated"),
])
def test_parser_rejects(page: str, message: str) -> None:
    with pytest.raises(SpecFormatError, match=message):
        parse_spec(page)


def test_parser_decodes_datetimes_and_numbers() -> None:
    page = _GOOD.replace('{"v": 1}', '{"v": 1.0, "t": {"$datetime": "2020-01-01T00:00:00"}}')
    (example,) = load_examples(page)
    data = example.records["a"]
    assert type(data["v"]) is float
    assert data["t"].isoformat() == "2020-01-01T00:00:00"
    assert example.name == "R1.1" and example.title == "First"


# --- the checker notices wrong answers -----------------------------------------------------
class _ReversedMemory(MemoryDatabase):
    def search(self, query: Query | None = None) -> Any:
        return list(reversed(super().search(query)))


class _CountsOneMore(MemoryDatabase):
    def count(self, query: Query | None = None) -> int:
        return super().count(query) + 1


class _DeclaresRegexUnsupported(MemoryDatabase):
    """Declares REGEX unsupported but skips the port's central check (as an adapter with a
    port of its own might), so the checker must notice that it still answers."""

    capabilities = Capabilities(unsupported_operators=frozenset({Operator.REGEX}))

    def _supported(self, query: Query | None) -> Query:
        return normalize_query(query)


class _RefusesRegex(_DeclaresRegexUnsupported):
    def search(self, query: Query | None = None) -> Any:
        self._refuse(query)
        return super().search(query)

    def count(self, query: Query | None = None) -> int:
        self._refuse(query)
        return super().count(query)

    def stream_read(self, query: Query | None = None, config: Any = None) -> Any:
        self._refuse(query)
        return super().stream_read(query, config)

    def _refuse(self, query: Query | None) -> None:
        if query is not None and "regex" in repr(query.to_dict()).lower():
            raise UnsupportedQueryError("no REGEX here")


def test_checker_notices_wrong_order() -> None:
    with pytest.raises(AssertionError, match="expected ids"):
        run_example(_ReversedMemory(), of("R58")[0])


def test_checker_notices_wrong_count() -> None:
    with pytest.raises(AssertionError, match="expected count"):
        run_example(_CountsOneMore(), of("R58")[0])


def test_checker_notices_wrong_projection() -> None:
    example = of("R70")[0]
    wrong = SpecExample(example.rule, example.title, 1, example.records, example.query,
                        example.expect, None, [{"name": "Ada"}, {"name": "Bob"}])
    with pytest.raises(AssertionError, match="expected data"):
        run_example(MemoryDatabase(), wrong)


def test_checker_tells_int_from_float_in_projections() -> None:
    example = of("R73")[0]
    wrong = SpecExample(example.rule, example.title, 1, example.records, example.query,
                        example.expect, example.count, [{"v": 2.0}])
    with pytest.raises(AssertionError, match="expected data"):
        run_example(MemoryDatabase(), wrong)


def test_checker_notices_a_query_that_should_fail() -> None:
    example = of("R47")[0]
    wrong = SpecExample(example.rule, example.title, 1, {}, example.query, raises="QueryError")
    with pytest.raises(AssertionError, match="expected QueryError"):
        run_example(MemoryDatabase(), wrong)


class _StreamsRegexAnyway(_RefusesRegex):
    def stream_read(self, query: Query | None = None, config: Any = None) -> Any:
        return MemoryDatabase.stream_read(self, query, config)


def test_unsupported_operator_must_raise() -> None:
    regex = of("R47")[0]
    with pytest.raises(AssertionError, match="search did not raise UnsupportedQueryError"):
        run_example(_DeclaresRegexUnsupported(), regex)
    with pytest.raises(AssertionError, match="stream_read did not raise"):
        run_example(_StreamsRegexAnyway(), regex)
    run_example(_RefusesRegex(), regex)
    run_example(_RefusesRegex(), of("R58")[0])  # other operators still answer


async def test_unsupported_operator_must_raise_async() -> None:
    class Declares(AsyncMemoryDatabase):
        capabilities = Capabilities(unsupported_operators=frozenset({Operator.REGEX}))

        def _supported(self, query: Query | None) -> Query:
            return normalize_query(query)  # skip the port's central check

    db = Declares()
    with pytest.raises(AssertionError, match="search did not raise UnsupportedQueryError"):
        await arun_example(db, of("R47")[0])
    await db.close()


def test_mixed_kind_paths() -> None:
    assert of("R1")[0].mixed_kind_paths() == ["v"]
    assert of("R16")[0].mixed_kind_paths() == ["v[]"]
    assert of("R17")[0].mixed_kind_paths() == ["v.y"]
    assert of("R58")[0].mixed_kind_paths() == []
    assert of("R25")[0].mixed_kind_paths() == []  # naive and aware are both datetimes
