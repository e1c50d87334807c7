"""The executable examples of the query-semantics specification, shipped with the package.

docs/query-semantics.md states every rule of the query semantics as a numbered rule (R1,
R2, ...) with one or more examples in fenced ``json spec`` blocks: the records stored, a
query in ``Query.from_dict`` form, and the ids it returns in order (or the error building it
raises). The documentation does not ship with the package, so this module carries a copy of
those examples (``RAW_EXAMPLES``, generated from the page; a test in the repository fails when
the two disagree) and the code that reads and checks them:

- ``parse_spec(markdown)`` reads the examples out of the page;
- ``SPEC_EXAMPLES`` / ``examples_of(rule)`` are the decoded ``SpecExample`` objects;
- ``run_example(db, example)`` stores the records in an empty (sync) database, runs the query
  and raises ``AssertionError`` describing any difference; ``arun_example`` does the same on
  an ``AsyncDatabase``. Both respect the database's capability flags.

The conformance suite's ``SpecRuleTests`` runs every rule on any adapter. After editing the
page, regenerate the copy with::

    python -m dataknobs_data.testing.spec_cases docs/query-semantics.md --write
"""

from __future__ import annotations

import json
import pprint
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain import codec
from ..domain.errors import QueryError, UnsupportedQueryError
from ..domain.query import Condition, Filter, Operator, Query
from ..domain.records import Record
from ..domain.values import type_rank

SPEC_FENCE = "json spec"
_RULE_HEADING = re.compile(r"^### (R\d+)\. (.+?)\s*$")
_EXAMPLE_KEYS = {"records", "query", "expect", "count", "data", "raises"}
_ERRORS: dict[str, type[Exception]] = {"QueryError": QueryError}


class SpecFormatError(ValueError):
    """The specification page breaks the example format (message names the line)."""


def parse_spec(markdown: str) -> list[dict[str, Any]]:
    """The examples of the page, in order, as raw JSON-shaped dicts.

    Each is ``{"rule": "R7", "title": "...", "example": {...}}``, the example exactly as
    written (datetimes still in their ``{"$datetime": ...}`` form). Rules must be numbered
    R1, R2, ... without gaps, each with at least one example; a ``json spec`` block outside
    a rule, an unknown key, or an example without exactly one of ``expect`` and ``raises``
    raises ``SpecFormatError``."""
    out: list[dict[str, Any]] = []
    rule: str | None = None
    title = ""
    seen: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = _RULE_HEADING.match(line)
        if heading:
            rule, title = heading.group(1), heading.group(2)
            expected = f"R{len(seen) + 1}"
            if rule != expected:
                raise SpecFormatError(f"line {i + 1}: rule {rule} found where {expected} is due")
            seen.append(rule)
        elif line.startswith("## ") or line.startswith("### "):
            rule = None
        elif line.strip() == "```" + SPEC_FENCE:
            start = i + 1
            end = start
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            if end >= len(lines):
                raise SpecFormatError(f"line {i + 1}: unterminated ```{SPEC_FENCE} block")
            if rule is None:
                raise SpecFormatError(f"line {i + 1}: example outside a numbered rule")
            try:
                example = json.loads("\n".join(lines[start:end]))
            except json.JSONDecodeError as err:
                raise SpecFormatError(f"line {i + 1} ({rule}): bad JSON: {err}") from err
            _check_raw_example(example, f"line {i + 1} ({rule})")
            out.append({"rule": rule, "title": title, "example": example})
            i = end
        i += 1
    with_examples = {item["rule"] for item in out}
    missing = [r for r in seen if r not in with_examples]
    if missing:
        raise SpecFormatError(f"rules without an example: {', '.join(missing)}")
    return out


def _check_raw_example(example: Any, where: str) -> None:
    if not isinstance(example, dict):
        raise SpecFormatError(f"{where}: an example is a JSON object")
    unknown = set(example) - _EXAMPLE_KEYS
    if unknown:
        raise SpecFormatError(f"{where}: unknown keys {sorted(unknown)}")
    if "query" not in example or not isinstance(example.get("records", {}), dict):
        raise SpecFormatError(f"{where}: needs 'query' and 'records' (id -> data)")
    if ("expect" in example) == ("raises" in example):
        raise SpecFormatError(f"{where}: needs exactly one of 'expect' and 'raises'")
    if "raises" in example and example["raises"] not in _ERRORS:
        raise SpecFormatError(f"{where}: unknown error {example['raises']!r}")


@dataclass(frozen=True)
class SpecExample:
    """One decoded example of a numbered rule."""

    rule: str
    title: str
    number: int  # 1-based, within the rule
    records: dict[str, dict[str, Any]]
    query: dict[str, Any]
    expect: list[str] | None = None
    count: int | None = None
    data: list[dict[str, Any]] | None = None
    raises: str | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any], number: int) -> SpecExample:
        """Decode one ``parse_spec`` item (typed-JSON datetimes become datetimes)."""
        ex = raw["example"]
        return cls(
            rule=raw["rule"],
            title=raw["title"],
            number=number,
            records=codec.decode(ex.get("records", {})),
            query=codec.decode(ex["query"]),
            expect=ex.get("expect"),
            count=ex.get("count"),
            data=codec.decode(ex["data"]) if "data" in ex else None,
            raises=ex.get("raises"),
        )

    @property
    def name(self) -> str:
        """``R7.2``: the rule and the example's number in it."""
        return f"{self.rule}.{self.number}"

    def build_query(self) -> Query:
        """The example's query (raises ``QueryError`` for the malformed ones)."""
        return Query.from_dict(self.query)

    def build_records(self) -> list[Record]:
        """Fresh records to store, in the page's order."""
        return [Record(codec.decode(codec.encode(data)), id=rid)
                for rid, data in self.records.items()]

    def operators(self) -> set[Operator]:
        """Every operator the query uses."""
        found: set[Operator] = set()

        def walk(condition: Condition) -> None:
            if isinstance(condition, Filter):
                found.add(condition.operator)
            else:
                for child in condition.conditions:
                    walk(child)

        for condition in self.build_query().filters:
            walk(condition)
        return found

    @property
    def expected_count(self) -> int:
        """What ``count(query)`` must return."""
        if self.count is not None:
            return self.count
        return len(self.expect or [])

    def mixed_kind_paths(self) -> list[str]:
        """Paths holding non-null values of different kinds (docs: "Kinds of value") in
        different records, or inside one list; empty when every path keeps one kind.
        Adapters declaring ``mixed_type_fields=False`` skip such examples."""
        kinds: dict[str, set[int]] = {}

        def walk(path: str, value: Any) -> None:
            if value is None:
                return
            kinds.setdefault(path, set()).add(type_rank(value))
            if isinstance(value, dict):
                for key, item in value.items():
                    walk(f"{path}.{key}", item)
            elif isinstance(value, list):
                for item in value:
                    walk(f"{path}[]", item)

        for data in self.records.values():
            for key, value in data.items():
                walk(key, value)
        return sorted(path for path, seen in kinds.items() if len(seen) > 1)

    def describe(self) -> str:
        """The example in a few lines, for assertion messages."""
        return (f"{self.name} ({self.title})\n  records: {self.records!r}\n"
                f"  query: {self.query!r}")


def _examples(raw: list[dict[str, Any]]) -> list[SpecExample]:
    out: list[SpecExample] = []
    numbers: dict[str, int] = {}
    for item in raw:
        numbers[item["rule"]] = numbers.get(item["rule"], 0) + 1
        out.append(SpecExample.from_raw(item, numbers[item["rule"]]))
    return out


def load_examples(markdown: str) -> list[SpecExample]:
    """The decoded examples of a specification page."""
    return _examples(parse_spec(markdown))


# --- checking one example -------------------------------------------------------------------
def _typed(value: Any) -> Any:
    """A comparable form that tells 1, 1.0 and True apart (and naive from aware datetimes)."""
    if isinstance(value, dict):
        return ("object", {k: _typed(v) for k, v in value.items()})
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    if isinstance(value, datetime):
        return ("datetime", value.isoformat())
    return (type(value).__name__, value)


def check_raises(example: SpecExample) -> None:
    """For a ``raises`` example: building the query must raise that error."""
    error = _ERRORS[example.raises or ""]
    try:
        example.build_query()
    except error:
        return
    raise AssertionError(f"{example.describe()}\n  expected {example.raises}, none raised")


def check_answer(example: SpecExample, records: list[Record], count: int) -> None:
    """Compare a search's records and the count with the example's expectations."""
    got = [r.id for r in records]
    if got != example.expect:
        raise AssertionError(f"{example.describe()}\n  expected ids {example.expect}\n"
                             f"  got ids      {got}")
    if count != example.expected_count:
        raise AssertionError(f"{example.describe()}\n  expected count "
                             f"{example.expected_count}, got {count}")
    if example.data is not None:
        data = [r.data for r in records]
        if _typed(data) != _typed(example.data):
            raise AssertionError(f"{example.describe()}\n  expected data {example.data!r}\n"
                                 f"  got data      {data!r}")


def unsupported_operators(example: SpecExample, capabilities: Any) -> set[Operator]:
    """The operators of the example's query that the backend declares unsupported."""
    return example.operators() & set(capabilities.unsupported_operators)


def run_example(db: Any, example: SpecExample) -> None:
    """Run one example on an empty sync database; ``AssertionError`` on any difference.

    When the query uses an operator the database declares unsupported, ``search`` and
    ``count`` must raise ``UnsupportedQueryError`` instead. Leaves the records stored."""
    if example.raises is not None:
        check_raises(example)
        return
    query = example.build_query()
    if example.records:
        db.create_batch(example.build_records())
    unsupported = unsupported_operators(example, db.capabilities)
    if unsupported:
        names = sorted(op.name for op in unsupported)
        for call in (db.search, db.count):
            try:
                call(query)
            except UnsupportedQueryError:
                continue
            raise AssertionError(f"{example.describe()}\n  {call.__name__} did not raise "
                                 f"UnsupportedQueryError for unsupported {names}")
        return
    check_answer(example, db.search(query), db.count(query))


async def arun_example(db: Any, example: SpecExample) -> None:
    """``run_example`` for an ``AsyncDatabase``."""
    if example.raises is not None:
        check_raises(example)
        return
    query = example.build_query()
    if example.records:
        await db.create_batch(example.build_records())
    unsupported = unsupported_operators(example, db.capabilities)
    if unsupported:
        names = sorted(op.name for op in unsupported)
        for call in (db.search, db.count):
            try:
                await call(query)
            except UnsupportedQueryError:
                continue
            raise AssertionError(f"{example.describe()}\n  {call.__name__} did not raise "
                                 f"UnsupportedQueryError for unsupported {names}")
        return
    check_answer(example, await db.search(query), await db.count(query))


# --- regeneration -----------------------------------------------------------------------------
_BEGIN = "# --- generated from docs/query-semantics.md by main(); do not edit by hand ---"
_END = "# --- end of generated examples ---"


def render_examples(raw: list[dict[str, Any]]) -> str:
    """The Python source of ``RAW_EXAMPLES`` for ``raw`` (ASCII only, lines under 100)."""
    body = pprint.pformat(raw, width=96, sort_dicts=False)
    body = body.encode("ascii", "backslashreplace").decode("ascii")
    return f"{_BEGIN}\nRAW_EXAMPLES: list[dict[str, Any]] = {body}\n{_END}"


def regenerate(markdown: str, module_source: str) -> str:
    """``module_source`` with its generated section rebuilt from ``markdown``."""
    # the markers stand alone on their lines (their constants above are not)
    begin = module_source.index(f"\n{_BEGIN}\n") + 1
    end = module_source.index(f"\n{_END}\n", begin) + 1 + len(_END)
    return module_source[:begin] + render_examples(parse_spec(markdown)) + module_source[end:]


def main(argv: list[str] | None = None) -> int:
    """``python -m dataknobs_data.testing.spec_cases PAGE [--write]``: check or rewrite."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        print("usage: python -m dataknobs_data.testing.spec_cases PAGE.md [--write]")
        return 2
    page = Path(args[0]).read_text(encoding="utf-8")
    here = Path(__file__)
    current = here.read_text(encoding="utf-8")
    fresh = regenerate(page, current)
    if fresh == current:
        print("spec_cases is up to date")
        return 0
    if "--write" in args:
        here.write_text(fresh, encoding="utf-8")
        print(f"rewrote {here.name} ({len(parse_spec(page))} examples)")
        return 0
    print("spec_cases is out of date; rerun with --write")
    return 1


def spec_rule_ids() -> list[str]:
    """R1, R2, ... in order."""
    return list(dict.fromkeys(ex.rule for ex in SPEC_EXAMPLES))


def examples_of(rule: str) -> list[SpecExample]:
    """The examples of one rule."""
    return [ex for ex in SPEC_EXAMPLES if ex.rule == rule]


def iter_examples() -> Iterator[SpecExample]:
    """Every example, in the page's order."""
    return iter(SPEC_EXAMPLES)


# fmt: off
# --- generated from docs/query-semantics.md by main(); do not edit by hand ---
RAW_EXAMPLES: list[dict[str, Any]] = [{'rule': 'R1',
  'title': 'Values of different kinds are never equal',
  'example': {'records': {'a': {'v': True},
                          'b': {'v': 1},
                          'c': {'v': 1.0},
                          'd': {'v': '1'},
                          'e': {'v': [1]},
                          'f': {'v': {'v': 1}}},
              'query': {'filters': [{'field': 'v', 'operator': 'EQ', 'value': 1}]},
              'expect': ['b', 'c']}},
 {'rule': 'R2',
  'title': 'Booleans are not numbers',
  'example': {'records': {'a': {'v': True}, 'b': {'v': 1}, 'c': {'v': 0}, 'd': {'v': False}},
              'query': {'filters': [{'field': 'v', 'operator': 'EQ', 'value': True}]},
              'expect': ['a']}},
 {'rule': 'R2',
  'title': 'Booleans are not numbers',
  'example': {'records': {'a': {'v': True}, 'b': {'v': 1}, 'c': {'v': 0}, 'd': {'v': False}},
              'query': {'filters': [{'field': 'v', 'operator': 'EQ', 'value': 0}]},
              'expect': ['c']}},
 {'rule': 'R3',
  'title': 'Numbers compare by value, int and float mixed',
  'example': {'records': {'a': {'v': 7}, 'b': {'v': 7.0}, 'c': {'v': 7.5}, 'd': {'v': -7}},
              'query': {'filters': [{'field': 'v', 'operator': 'EQ', 'value': 7.0}]},
              'expect': ['a', 'b']}},
 {'rule': 'R3',
  'title': 'Numbers compare by value, int and float mixed',
  'example': {'records': {'a': {'v': 7}, 'b': {'v': 7.0}, 'c': {'v': 7.5}, 'd': {'v': -7}},
              'query': {'filters': [{'field': 'v', 'operator': 'GT', 'value': 7}]},
              'expect': ['c']}},
 {'rule': 'R4',
  'title': 'Integers are exact to 64 bits',
  'example': {'records': {'a': {'v': 4611686018427387904}, 'b': {'v': 4611686018427387905}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'EQ',
                                     'value': 4611686018427387905}]},
              'expect': ['b']}},
 {'rule': 'R4',
  'title': 'Integers are exact to 64 bits',
  'example': {'records': {'a': {'v': 4611686018427387904}, 'b': {'v': 4611686018427387905}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'GT',
                                     'value': 4611686018427387904}]},
              'expect': ['b']}},
 {'rule': 'R5',
  'title': 'No coercion between kinds',
  'example': {'records': {'a': {'v': 30}, 'b': {'v': '30'}},
              'query': {'filters': [{'field': 'v', 'operator': 'EQ', 'value': '30'}]},
              'expect': ['b']}},
 {'rule': 'R5',
  'title': 'No coercion between kinds',
  'example': {'records': {'a': {'v': 30}, 'b': {'v': '30'}, 'c': {'v': '5'}},
              'query': {'filters': [{'field': 'v', 'operator': 'GTE', 'value': 0}]},
              'expect': ['a']}},
 {'rule': 'R6',
  'title': 'Dotted paths reach into nested objects, at any depth',
  'example': {'records': {'a': {'team': {'lead': {'name': 'Ada'}}},
                          'b': {'team': {'lead': {'name': 'Bob'}}},
                          'c': {'team': {'name': 'Ada'}}},
              'query': {'filters': [{'field': 'team.lead.name',
                                     'operator': 'EQ',
                                     'value': 'Ada'}]},
              'expect': ['a']}},
 {'rule': 'R7',
  'title': 'Dots always split',
  'example': {'records': {'a': {'x.y': 1}, 'b': {'x': {'y': 1}}, 'c': {'x': {'y.z': 1}}},
              'query': {'filters': [{'field': 'x.y', 'operator': 'EQ', 'value': 1}]},
              'expect': ['b']}},
 {'rule': 'R7',
  'title': 'Dots always split',
  'example': {'records': {'a': {'x.y': 1}, 'b': {'x': {'y': 1}}, 'c': {'x': {'y.z': 1}}},
              'query': {'filters': [{'field': 'x.y', 'operator': 'EXISTS'}]},
              'expect': ['b']}},
 {'rule': 'R8',
  'title': 'A path through anything but an object is missing',
  'example': {'records': {'a': {'x': [{'y': 1}]},
                          'b': {'x': 'y'},
                          'c': {'x': None},
                          'd': {'x': {'y': 1}},
                          'e': {}},
              'query': {'filters': [{'field': 'x.y', 'operator': 'EXISTS'}]},
              'expect': ['d']}},
 {'rule': 'R8',
  'title': 'A path through anything but an object is missing',
  'example': {'records': {'a': {'x': [{'y': 1}]},
                          'b': {'x': 'y'},
                          'c': {'x': None},
                          'd': {'x': {'y': 1}},
                          'e': {}},
              'query': {'filters': [{'field': 'x.y', 'operator': 'NOT_EXISTS'}]},
              'expect': ['a', 'b', 'c', 'e']}},
 {'rule': 'R9',
  'title': 'EXISTS: present and not null',
  'example': {'records': {'a': {'v': None},
                          'b': {},
                          'c': {'v': ''},
                          'd': {'v': 0},
                          'e': {'v': False},
                          'f': {'v': []},
                          'g': {'v': {}}},
              'query': {'filters': [{'field': 'v', 'operator': 'EXISTS'}]},
              'expect': ['c', 'd', 'e', 'f', 'g']}},
 {'rule': 'R10',
  'title': 'NOT_EXISTS: missing or null',
  'example': {'records': {'a': {'v': None},
                          'b': {},
                          'c': {'v': ''},
                          'd': {'v': 0},
                          'e': {'v': False},
                          'f': {'v': []},
                          'g': {'v': {}}},
              'query': {'filters': [{'field': 'v', 'operator': 'NOT_EXISTS'}]},
              'expect': ['a', 'b']}},
 {'rule': 'R11',
  'title': 'A positive comparison is false when the field has no value',
  'example': {'records': {'a': {'v': None}, 'b': {}, 'c': {'v': 'x'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': '%'}]},
              'expect': ['c']}},
 {'rule': 'R11',
  'title': 'A positive comparison is false when the field has no value',
  'example': {'records': {'a': {'v': None}, 'b': {}, 'c': {'v': 'x'}},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': ''}]},
              'expect': ['c']}},
 {'rule': 'R11',
  'title': 'A positive comparison is false when the field has no value',
  'example': {'records': {'a': {'v': None}, 'b': {}, 'c': {'v': 5}},
              'query': {'filters': [{'field': 'v', 'operator': 'LT', 'value': 1000000}]},
              'expect': ['c']}},
 {'rule': 'R12',
  'title': 'A negated operator is true exactly when the field has a value and the positive is '
           'false',
  'example': {'records': {'a': {'v': None}, 'b': {}, 'c': {'v': 1}, 'd': {'v': 2}},
              'query': {'filters': [{'field': 'v', 'operator': 'NEQ', 'value': 1}]},
              'expect': ['d']}},
 {'rule': 'R12',
  'title': 'A negated operator is true exactly when the field has a value and the positive is '
           'false',
  'example': {'records': {'a': {'v': None}, 'b': {}, 'c': {'v': 1}, 'd': {'v': 2}},
              'query': {'filters': [{'field': 'v', 'operator': 'NOT_IN', 'value': [1]}]},
              'expect': ['d']}},
 {'rule': 'R12',
  'title': 'A negated operator is true exactly when the field has a value and the positive is '
           'false',
  'example': {'records': {'a': {'v': None}, 'b': {}, 'c': {'v': 1}, 'd': {'v': 2}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'NOT_BETWEEN',
                                     'value': [1, 1]}]},
              'expect': ['d']}},
 {'rule': 'R12',
  'title': 'A negated operator is true exactly when the field has a value and the positive is '
           'false',
  'example': {'records': {'a': {'v': None}, 'b': {}, 'c': {'v': 'x'}, 'd': {'v': 'y'}},
              'query': {'filters': [{'field': 'v', 'operator': 'NOT_LIKE', 'value': 'x'}]},
              'expect': ['d']}},
 {'rule': 'R13',
  'title': 'A null operand is rejected',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'EQ', 'value': None}]},
              'raises': 'QueryError'}},
 {'rule': 'R13',
  'title': 'A null operand is rejected',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'NEQ', 'value': None}]},
              'raises': 'QueryError'}},
 {'rule': 'R14',
  'title': 'Strings are equal when their code points are equal',
  'example': {'records': {'a': {'v': 'Ada'}, 'b': {'v': 'ada'}, 'c': {'v': 'Ada '}},
              'query': {'filters': [{'field': 'v', 'operator': 'EQ', 'value': 'Ada'}]},
              'expect': ['a']}},
 {'rule': 'R14',
  'title': 'Strings are equal when their code points are equal',
  'example': {'records': {'a': {'v': '\xe9'}, 'b': {'v': 'e\u0301'}},
              'query': {'filters': [{'field': 'v', 'operator': 'EQ', 'value': '\xe9'}]},
              'expect': ['a']}},
 {'rule': 'R15',
  'title': 'NEQ across kinds is true',
  'example': {'records': {'a': {'v': 30}, 'b': {'v': '30'}, 'c': {'v': 30.0}, 'd': {'v': True}},
              'query': {'filters': [{'field': 'v', 'operator': 'NEQ', 'value': 30}]},
              'expect': ['b', 'd']}},
 {'rule': 'R16',
  'title': 'Lists are equal element by element, in order',
  'example': {'records': {'a': {'v': [1, 2]},
                          'b': {'v': [1.0, 2.0]},
                          'c': {'v': [2, 1]},
                          'd': {'v': [True, 2]},
                          'e': {'v': [1, 2, None]},
                          'f': {'v': [1]}},
              'query': {'filters': [{'field': 'v', 'operator': 'EQ', 'value': [1, 2]}]},
              'expect': ['a', 'b']}},
 {'rule': 'R16',
  'title': 'Lists are equal element by element, in order',
  'example': {'records': {'a': {'v': [1, None]}, 'b': {'v': [1]}, 'c': {'v': [1, 0]}},
              'query': {'filters': [{'field': 'v', 'operator': 'EQ', 'value': [1, None]}]},
              'expect': ['a']}},
 {'rule': 'R17',
  'title': 'Objects are equal key by key, whatever the key order',
  'example': {'records': {'a': {'v': {'x': 1, 'y': 2}},
                          'b': {'v': {'y': 2.0, 'x': 1}},
                          'c': {'v': {'x': 1}},
                          'd': {'v': {'x': 1, 'y': 2, 'z': None}},
                          'e': {'v': {'x': 1, 'y': '2'}}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'EQ',
                                     'value': {'x': 1, 'y': 2}}]},
              'expect': ['a', 'b']}},
 {'rule': 'R18',
  'title': 'Lists have no any-element semantics',
  'example': {'records': {'a': {'tags': ['x', 'y']}, 'b': {'tags': ['x']}, 'c': {'tags': []}},
              'query': {'filters': [{'field': 'tags', 'operator': 'EQ', 'value': 'x'}]},
              'expect': []}},
 {'rule': 'R18',
  'title': 'Lists have no any-element semantics',
  'example': {'records': {'a': {'tags': ['x', 'y']}, 'b': {'tags': ['x']}, 'c': {'tags': []}},
              'query': {'filters': [{'field': 'tags', 'operator': 'NEQ', 'value': 'x'}]},
              'expect': ['a', 'b', 'c']}},
 {'rule': 'R18',
  'title': 'Lists have no any-element semantics',
  'example': {'records': {'a': {'tags': ['x', 'y']}, 'b': {'tags': ['x']}, 'c': {'tags': []}},
              'query': {'filters': [{'field': 'tags', 'operator': 'EQ', 'value': ['x']}]},
              'expect': ['b']}},
 {'rule': 'R19',
  'title': 'Ordering and pattern operators never look inside lists or objects',
  'example': {'records': {'a': {'v': [5]}, 'b': {'v': 5}, 'c': {'v': {'n': 5}}},
              'query': {'filters': [{'field': 'v', 'operator': 'GT', 'value': 1}]},
              'expect': ['b']}},
 {'rule': 'R19',
  'title': 'Ordering and pattern operators never look inside lists or objects',
  'example': {'records': {'a': {'v': ['ab']}, 'b': {'v': 'ab'}, 'c': {'v': {'k': 'ab'}}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': 'a%'}]},
              'expect': ['b']}},
 {'rule': 'R20',
  'title': 'Numbers order by value, int and float mixed',
  'example': {'records': {'a': {'v': 1}, 'b': {'v': 1.5}, 'c': {'v': 2}, 'd': {'v': 2.0}},
              'query': {'filters': [{'field': 'v', 'operator': 'GTE', 'value': 2}]},
              'expect': ['c', 'd']}},
 {'rule': 'R20',
  'title': 'Numbers order by value, int and float mixed',
  'example': {'records': {'a': {'v': 1}, 'b': {'v': 1.5}, 'c': {'v': 2}, 'd': {'v': 2.0}},
              'query': {'filters': [{'field': 'v', 'operator': 'LT', 'value': 2}]},
              'expect': ['a', 'b']}},
 {'rule': 'R20',
  'title': 'Numbers order by value, int and float mixed',
  'example': {'records': {'a': {'v': 1}, 'b': {'v': 1.5}, 'c': {'v': 2}, 'd': {'v': 2.0}},
              'query': {'filters': [{'field': 'v', 'operator': 'LTE', 'value': 1.5}]},
              'expect': ['a', 'b']}},
 {'rule': 'R21',
  'title': 'Strings order by Unicode code point',
  'example': {'records': {'a': {'v': 'Zed'},
                          'b': {'v': 'apple'},
                          'c': {'v': '\xc9mile'},
                          'd': {'v': 'zebra'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LT', 'value': 'a'}]},
              'expect': ['a']}},
 {'rule': 'R21',
  'title': 'Strings order by Unicode code point',
  'example': {'records': {'a': {'v': 'Zed'},
                          'b': {'v': 'apple'},
                          'c': {'v': '\xc9mile'},
                          'd': {'v': 'zebra'}},
              'query': {'filters': [{'field': 'v', 'operator': 'GT', 'value': 'zz'}]},
              'expect': ['c']}},
 {'rule': 'R21',
  'title': 'Strings order by Unicode code point',
  'example': {'records': {'a': {'v': 'ab'}, 'b': {'v': 'abc'}, 'c': {'v': 'b'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LTE', 'value': 'abc'}]},
              'expect': ['a', 'b']}},
 {'rule': 'R22',
  'title': 'Characters beyond U+FFFF order after every other character',
  'example': {'records': {'a': {'v': '\uff5e'}, 'b': {'v': '\U0001f600'}},
              'query': {'filters': [{'field': 'v', 'operator': 'GT', 'value': '\uff5e'}]},
              'expect': ['b']}},
 {'rule': 'R22',
  'title': 'Characters beyond U+FFFF order after every other character',
  'example': {'records': {'a': {'v': '\uff5e'}, 'b': {'v': '\U0001f600'}},
              'query': {'sort': [{'field': 'v', 'order': 'desc'}]},
              'expect': ['b', 'a']}},
 {'rule': 'R23',
  'title': 'An ordering comparison across kinds is false',
  'example': {'records': {'a': {'v': 5},
                          'b': {'v': '5'},
                          'c': {'v': True},
                          'd': {'v': [5]},
                          'e': {'v': {'n': 5}},
                          'f': {'v': {'$datetime': '2020-01-01T00:00:00+00:00'}}},
              'query': {'filters': [{'field': 'v', 'operator': 'GT', 'value': 0}]},
              'expect': ['a']}},
 {'rule': 'R23',
  'title': 'An ordering comparison across kinds is false',
  'example': {'records': {'a': {'v': 5},
                          'b': {'v': '5'},
                          'c': {'v': True},
                          'd': {'v': [5]},
                          'e': {'v': {'n': 5}},
                          'f': {'v': {'$datetime': '2020-01-01T00:00:00+00:00'}}},
              'query': {'filters': [{'field': 'v', 'operator': 'LT', 'value': 'z'}]},
              'expect': ['b']}},
 {'rule': 'R24',
  'title': 'The operand of an ordering comparison is a number, a string or a datetime',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'GT', 'value': True}]},
              'raises': 'QueryError'}},
 {'rule': 'R24',
  'title': 'The operand of an ordering comparison is a number, a string or a datetime',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'LTE', 'value': [1]}]},
              'raises': 'QueryError'}},
 {'rule': 'R25',
  'title': 'Datetimes compare as instants',
  'example': {'records': {'a': {'t': {'$datetime': '2021-06-01T14:00:00+02:00'}},
                          'b': {'t': {'$datetime': '2021-06-01T12:00:00+00:00'}},
                          'c': {'t': {'$datetime': '2021-06-01T13:00:00+00:00'}}},
              'query': {'filters': [{'field': 't',
                                     'operator': 'EQ',
                                     'value': {'$datetime': '2021-06-01T12:00:00+00:00'}}]},
              'expect': ['a', 'b']}},
 {'rule': 'R25',
  'title': 'Datetimes compare as instants',
  'example': {'records': {'a': {'t': {'$datetime': '2021-06-01T14:00:00+02:00'}},
                          'b': {'t': {'$datetime': '2021-06-01T12:00:00+00:00'}},
                          'c': {'t': {'$datetime': '2021-06-01T13:00:00+00:00'}}},
              'query': {'filters': [{'field': 't',
                                     'operator': 'GT',
                                     'value': {'$datetime': '2021-06-01T14:30:00+02:00'}}]},
              'expect': ['c']}},
 {'rule': 'R26',
  'title': 'A naive datetime is read as UTC',
  'example': {'records': {'a': {'t': {'$datetime': '2021-06-01T12:00:00'}},
                          'b': {'t': {'$datetime': '2021-06-01T12:00:00+00:00'}},
                          'c': {'t': {'$datetime': '2021-06-01T14:00:00+02:00'}},
                          'd': {'t': {'$datetime': '2021-06-01T13:00:00'}}},
              'query': {'filters': [{'field': 't',
                                     'operator': 'EQ',
                                     'value': {'$datetime': '2021-06-01T12:00:00'}}]},
              'expect': ['a', 'b', 'c']}},
 {'rule': 'R26',
  'title': 'A naive datetime is read as UTC',
  'example': {'records': {'a': {'t': {'$datetime': '2021-06-01T12:00:00'}},
                          'b': {'t': {'$datetime': '2021-06-01T12:00:00+00:00'}},
                          'c': {'t': {'$datetime': '2021-06-01T14:00:00+02:00'}},
                          'd': {'t': {'$datetime': '2021-06-01T13:00:00'}}},
              'query': {'filters': [{'field': 't',
                                     'operator': 'GT',
                                     'value': {'$datetime': '2021-06-01T14:30:00+02:00'}}]},
              'expect': ['d']}},
 {'rule': 'R27',
  'title': 'Datetimes are exact to the microsecond',
  'example': {'records': {'a': {'t': {'$datetime': '2020-01-01T00:00:00.000001+00:00'}},
                          'b': {'t': {'$datetime': '2020-01-01T00:00:00+00:00'}}},
              'query': {'filters': [{'field': 't',
                                     'operator': 'GT',
                                     'value': {'$datetime': '2020-01-01T00:00:00+00:00'}}]},
              'expect': ['a']}},
 {'rule': 'R27',
  'title': 'Datetimes are exact to the microsecond',
  'example': {'records': {'a': {'t': {'$datetime': '2020-01-01T00:00:00.000001+00:00'}},
                          'b': {'t': {'$datetime': '2020-01-01T00:00:00+00:00'}}},
              'query': {'filters': [{'field': 't',
                                     'operator': 'EQ',
                                     'value': {'$datetime': '2020-01-01T00:00:00.000001+00:00'}}]},
              'expect': ['a']}},
 {'rule': 'R28',
  'title': 'A string is never a datetime',
  'example': {'records': {'a': {'t': '2020-01-01T00:00:00+00:00'},
                          'b': {'t': {'$datetime': '2020-01-01T00:00:00+00:00'}}},
              'query': {'filters': [{'field': 't',
                                     'operator': 'EQ',
                                     'value': {'$datetime': '2020-01-01T00:00:00+00:00'}}]},
              'expect': ['b']}},
 {'rule': 'R28',
  'title': 'A string is never a datetime',
  'example': {'records': {'a': {'t': '2020-01-01T00:00:00+00:00'},
                          'b': {'t': {'$datetime': '2020-01-01T00:00:00+00:00'}}},
              'query': {'filters': [{'field': 't', 'operator': 'GT', 'value': '2000'}]},
              'expect': ['a']}},
 {'rule': 'R29',
  'title': 'IN matches by EQ against each item',
  'example': {'records': {'a': {'v': 25},
                          'b': {'v': 40.0},
                          'c': {'v': '36'},
                          'd': {'v': True},
                          'e': {'v': 36}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'IN',
                                     'value': [25, 40, '36', 1]}]},
              'expect': ['a', 'b', 'c']}},
 {'rule': 'R29',
  'title': 'IN matches by EQ against each item',
  'example': {'records': {'a': {'v': 25},
                          'b': {'v': 40.0},
                          'c': {'v': '36'},
                          'd': {'v': True},
                          'e': {'v': 36}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'NOT_IN',
                                     'value': [25, 40, '36', 1]}]},
              'expect': ['d', 'e']}},
 {'rule': 'R30',
  'title': 'An empty IN list matches nothing; an empty NOT_IN list matches every value',
  'example': {'records': {'a': {'v': 1}, 'b': {'v': None}, 'c': {}},
              'query': {'filters': [{'field': 'v', 'operator': 'IN', 'value': []}]},
              'expect': []}},
 {'rule': 'R30',
  'title': 'An empty IN list matches nothing; an empty NOT_IN list matches every value',
  'example': {'records': {'a': {'v': 1}, 'b': {'v': None}, 'c': {}},
              'query': {'filters': [{'field': 'v', 'operator': 'NOT_IN', 'value': []}]},
              'expect': ['a']}},
 {'rule': 'R31',
  'title': 'IN items may be lists and objects, compared as whole values',
  'example': {'records': {'a': {'v': ['x', 'y']},
                          'b': {'v': 'x'},
                          'c': {'v': {'k': 1}},
                          'd': {'v': ['y', 'x']}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'IN',
                                     'value': [['x', 'y'], {'k': 1}]}]},
              'expect': ['a', 'c']}},
 {'rule': 'R31',
  'title': 'IN items may be lists and objects, compared as whole values',
  'example': {'records': {'a': {'v': ['x', 'y']},
                          'b': {'v': 'x'},
                          'c': {'v': {'k': 1}},
                          'd': {'v': ['y', 'x']}},
              'query': {'filters': [{'field': 'v', 'operator': 'IN', 'value': ['x']}]},
              'expect': ['b']}},
 {'rule': 'R32',
  'title': 'IN compares datetimes as instants',
  'example': {'records': {'a': {'t': {'$datetime': '2021-06-01T14:00:00+02:00'}},
                          'b': {'t': {'$datetime': '2021-06-01T14:00:00+00:00'}}},
              'query': {'filters': [{'field': 't',
                                     'operator': 'IN',
                                     'value': [{'$datetime': '2021-06-01T12:00:00'}]}]},
              'expect': ['a']}},
 {'rule': 'R33',
  'title': 'The IN operand must be a list without nulls',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'IN', 'value': [1, None]}]},
              'raises': 'QueryError'}},
 {'rule': 'R33',
  'title': 'The IN operand must be a list without nulls',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'NOT_IN', 'value': 'abc'}]},
              'raises': 'QueryError'}},
 {'rule': 'R34',
  'title': "BETWEEN is inclusive at both ends and matches only values of the bounds' kind",
  'example': {'records': {'a': {'v': 25},
                          'b': {'v': 30.5},
                          'c': {'v': 36},
                          'd': {'v': '30'},
                          'e': {'v': 40},
                          'f': {'v': True}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'BETWEEN',
                                     'value': [25, 36.0]}]},
              'expect': ['a', 'b', 'c']}},
 {'rule': 'R34',
  'title': "BETWEEN is inclusive at both ends and matches only values of the bounds' kind",
  'example': {'records': {'a': {'v': 25},
                          'b': {'v': 30.5},
                          'c': {'v': 36},
                          'd': {'v': '30'},
                          'e': {'v': 40},
                          'f': {'v': True}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'NOT_BETWEEN',
                                     'value': [25, 36.0]}]},
              'expect': ['d', 'e', 'f']}},
 {'rule': 'R35',
  'title': 'BETWEEN strings by code point, datetimes as instants',
  'example': {'records': {'a': {'v': 'b'},
                          'b': {'v': 'bz'},
                          'c': {'v': 'c'},
                          'd': {'v': 'C'},
                          'e': {'v': 'ca'}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'BETWEEN',
                                     'value': ['b', 'c']}]},
              'expect': ['a', 'b', 'c']}},
 {'rule': 'R35',
  'title': 'BETWEEN strings by code point, datetimes as instants',
  'example': {'records': {'a': {'t': {'$datetime': '2021-06-01T14:00:00+02:00'}},
                          'b': {'t': {'$datetime': '2021-06-01T14:00:00+00:00'}},
                          'c': {'t': {'$datetime': '2021-05-31T23:59:59'}}},
              'query': {'filters': [{'field': 't',
                                     'operator': 'BETWEEN',
                                     'value': [{'$datetime': '2021-06-01T00:00:00'},
                                               {'$datetime': '2021-06-01T12:00:00+00:00'}]}]},
              'expect': ['a']}},
 {'rule': 'R36',
  'title': 'A pair with low above high matches nothing, and its NOT_BETWEEN every value',
  'example': {'records': {'a': {'v': 3}, 'b': {'v': 'x'}, 'c': {'v': None}},
              'query': {'filters': [{'field': 'v', 'operator': 'BETWEEN', 'value': [5, 1]}]},
              'expect': []}},
 {'rule': 'R36',
  'title': 'A pair with low above high matches nothing, and its NOT_BETWEEN every value',
  'example': {'records': {'a': {'v': 3}, 'b': {'v': 'x'}, 'c': {'v': None}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'NOT_BETWEEN',
                                     'value': [5, 1]}]},
              'expect': ['a', 'b']}},
 {'rule': 'R37',
  'title': 'The bounds must be a pair of one orderable kind',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'BETWEEN', 'value': [1, '5']}]},
              'raises': 'QueryError'}},
 {'rule': 'R37',
  'title': 'The bounds must be a pair of one orderable kind',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'BETWEEN',
                                     'value': [False, True]}]},
              'raises': 'QueryError'}},
 {'rule': 'R37',
  'title': 'The bounds must be a pair of one orderable kind',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'NOT_BETWEEN', 'value': [1]}]},
              'raises': 'QueryError'}},
 {'rule': 'R38',
  'title': 'LIKE matches the whole string, case-sensitive',
  'example': {'records': {'a': {'v': 'Ada'},
                          'b': {'v': 'ada'},
                          'c': {'v': 'Adam'},
                          'd': {'v': 'Ad'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': 'Ad_'}]},
              'expect': ['a']}},
 {'rule': 'R38',
  'title': 'LIKE matches the whole string, case-sensitive',
  'example': {'records': {'a': {'v': 'Ada'},
                          'b': {'v': 'ada'},
                          'c': {'v': 'Adam'},
                          'd': {'v': 'Ad'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': 'Ad%'}]},
              'expect': ['a', 'c', 'd']}},
 {'rule': 'R38',
  'title': 'LIKE matches the whole string, case-sensitive',
  'example': {'records': {'a': {'v': 'Ada'}, 'b': {'v': ''}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': ''}]},
              'expect': ['b']}},
 {'rule': 'R39',
  'title': '`_` is one code point, and `%` and `_` match newlines',
  'example': {'records': {'a': {'v': '\xe9'},
                          'b': {'v': 'x\ny'},
                          'c': {'v': '\U0001f600'},
                          'd': {'v': 'ab'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': '_'}]},
              'expect': ['a', 'c']}},
 {'rule': 'R39',
  'title': '`_` is one code point, and `%` and `_` match newlines',
  'example': {'records': {'a': {'v': '\xe9'},
                          'b': {'v': 'x\ny'},
                          'c': {'v': '\U0001f600'},
                          'd': {'v': 'ab'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': 'x_y'}]},
              'expect': ['b']}},
 {'rule': 'R39',
  'title': '`_` is one code point, and `%` and `_` match newlines',
  'example': {'records': {'a': {'v': '\xe9'},
                          'b': {'v': 'x\ny'},
                          'c': {'v': '\U0001f600'},
                          'd': {'v': 'ab'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': 'x%'}]},
              'expect': ['b']}},
 {'rule': 'R40',
  'title': 'A backslash escapes the next character',
  'example': {'records': {'a': {'v': '50%'},
                          'b': {'v': '500'},
                          'c': {'v': 'a_b'},
                          'd': {'v': 'axb'},
                          'e': {'v': 'back\\slash'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': '50\\%'}]},
              'expect': ['a']}},
 {'rule': 'R40',
  'title': 'A backslash escapes the next character',
  'example': {'records': {'a': {'v': '50%'},
                          'b': {'v': '500'},
                          'c': {'v': 'a_b'},
                          'd': {'v': 'axb'},
                          'e': {'v': 'back\\slash'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': 'a\\_b'}]},
              'expect': ['c']}},
 {'rule': 'R40',
  'title': 'A backslash escapes the next character',
  'example': {'records': {'a': {'v': '50%'},
                          'b': {'v': '500'},
                          'c': {'v': 'a_b'},
                          'd': {'v': 'axb'},
                          'e': {'v': 'back\\slash'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': '%\\\\%'}]},
              'expect': ['e']}},
 {'rule': 'R41',
  'title': 'A lone trailing backslash matches a backslash; an escaped ordinary character is '
           'itself',
  'example': {'records': {'a': {'v': 'x\\'}, 'b': {'v': 'x'}, 'c': {'v': 'x\\\\'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': 'x\\'}]},
              'expect': ['a']}},
 {'rule': 'R41',
  'title': 'A lone trailing backslash matches a backslash; an escaped ordinary character is '
           'itself',
  'example': {'records': {'a': {'v': 'ab'}, 'b': {'v': '\\ab'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': '\\ab'}]},
              'expect': ['a']}},
 {'rule': 'R42',
  'title': 'Regular-expression characters are literal in LIKE',
  'example': {'records': {'a': {'v': 'a.c'},
                          'b': {'v': 'abc'},
                          'c': {'v': '[a]*'},
                          'd': {'v': 'a'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': 'a.c'}]},
              'expect': ['a']}},
 {'rule': 'R42',
  'title': 'Regular-expression characters are literal in LIKE',
  'example': {'records': {'a': {'v': 'a.c'},
                          'b': {'v': 'abc'},
                          'c': {'v': '[a]*'},
                          'd': {'v': 'a'}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': '[a]*'}]},
              'expect': ['c']}},
 {'rule': 'R43',
  'title': 'LIKE is false for non-strings, so NOT_LIKE is true for them',
  'example': {'records': {'a': {'v': 36}, 'b': {'v': '36'}, 'c': {'v': True}, 'd': {}},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': '3%'}]},
              'expect': ['b']}},
 {'rule': 'R43',
  'title': 'LIKE is false for non-strings, so NOT_LIKE is true for them',
  'example': {'records': {'a': {'v': 36}, 'b': {'v': '36'}, 'c': {'v': True}, 'd': {}},
              'query': {'filters': [{'field': 'v', 'operator': 'NOT_LIKE', 'value': '3%'}]},
              'expect': ['a', 'c']}},
 {'rule': 'R44',
  'title': 'ILIKE ignores case, for every alphabet',
  'example': {'records': {'a': {'v': 'ADA'},
                          'b': {'v': 'ada'},
                          'c': {'v': 'Ada Lovelace'},
                          'd': {'v': 'bob'}},
              'query': {'filters': [{'field': 'v', 'operator': 'ILIKE', 'value': 'ada'}]},
              'expect': ['a', 'b']}},
 {'rule': 'R44',
  'title': 'ILIKE ignores case, for every alphabet',
  'example': {'records': {'a': {'v': '\xc9mile'}, 'b': {'v': '\xe9MILE'}, 'c': {'v': 'Emile'}},
              'query': {'filters': [{'field': 'v', 'operator': 'ILIKE', 'value': '\xe9mil_'}]},
              'expect': ['a', 'b']}},
 {'rule': 'R45',
  'title': 'The pattern operand must be a string',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'LIKE', 'value': 3}]},
              'raises': 'QueryError'}},
 {'rule': 'R46',
  'title': 'STARTS_WITH is a literal, case-sensitive prefix',
  'example': {'records': {'a': {'v': 'ada'},
                          'b': {'v': 'Ada'},
                          'c': {'v': '%x'},
                          'd': {'v': 5},
                          'e': {'v': ''}},
              'query': {'filters': [{'field': 'v', 'operator': 'STARTS_WITH', 'value': 'a'}]},
              'expect': ['a']}},
 {'rule': 'R46',
  'title': 'STARTS_WITH is a literal, case-sensitive prefix',
  'example': {'records': {'a': {'v': 'ada'},
                          'b': {'v': 'Ada'},
                          'c': {'v': '%x'},
                          'd': {'v': 5},
                          'e': {'v': ''}},
              'query': {'filters': [{'field': 'v', 'operator': 'STARTS_WITH', 'value': '%'}]},
              'expect': ['c']}},
 {'rule': 'R46',
  'title': 'STARTS_WITH is a literal, case-sensitive prefix',
  'example': {'records': {'a': {'v': 'ada'},
                          'b': {'v': 'Ada'},
                          'c': {'v': '%x'},
                          'd': {'v': 5},
                          'e': {'v': ''}},
              'query': {'filters': [{'field': 'v', 'operator': 'STARTS_WITH', 'value': ''}]},
              'expect': ['a', 'b', 'c', 'e']}},
 {'rule': 'R47',
  'title': 'REGEX searches anywhere in the string, case-sensitively',
  'example': {'records': {'a': {'v': 'Ada'},
                          'b': {'v': 'ada'},
                          'c': {'v': 'Nadia'},
                          'd': {'v': 'ADA'}},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': 'da'}]},
              'expect': ['a', 'b']}},
 {'rule': 'R47',
  'title': 'REGEX searches anywhere in the string, case-sensitively',
  'example': {'records': {'a': {'v': 'Ada'},
                          'b': {'v': 'ada'},
                          'c': {'v': 'Nadia'},
                          'd': {'v': 'ADA'}},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': '^A'}]},
              'expect': ['a', 'd']}},
 {'rule': 'R47',
  'title': 'REGEX searches anywhere in the string, case-sensitively',
  'example': {'records': {'a': {'v': 'Ada'},
                          'b': {'v': 'ada'},
                          'c': {'v': 'Nadia'},
                          'd': {'v': 'ADA'}},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': 'a$'}]},
              'expect': ['a', 'b', 'c']}},
 {'rule': 'R48',
  'title': 'Classes, quantifiers, groups and alternation',
  'example': {'records': {'a': {'v': 'ab12'},
                          'b': {'v': 'ab1'},
                          'c': {'v': 'xy123'},
                          'd': {'v': 'AB12'}},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'REGEX',
                                     'value': '^[a-z]+[0-9]{2}$'}]},
              'expect': ['a']}},
 {'rule': 'R48',
  'title': 'Classes, quantifiers, groups and alternation',
  'example': {'records': {'a': {'v': 'ab12'},
                          'b': {'v': 'ab1'},
                          'c': {'v': 'xy123'},
                          'd': {'v': 'AB12'}},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': '(ab|xy)1'}]},
              'expect': ['a', 'b', 'c']}},
 {'rule': 'R48',
  'title': 'Classes, quantifiers, groups and alternation',
  'example': {'records': {'a': {'v': 'ab12'},
                          'b': {'v': 'ab1'},
                          'c': {'v': 'xy123'},
                          'd': {'v': 'AB12'}},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': '[^a-z0-9]'}]},
              'expect': ['d']}},
 {'rule': 'R48',
  'title': 'Classes, quantifiers, groups and alternation',
  'example': {'records': {'a': {'v': 'a.b'}, 'b': {'v': 'axb'}},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': 'a\\.b'}]},
              'expect': ['a']}},
 {'rule': 'R49',
  'title': '`.` matches any character, newline included',
  'example': {'records': {'a': {'v': 'x\ny'}, 'b': {'v': 'xy'}},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': '^x.y$'}]},
              'expect': ['a']}},
 {'rule': 'R50',
  'title': 'REGEX is false for non-strings',
  'example': {'records': {'a': {'v': 123}, 'b': {'v': '123'}, 'c': {'v': ['123']}},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': '1'}]},
              'expect': ['b']}},
 {'rule': 'R51',
  'title': 'A pattern outside the portable subset is rejected',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': '\\d+'}]},
              'raises': 'QueryError'}},
 {'rule': 'R51',
  'title': 'A pattern outside the portable subset is rejected',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': '(?i)ada'}]},
              'raises': 'QueryError'}},
 {'rule': 'R51',
  'title': 'A pattern outside the portable subset is rejected',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': 'a.*?b'}]},
              'raises': 'QueryError'}},
 {'rule': 'R51',
  'title': 'A pattern outside the portable subset is rejected',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'REGEX', 'value': 'a$|^b'}]},
              'raises': 'QueryError'}},
 {'rule': 'R51',
  'title': 'A pattern outside the portable subset is rejected',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v',
                                     'operator': 'REGEX',
                                     'value': '[[:alpha:]]'}]},
              'raises': 'QueryError'}},
 {'rule': 'R52',
  'title': 'The filters of a query are AND-ed',
  'example': {'records': {'a': {'team': 'core', 'age': 36},
                          'b': {'team': 'core', 'age': 25},
                          'c': {'team': 'infra', 'age': 40}},
              'query': {'filters': [{'field': 'team', 'operator': 'EQ', 'value': 'core'},
                                    {'field': 'age', 'operator': 'GT', 'value': 30}]},
              'expect': ['a']}},
 {'rule': 'R53',
  'title': 'OR matches when any condition does',
  'example': {'records': {'a': {'city': 'Oslo'},
                          'b': {'city': 'Rome'},
                          'c': {'city': 'Paris'},
                          'd': {}},
              'query': {'filters': [{'or': [{'field': 'city',
                                             'operator': 'EQ',
                                             'value': 'Oslo'},
                                            {'field': 'city',
                                             'operator': 'EQ',
                                             'value': 'Rome'}]}]},
              'expect': ['a', 'b']}},
 {'rule': 'R54',
  'title': 'NOT is the exact complement, missing and null included',
  'example': {'records': {'a': {'v': None}, 'b': {}, 'c': {'v': 1}, 'd': {'v': 5}},
              'query': {'filters': [{'not': {'field': 'v', 'operator': 'GT', 'value': 2}}]},
              'expect': ['a', 'b', 'c']}},
 {'rule': 'R54',
  'title': 'NOT is the exact complement, missing and null included',
  'example': {'records': {'a': {'v': None}, 'b': {}, 'c': {'v': 1}, 'd': {'v': 5}},
              'query': {'filters': [{'not': {'field': 'v', 'operator': 'NEQ', 'value': 1}}]},
              'expect': ['a', 'b', 'c']}},
 {'rule': 'R54',
  'title': 'NOT is the exact complement, missing and null included',
  'example': {'records': {'a': {'v': None}, 'b': {}, 'c': {'v': 1}, 'd': {'v': 5}},
              'query': {'filters': [{'not': {'field': 'v', 'operator': 'EXISTS'}}]},
              'expect': ['a', 'b']}},
 {'rule': 'R55',
  'title': 'An empty AND is true, an empty OR is false',
  'example': {'records': {'a': {'v': 1}, 'b': {}},
              'query': {'filters': [{'and': []}]},
              'expect': ['a', 'b']}},
 {'rule': 'R55',
  'title': 'An empty AND is true, an empty OR is false',
  'example': {'records': {'a': {'v': 1}, 'b': {}},
              'query': {'filters': [{'or': []}]},
              'expect': []}},
 {'rule': 'R55',
  'title': 'An empty AND is true, an empty OR is false',
  'example': {'records': {'a': {'v': 1}, 'b': {}},
              'query': {'filters': [{'not': {'or': []}}]},
              'expect': ['a', 'b']}},
 {'rule': 'R56',
  'title': 'Conditions nest to any depth',
  'example': {'records': {'a': {'name': 'Ada', 'age': 36, 'active': True, 'score': 9},
                          'b': {'name': 'Bob', 'age': 25, 'active': False},
                          'c': {'name': 'Cy', 'age': 30, 'active': True},
                          'd': {'name': 'Dee', 'age': 20, 'active': True},
                          'e': {'name': 'Eve', 'age': 22, 'score': None}},
              'query': {'filters': [{'or': [{'field': 'name', 'operator': 'EQ', 'value': 'Cy'},
                                            {'and': [{'field': 'age',
                                                      'operator': 'LT',
                                                      'value': 30},
                                                     {'not': {'or': [{'field': 'active',
                                                                      'operator': 'EQ',
                                                                      'value': True},
                                                                     {'field': 'score',
                                                                      'operator': 'EXISTS'}]}}]}]}]},
              'expect': ['b', 'c', 'e']}},
 {'rule': 'R57',
  'title': 'Without sort keys, results are ordered by id',
  'example': {'records': {'r2': {}, 'r10': {}, 'a': {}, 'B': {}},
              'query': {},
              'expect': ['B', 'a', 'r10', 'r2']}},
 {'rule': 'R58',
  'title': 'Ascending by value, ties by id',
  'example': {'records': {'a': {'v': 2}, 'b': {'v': 1.5}, 'c': {'v': 2.0}, 'd': {'v': 1}},
              'query': {'sort': [{'field': 'v', 'order': 'asc'}]},
              'expect': ['d', 'b', 'a', 'c']}},
 {'rule': 'R59',
  'title': 'Descending by value, ties still by ascending id',
  'example': {'records': {'a': {'v': 2}, 'b': {'v': 1.5}, 'c': {'v': 2.0}, 'd': {'v': 1}},
              'query': {'sort': [{'field': 'v', 'order': 'desc'}]},
              'expect': ['a', 'c', 'b', 'd']}},
 {'rule': 'R60',
  'title': 'Missing and null sort last in both directions, among themselves by id',
  'example': {'records': {'a': {'v': None}, 'b': {'v': 1}, 'c': {}, 'd': {'v': 2}},
              'query': {'sort': [{'field': 'v', 'order': 'asc'}]},
              'expect': ['b', 'd', 'a', 'c']}},
 {'rule': 'R60',
  'title': 'Missing and null sort last in both directions, among themselves by id',
  'example': {'records': {'a': {'v': None}, 'b': {'v': 1}, 'c': {}, 'd': {'v': 2}},
              'query': {'sort': [{'field': 'v', 'order': 'desc'}]},
              'expect': ['d', 'b', 'a', 'c']}},
 {'rule': 'R61',
  'title': 'Different kinds sort by type rank: boolean, number, string, datetime, list, object',
  'example': {'records': {'m0': {},
                          'm1': {'v': 1},
                          'm2': {'v': '1'},
                          'm3': {'v': True},
                          'm4': {'v': 2.5},
                          'm5': {'v': 'a'},
                          'm6': {'v': None},
                          'm7': {'v': {'$datetime': '2020-01-01T00:00:00+00:00'}},
                          'm8': {'v': [1]},
                          'm9': {'v': {'k': 1}}},
              'query': {'sort': [{'field': 'v'}]},
              'expect': ['m3', 'm1', 'm4', 'm2', 'm5', 'm7', 'm8', 'm9', 'm0', 'm6']}},
 {'rule': 'R61',
  'title': 'Different kinds sort by type rank: boolean, number, string, datetime, list, object',
  'example': {'records': {'m0': {},
                          'm1': {'v': 1},
                          'm2': {'v': '1'},
                          'm3': {'v': True},
                          'm4': {'v': 2.5},
                          'm5': {'v': 'a'},
                          'm6': {'v': None},
                          'm7': {'v': {'$datetime': '2020-01-01T00:00:00+00:00'}},
                          'm8': {'v': [1]},
                          'm9': {'v': {'k': 1}}},
              'query': {'sort': [{'field': 'v', 'order': 'desc'}]},
              'expect': ['m9', 'm8', 'm7', 'm5', 'm2', 'm4', 'm1', 'm3', 'm0', 'm6']}},
 {'rule': 'R62',
  'title': 'Within a kind: false before true, strings by code point, datetimes by instant',
  'example': {'records': {'a': {'v': True}, 'b': {'v': False}, 'c': {'v': True}},
              'query': {'sort': [{'field': 'v'}]},
              'expect': ['b', 'a', 'c']}},
 {'rule': 'R62',
  'title': 'Within a kind: false before true, strings by code point, datetimes by instant',
  'example': {'records': {'a': {'v': 'apple'},
                          'b': {'v': 'Zed'},
                          'c': {'v': '\xc9mile'},
                          'd': {'v': 'Apple'},
                          'e': {'v': 'app'}},
              'query': {'sort': [{'field': 'v'}]},
              'expect': ['d', 'b', 'e', 'a', 'c']}},
 {'rule': 'R62',
  'title': 'Within a kind: false before true, strings by code point, datetimes by instant',
  'example': {'records': {'a': {'t': {'$datetime': '2021-06-01T14:00:00+02:00'}},
                          'b': {'t': {'$datetime': '2021-06-01T12:30:00'}},
                          'c': {'t': {'$datetime': '2021-06-01T11:00:00+00:00'}},
                          'd': {'t': {'$datetime': '2021-06-01T12:30:00+02:00'}}},
              'query': {'sort': [{'field': 't', 'order': 'asc'}]},
              'expect': ['d', 'c', 'a', 'b']}},
 {'rule': 'R63',
  'title': 'Lists and objects are not ordered by content: ties fall to the id',
  'example': {'records': {'a': {'v': [3]},
                          'b': {'v': {'k': 0}},
                          'c': {'v': [1]},
                          'd': {'v': {}}},
              'query': {'sort': [{'field': 'v', 'order': 'asc'}]},
              'expect': ['a', 'c', 'b', 'd']}},
 {'rule': 'R63',
  'title': 'Lists and objects are not ordered by content: ties fall to the id',
  'example': {'records': {'a': {'v': [3]},
                          'b': {'v': {'k': 0}},
                          'c': {'v': [1]},
                          'd': {'v': {}}},
              'query': {'sort': [{'field': 'v', 'order': 'desc'}]},
              'expect': ['b', 'd', 'a', 'c']}},
 {'rule': 'R64',
  'title': 'Several sort keys: each breaks the ties of the ones before it',
  'example': {'records': {'a': {'team': 'core', 'age': 36},
                          'b': {'team': 'infra', 'age': 25},
                          'c': {'team': 'core', 'age': 30},
                          'd': {'age': 50},
                          'e': {'team': 'core', 'age': 36},
                          'f': {'team': 'core'}},
              'query': {'sort': [{'field': 'team', 'order': 'asc'},
                                 {'field': 'age', 'order': 'desc'}]},
              'expect': ['a', 'e', 'c', 'f', 'b', 'd']}},
 {'rule': 'R65',
  'title': 'Sort keys may be dotted paths; a path that reaches nothing has no value',
  'example': {'records': {'a': {'team': {'size': 5}},
                          'b': {'team': {'size': 2}},
                          'c': {'team': None},
                          'd': {'team': {'size': 9}},
                          'e': {'team': [{'size': 1}]}},
              'query': {'sort': [{'field': 'team.size', 'order': 'asc'}]},
              'expect': ['b', 'a', 'd', 'c', 'e']}},
 {'rule': 'R66',
  'title': 'Offset skips, limit caps; count ignores both',
  'example': {'records': {'a': {'v': 5},
                          'b': {'v': 4},
                          'c': {'v': 3},
                          'd': {'v': 2},
                          'e': {'v': 1}},
              'query': {'sort': [{'field': 'v'}], 'offset': 1, 'limit': 2},
              'expect': ['d', 'c'],
              'count': 5}},
 {'rule': 'R66',
  'title': 'Offset skips, limit caps; count ignores both',
  'example': {'records': {'a': {'v': 5},
                          'b': {'v': 4},
                          'c': {'v': 3},
                          'd': {'v': 2},
                          'e': {'v': 1}},
              'query': {'sort': [{'field': 'v'}], 'offset': 3},
              'expect': ['b', 'a'],
              'count': 5}},
 {'rule': 'R67',
  'title': 'An offset past the end and a limit of zero return nothing',
  'example': {'records': {'a': {'v': 5}, 'b': {'v': 4}},
              'query': {'offset': 2},
              'expect': [],
              'count': 2}},
 {'rule': 'R67',
  'title': 'An offset past the end and a limit of zero return nothing',
  'example': {'records': {'a': {'v': 5}, 'b': {'v': 4}},
              'query': {'limit': 0},
              'expect': [],
              'count': 2}},
 {'rule': 'R68',
  'title': 'Paging is stable through ties',
  'example': {'records': {'e': {'v': 1},
                          'd': {'v': 1},
                          'c': {'v': 1},
                          'b': {'v': 1},
                          'a': {'v': 1},
                          'f': {'v': 0}},
              'query': {'sort': [{'field': 'v', 'order': 'desc'}], 'offset': 2, 'limit': 2},
              'expect': ['c', 'd'],
              'count': 6}},
 {'rule': 'R68',
  'title': 'Paging is stable through ties',
  'example': {'records': {'e': {'v': 1},
                          'd': {'v': 1},
                          'c': {'v': 1},
                          'b': {'v': 1},
                          'a': {'v': 1},
                          'f': {'v': 0}},
              'query': {'sort': [{'field': 'v', 'order': 'desc'}], 'offset': 4, 'limit': 2},
              'expect': ['e', 'f'],
              'count': 6}},
 {'rule': 'R69',
  'title': 'Offset and limit must be non-negative integers',
  'example': {'records': {}, 'query': {'limit': -1}, 'raises': 'QueryError'}},
 {'rule': 'R70',
  'title': 'Only the selected fields are returned; missing ones stay missing, nulls stay null',
  'example': {'records': {'a': {'name': 'Ada', 'age': 36, 'city': None},
                          'b': {'name': 'Bob', 'age': 25}},
              'query': {'fields': ['name', 'city', 'nope']},
              'expect': ['a', 'b'],
              'data': [{'name': 'Ada', 'city': None}, {'name': 'Bob'}]}},
 {'rule': 'R71',
  'title': 'Dotted paths in a projection keep their nesting',
  'example': {'records': {'a': {'team': {'name': 'core', 'size': 5}, 'tags': [{'k': 1}]},
                          'b': {'team': None, 'tags': []},
                          'c': {'team': {'size': 3, 'name': None}}},
              'query': {'fields': ['team.name', 'tags.k']},
              'expect': ['a', 'b', 'c'],
              'data': [{'team': {'name': 'core'}}, {}, {'team': {'name': None}}]}},
 {'rule': 'R72',
  'title': 'Filters and sort keys may use fields the projection leaves out',
  'example': {'records': {'a': {'name': 'Ada', 'age': 36},
                          'b': {'name': 'Bob', 'age': 25},
                          'c': {'name': 'Cy', 'age': 30}},
              'query': {'filters': [{'field': 'age', 'operator': 'GTE', 'value': 30}],
                        'sort': [{'field': 'age', 'order': 'desc'}],
                        'fields': ['name']},
              'expect': ['a', 'c'],
              'data': [{'name': 'Ada'}, {'name': 'Cy'}]}},
 {'rule': 'R73',
  'title': 'count(query) is the number of matching records',
  'example': {'records': {'a': {'v': 1}, 'b': {'v': 2}, 'c': {'v': 3}, 'd': {}},
              'query': {'filters': [{'field': 'v', 'operator': 'GTE', 'value': 2}],
                        'sort': [{'field': 'v'}],
                        'limit': 1,
                        'fields': ['v']},
              'expect': ['b'],
              'data': [{'v': 2}],
              'count': 2}},
 {'rule': 'R74',
  'title': 'A malformed query is a QueryError before any backend sees it',
  'example': {'records': {},
              'query': {'filters': [{'field': 'v', 'operator': 'CONTAINS', 'value': 'x'}]},
              'raises': 'QueryError'}},
 {'rule': 'R74',
  'title': 'A malformed query is a QueryError before any backend sees it',
  'example': {'records': {},
              'query': {'filters': [{'field': 'a..b', 'operator': 'EQ', 'value': 1}]},
              'raises': 'QueryError'}},
 {'rule': 'R74',
  'title': 'A malformed query is a QueryError before any backend sees it',
  'example': {'records': {}, 'query': {'filters': [], 'where': {}}, 'raises': 'QueryError'}},
 {'rule': 'R74',
  'title': 'A malformed query is a QueryError before any backend sees it',
  'example': {'records': {},
              'query': {'sort': [{'field': '', 'order': 'asc'}]},
              'raises': 'QueryError'}}]
# --- end of generated examples ---
# fmt: on

SPEC_EXAMPLES: list[SpecExample] = _examples(RAW_EXAMPLES)

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
