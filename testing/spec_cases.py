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

    def same_records(self, other: SpecExample | None) -> bool:
        """Whether ``other`` stores exactly the same records (kinds included)."""
        return other is not None and _typed(self.records) == _typed(other.records)

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


def run_example(db: Any, example: SpecExample, load: bool = True) -> None:
    """Run one example on an empty sync database; ``AssertionError`` on any difference.

    When the query uses an operator the database declares unsupported, ``search``,
    ``count`` and ``stream_read`` must raise ``UnsupportedQueryError`` instead. Leaves the
    records stored; ``load=False`` runs the query on records already stored (the previous
    example's, when ``same_records`` says they are the same)."""
    if example.raises is not None:
        check_raises(example)
        return
    query = example.build_query()
    if load and example.records:
        db.create_batch(example.build_records())
    unsupported = unsupported_operators(example, db.capabilities)
    if unsupported:
        names = sorted(op.name for op in unsupported)
        calls = {"search": lambda: db.search(query), "count": lambda: db.count(query),
                 "stream_read": lambda: list(db.stream_read(query))}
        for name, call in calls.items():
            try:
                call()
            except UnsupportedQueryError:
                continue
            raise AssertionError(f"{example.describe()}\n  {name} did not raise "
                                 f"UnsupportedQueryError for unsupported {names}")
        return
    check_answer(example, db.search(query), db.count(query))


async def arun_example(db: Any, example: SpecExample, load: bool = True) -> None:
    """``run_example`` for an ``AsyncDatabase``."""
    if example.raises is not None:
        check_raises(example)
        return
    query = example.build_query()
    if load and example.records:
        await db.create_batch(example.build_records())
    unsupported = unsupported_operators(example, db.capabilities)
    if unsupported:
        names = sorted(op.name for op in unsupported)
        async def drain() -> list[Record]:
            return [r async for r in db.stream_read(query)]

        calls = {"search": lambda: db.search(query), "count": lambda: db.count(query),
                 "stream_read": drain}
        for name, call in calls.items():
            try:
                await call()
            except UnsupportedQueryError:
                continue
            raise AssertionError(f"{example.describe()}\n  {name} did not raise "
                                 f"UnsupportedQueryError for unsupported {names}")
        return
    check_answer(example, await db.search(query), await db.count(query))


# --- regeneration -----------------------------------------------------------------------------
_BEGIN = "# --- generated from docs/query-semantics.md by main(); do not edit by hand ---"
_END = "# --- end of generated examples ---"


def _literal_lines(text: str, indent: str, width: int = 96) -> list[str]:
    """``text`` as adjacent Python string literals, each line at most ``width`` long."""
    lines: list[str] = []
    chunk = ""
    for ch in text:
        if len(indent) + len(repr(chunk + ch)) > width:
            lines.append(indent + repr(chunk))
            chunk = ""
        chunk += ch
    lines.append(indent + repr(chunk))
    return lines


def render_examples(raw: list[dict[str, Any]]) -> str:
    """The Python source of ``RAW_EXAMPLES`` for ``raw``: each example as its JSON text
    (ASCII, lines under 100 characters), headed by a comment naming it."""
    out = [_BEGIN, "_EXAMPLE_JSON: list[str] = ["]
    numbers: dict[str, int] = {}
    for item in raw:
        rule = item["rule"]
        numbers[rule] = numbers.get(rule, 0) + 1
        head = f"    # {rule}.{numbers[rule]} {item['title']}"
        out.append(head.encode("ascii", "backslashreplace").decode("ascii")[:99])
        text = json.dumps(item, ensure_ascii=True)
        body = _literal_lines(text, "    ")
        body[-1] += ","
        out.extend(body)
    out.append("]")
    out.append("RAW_EXAMPLES: list[dict[str, Any]] = [json.loads(t) for t in _EXAMPLE_JSON]")
    out.append(_END)
    return "\n".join(out)


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
_EXAMPLE_JSON: list[str] = [
    # R1.1 Values of different kinds are never equal
    '{"rule": "R1", "title": "Values of different kinds are never equal", "example": {"records"'
    ': {"a": {"v": true}, "b": {"v": 1}, "c": {"v": 1.0}, "d": {"v": "1"}, "e": {"v": [1]}, "f"'
    ': {"v": {"v": 1}}}, "query": {"filters": [{"field": "v", "operator": "EQ", "value": 1}]}, '
    '"expect": ["b", "c"]}}',
    # R2.1 Booleans are not numbers
    '{"rule": "R2", "title": "Booleans are not numbers", "example": {"records": {"a": {"v": tru'
    'e}, "b": {"v": 1}, "c": {"v": 0}, "d": {"v": false}}, "query": {"filters": [{"field": "v",'
    ' "operator": "EQ", "value": true}]}, "expect": ["a"]}}',
    # R2.2 Booleans are not numbers
    '{"rule": "R2", "title": "Booleans are not numbers", "example": {"records": {"a": {"v": tru'
    'e}, "b": {"v": 1}, "c": {"v": 0}, "d": {"v": false}}, "query": {"filters": [{"field": "v",'
    ' "operator": "EQ", "value": 0}]}, "expect": ["c"]}}',
    # R3.1 Numbers compare by value, int and float mixed
    '{"rule": "R3", "title": "Numbers compare by value, int and float mixed", "example": {"reco'
    'rds": {"a": {"v": 7}, "b": {"v": 7.0}, "c": {"v": 7.5}, "d": {"v": -7}}, "query": {"filter'
    's": [{"field": "v", "operator": "EQ", "value": 7.0}]}, "expect": ["a", "b"]}}',
    # R3.2 Numbers compare by value, int and float mixed
    '{"rule": "R3", "title": "Numbers compare by value, int and float mixed", "example": {"reco'
    'rds": {"a": {"v": 7}, "b": {"v": 7.0}, "c": {"v": 7.5}, "d": {"v": -7}}, "query": {"filter'
    's": [{"field": "v", "operator": "GT", "value": 7}]}, "expect": ["c"]}}',
    # R4.1 Integers are exact to 64 bits
    '{"rule": "R4", "title": "Integers are exact to 64 bits", "example": {"records": {"a": {"v"'
    ': 4611686018427387904}, "b": {"v": 4611686018427387905}}, "query": {"filters": [{"field": '
    '"v", "operator": "EQ", "value": 4611686018427387905}]}, "expect": ["b"]}}',
    # R4.2 Integers are exact to 64 bits
    '{"rule": "R4", "title": "Integers are exact to 64 bits", "example": {"records": {"a": {"v"'
    ': 4611686018427387904}, "b": {"v": 4611686018427387905}}, "query": {"filters": [{"field": '
    '"v", "operator": "GT", "value": 4611686018427387904}]}, "expect": ["b"]}}',
    # R5.1 No coercion between kinds
    '{"rule": "R5", "title": "No coercion between kinds", "example": {"records": {"a": {"v": 30'
    '}, "b": {"v": "30"}}, "query": {"filters": [{"field": "v", "operator": "EQ", "value": "30"'
    '}]}, "expect": ["b"]}}',
    # R5.2 No coercion between kinds
    '{"rule": "R5", "title": "No coercion between kinds", "example": {"records": {"a": {"v": 30'
    '}, "b": {"v": "30"}, "c": {"v": "5"}}, "query": {"filters": [{"field": "v", "operator": "G'
    'TE", "value": 0}]}, "expect": ["a"]}}',
    # R6.1 Dotted paths reach into nested objects, at any depth
    '{"rule": "R6", "title": "Dotted paths reach into nested objects, at any depth", "example":'
    ' {"records": {"a": {"team": {"lead": {"name": "Ada"}}}, "b": {"team": {"lead": {"name": "B'
    'ob"}}}, "c": {"team": {"name": "Ada"}}}, "query": {"filters": [{"field": "team.lead.name",'
    ' "operator": "EQ", "value": "Ada"}]}, "expect": ["a"]}}',
    # R7.1 Dots always split
    '{"rule": "R7", "title": "Dots always split", "example": {"records": {"a": {"x.y": 1}, "b":'
    ' {"x": {"y": 1}}, "c": {"x": {"y.z": 1}}}, "query": {"filters": [{"field": "x.y", "operato'
    'r": "EQ", "value": 1}]}, "expect": ["b"]}}',
    # R7.2 Dots always split
    '{"rule": "R7", "title": "Dots always split", "example": {"records": {"a": {"x.y": 1}, "b":'
    ' {"x": {"y": 1}}, "c": {"x": {"y.z": 1}}}, "query": {"filters": [{"field": "x.y", "operato'
    'r": "EXISTS"}]}, "expect": ["b"]}}',
    # R8.1 A path through anything but an object is missing
    '{"rule": "R8", "title": "A path through anything but an object is missing", "example": {"r'
    'ecords": {"a": {"x": [{"y": 1}]}, "b": {"x": "y"}, "c": {"x": null}, "d": {"x": {"y": 1}},'
    ' "e": {}}, "query": {"filters": [{"field": "x.y", "operator": "EXISTS"}]}, "expect": ["d"]'
    '}}',
    # R8.2 A path through anything but an object is missing
    '{"rule": "R8", "title": "A path through anything but an object is missing", "example": {"r'
    'ecords": {"a": {"x": [{"y": 1}]}, "b": {"x": "y"}, "c": {"x": null}, "d": {"x": {"y": 1}},'
    ' "e": {}}, "query": {"filters": [{"field": "x.y", "operator": "NOT_EXISTS"}]}, "expect": ['
    '"a", "b", "c", "e"]}}',
    # R9.1 EXISTS: present and not null
    '{"rule": "R9", "title": "EXISTS: present and not null", "example": {"records": {"a": {"v":'
    ' null}, "b": {}, "c": {"v": ""}, "d": {"v": 0}, "e": {"v": false}, "f": {"v": []}, "g": {"'
    'v": {}}}, "query": {"filters": [{"field": "v", "operator": "EXISTS"}]}, "expect": ["c", "d'
    '", "e", "f", "g"]}}',
    # R10.1 NOT_EXISTS: missing or null
    '{"rule": "R10", "title": "NOT_EXISTS: missing or null", "example": {"records": {"a": {"v":'
    ' null}, "b": {}, "c": {"v": ""}, "d": {"v": 0}, "e": {"v": false}, "f": {"v": []}, "g": {"'
    'v": {}}}, "query": {"filters": [{"field": "v", "operator": "NOT_EXISTS"}]}, "expect": ["a"'
    ', "b"]}}',
    # R11.1 A positive comparison is false when the field has no value
    '{"rule": "R11", "title": "A positive comparison is false when the field has no value", "ex'
    'ample": {"records": {"a": {"v": null}, "b": {}, "c": {"v": "x"}}, "query": {"filters": [{"'
    'field": "v", "operator": "LIKE", "value": "%"}]}, "expect": ["c"]}}',
    # R11.2 A positive comparison is false when the field has no value
    '{"rule": "R11", "title": "A positive comparison is false when the field has no value", "ex'
    'ample": {"records": {"a": {"v": null}, "b": {}, "c": {"v": "x"}}, "query": {"filters": [{"'
    'field": "v", "operator": "REGEX", "value": ""}]}, "expect": ["c"]}}',
    # R11.3 A positive comparison is false when the field has no value
    '{"rule": "R11", "title": "A positive comparison is false when the field has no value", "ex'
    'ample": {"records": {"a": {"v": null}, "b": {}, "c": {"v": 5}}, "query": {"filters": [{"fi'
    'eld": "v", "operator": "LT", "value": 1000000}]}, "expect": ["c"]}}',
    # R12.1 A negated operator is true exactly when the field has a value and the positive is false
    '{"rule": "R12", "title": "A negated operator is true exactly when the field has a value an'
    'd the positive is false", "example": {"records": {"a": {"v": null}, "b": {}, "c": {"v": 1}'
    ', "d": {"v": 2}}, "query": {"filters": [{"field": "v", "operator": "NEQ", "value": 1}]}, "'
    'expect": ["d"]}}',
    # R12.2 A negated operator is true exactly when the field has a value and the positive is false
    '{"rule": "R12", "title": "A negated operator is true exactly when the field has a value an'
    'd the positive is false", "example": {"records": {"a": {"v": null}, "b": {}, "c": {"v": 1}'
    ', "d": {"v": 2}}, "query": {"filters": [{"field": "v", "operator": "NOT_IN", "value": [1]}'
    ']}, "expect": ["d"]}}',
    # R12.3 A negated operator is true exactly when the field has a value and the positive is false
    '{"rule": "R12", "title": "A negated operator is true exactly when the field has a value an'
    'd the positive is false", "example": {"records": {"a": {"v": null}, "b": {}, "c": {"v": 1}'
    ', "d": {"v": 2}}, "query": {"filters": [{"field": "v", "operator": "NOT_BETWEEN", "value":'
    ' [1, 1]}]}, "expect": ["d"]}}',
    # R12.4 A negated operator is true exactly when the field has a value and the positive is false
    '{"rule": "R12", "title": "A negated operator is true exactly when the field has a value an'
    'd the positive is false", "example": {"records": {"a": {"v": null}, "b": {}, "c": {"v": "x'
    '"}, "d": {"v": "y"}}, "query": {"filters": [{"field": "v", "operator": "NOT_LIKE", "value"'
    ': "x"}]}, "expect": ["d"]}}',
    # R13.1 A null operand is rejected
    '{"rule": "R13", "title": "A null operand is rejected", "example": {"records": {}, "query":'
    ' {"filters": [{"field": "v", "operator": "EQ", "value": null}]}, "raises": "QueryError"}}',
    # R13.2 A null operand is rejected
    '{"rule": "R13", "title": "A null operand is rejected", "example": {"records": {}, "query":'
    ' {"filters": [{"field": "v", "operator": "NEQ", "value": null}]}, "raises": "QueryError"}}',
    # R14.1 Strings are equal when their code points are equal
    '{"rule": "R14", "title": "Strings are equal when their code points are equal", "example": '
    '{"records": {"a": {"v": "Ada"}, "b": {"v": "ada"}, "c": {"v": "Ada "}}, "query": {"filters'
    '": [{"field": "v", "operator": "EQ", "value": "Ada"}]}, "expect": ["a"]}}',
    # R14.2 Strings are equal when their code points are equal
    '{"rule": "R14", "title": "Strings are equal when their code points are equal", "example": '
    '{"records": {"a": {"v": "\\u00e9"}, "b": {"v": "e\\u0301"}}, "query": {"filters": [{"field'
    '": "v", "operator": "EQ", "value": "\\u00e9"}]}, "expect": ["a"]}}',
    # R15.1 NEQ across kinds is true
    '{"rule": "R15", "title": "NEQ across kinds is true", "example": {"records": {"a": {"v": 30'
    '}, "b": {"v": "30"}, "c": {"v": 30.0}, "d": {"v": true}}, "query": {"filters": [{"field": '
    '"v", "operator": "NEQ", "value": 30}]}, "expect": ["b", "d"]}}',
    # R16.1 Lists are equal element by element, in order
    '{"rule": "R16", "title": "Lists are equal element by element, in order", "example": {"reco'
    'rds": {"a": {"v": [1, 2]}, "b": {"v": [1.0, 2.0]}, "c": {"v": [2, 1]}, "d": {"v": [true, 2'
    ']}, "e": {"v": [1, 2, null]}, "f": {"v": [1]}}, "query": {"filters": [{"field": "v", "oper'
    'ator": "EQ", "value": [1, 2]}]}, "expect": ["a", "b"]}}',
    # R16.2 Lists are equal element by element, in order
    '{"rule": "R16", "title": "Lists are equal element by element, in order", "example": {"reco'
    'rds": {"a": {"v": [1, null]}, "b": {"v": [1]}, "c": {"v": [1, 0]}}, "query": {"filters": ['
    '{"field": "v", "operator": "EQ", "value": [1, null]}]}, "expect": ["a"]}}',
    # R17.1 Objects are equal key by key, whatever the key order
    '{"rule": "R17", "title": "Objects are equal key by key, whatever the key order", "example"'
    ': {"records": {"a": {"v": {"x": 1, "y": 2}}, "b": {"v": {"y": 2.0, "x": 1}}, "c": {"v": {"'
    'x": 1}}, "d": {"v": {"x": 1, "y": 2, "z": null}}, "e": {"v": {"x": 1, "y": "2"}}}, "query"'
    ': {"filters": [{"field": "v", "operator": "EQ", "value": {"x": 1, "y": 2}}]}, "expect": ["'
    'a", "b"]}}',
    # R18.1 Lists have no any-element semantics
    '{"rule": "R18", "title": "Lists have no any-element semantics", "example": {"records": {"a'
    '": {"tags": ["x", "y"]}, "b": {"tags": ["x"]}, "c": {"tags": []}}, "query": {"filters": [{'
    '"field": "tags", "operator": "EQ", "value": "x"}]}, "expect": []}}',
    # R18.2 Lists have no any-element semantics
    '{"rule": "R18", "title": "Lists have no any-element semantics", "example": {"records": {"a'
    '": {"tags": ["x", "y"]}, "b": {"tags": ["x"]}, "c": {"tags": []}}, "query": {"filters": [{'
    '"field": "tags", "operator": "NEQ", "value": "x"}]}, "expect": ["a", "b", "c"]}}',
    # R18.3 Lists have no any-element semantics
    '{"rule": "R18", "title": "Lists have no any-element semantics", "example": {"records": {"a'
    '": {"tags": ["x", "y"]}, "b": {"tags": ["x"]}, "c": {"tags": []}}, "query": {"filters": [{'
    '"field": "tags", "operator": "EQ", "value": ["x"]}]}, "expect": ["b"]}}',
    # R19.1 Ordering and pattern operators never look inside lists or objects
    '{"rule": "R19", "title": "Ordering and pattern operators never look inside lists or object'
    's", "example": {"records": {"a": {"v": [5]}, "b": {"v": 5}, "c": {"v": {"n": 5}}}, "query"'
    ': {"filters": [{"field": "v", "operator": "GT", "value": 1}]}, "expect": ["b"]}}',
    # R19.2 Ordering and pattern operators never look inside lists or objects
    '{"rule": "R19", "title": "Ordering and pattern operators never look inside lists or object'
    's", "example": {"records": {"a": {"v": ["ab"]}, "b": {"v": "ab"}, "c": {"v": {"k": "ab"}}}'
    ', "query": {"filters": [{"field": "v", "operator": "LIKE", "value": "a%"}]}, "expect": ["b'
    '"]}}',
    # R20.1 Numbers order by value, int and float mixed
    '{"rule": "R20", "title": "Numbers order by value, int and float mixed", "example": {"recor'
    'ds": {"a": {"v": 1}, "b": {"v": 1.5}, "c": {"v": 2}, "d": {"v": 2.0}}, "query": {"filters"'
    ': [{"field": "v", "operator": "GTE", "value": 2}]}, "expect": ["c", "d"]}}',
    # R20.2 Numbers order by value, int and float mixed
    '{"rule": "R20", "title": "Numbers order by value, int and float mixed", "example": {"recor'
    'ds": {"a": {"v": 1}, "b": {"v": 1.5}, "c": {"v": 2}, "d": {"v": 2.0}}, "query": {"filters"'
    ': [{"field": "v", "operator": "LT", "value": 2}]}, "expect": ["a", "b"]}}',
    # R20.3 Numbers order by value, int and float mixed
    '{"rule": "R20", "title": "Numbers order by value, int and float mixed", "example": {"recor'
    'ds": {"a": {"v": 1}, "b": {"v": 1.5}, "c": {"v": 2}, "d": {"v": 2.0}}, "query": {"filters"'
    ': [{"field": "v", "operator": "LTE", "value": 1.5}]}, "expect": ["a", "b"]}}',
    # R21.1 Strings order by Unicode code point
    '{"rule": "R21", "title": "Strings order by Unicode code point", "example": {"records": {"a'
    '": {"v": "Zed"}, "b": {"v": "apple"}, "c": {"v": "\\u00c9mile"}, "d": {"v": "zebra"}}, "qu'
    'ery": {"filters": [{"field": "v", "operator": "LT", "value": "a"}]}, "expect": ["a"]}}',
    # R21.2 Strings order by Unicode code point
    '{"rule": "R21", "title": "Strings order by Unicode code point", "example": {"records": {"a'
    '": {"v": "Zed"}, "b": {"v": "apple"}, "c": {"v": "\\u00c9mile"}, "d": {"v": "zebra"}}, "qu'
    'ery": {"filters": [{"field": "v", "operator": "GT", "value": "zz"}]}, "expect": ["c"]}}',
    # R21.3 Strings order by Unicode code point
    '{"rule": "R21", "title": "Strings order by Unicode code point", "example": {"records": {"a'
    '": {"v": "ab"}, "b": {"v": "abc"}, "c": {"v": "b"}}, "query": {"filters": [{"field": "v", '
    '"operator": "LTE", "value": "abc"}]}, "expect": ["a", "b"]}}',
    # R22.1 Characters beyond U+FFFF order after every other character
    '{"rule": "R22", "title": "Characters beyond U+FFFF order after every other character", "ex'
    'ample": {"records": {"a": {"v": "\\uff5e"}, "b": {"v": "\\ud83d\\ude00"}}, "query": {"filt'
    'ers": [{"field": "v", "operator": "GT", "value": "\\uff5e"}]}, "expect": ["b"]}}',
    # R22.2 Characters beyond U+FFFF order after every other character
    '{"rule": "R22", "title": "Characters beyond U+FFFF order after every other character", "ex'
    'ample": {"records": {"a": {"v": "\\uff5e"}, "b": {"v": "\\ud83d\\ude00"}}, "query": {"sort'
    '": [{"field": "v", "order": "desc"}]}, "expect": ["b", "a"]}}',
    # R23.1 An ordering comparison across kinds is false
    '{"rule": "R23", "title": "An ordering comparison across kinds is false", "example": {"reco'
    'rds": {"a": {"v": 5}, "b": {"v": "5"}, "c": {"v": true}, "d": {"v": [5]}, "e": {"v": {"n":'
    ' 5}}, "f": {"v": {"$datetime": "2020-01-01T00:00:00+00:00"}}}, "query": {"filters": [{"fie'
    'ld": "v", "operator": "GT", "value": 0}]}, "expect": ["a"]}}',
    # R23.2 An ordering comparison across kinds is false
    '{"rule": "R23", "title": "An ordering comparison across kinds is false", "example": {"reco'
    'rds": {"a": {"v": 5}, "b": {"v": "5"}, "c": {"v": true}, "d": {"v": [5]}, "e": {"v": {"n":'
    ' 5}}, "f": {"v": {"$datetime": "2020-01-01T00:00:00+00:00"}}}, "query": {"filters": [{"fie'
    'ld": "v", "operator": "LT", "value": "z"}]}, "expect": ["b"]}}',
    # R24.1 The operand of an ordering comparison is a number, a string or a datetime
    '{"rule": "R24", "title": "The operand of an ordering comparison is a number, a string or a'
    ' datetime", "example": {"records": {}, "query": {"filters": [{"field": "v", "operator": "G'
    'T", "value": true}]}, "raises": "QueryError"}}',
    # R24.2 The operand of an ordering comparison is a number, a string or a datetime
    '{"rule": "R24", "title": "The operand of an ordering comparison is a number, a string or a'
    ' datetime", "example": {"records": {}, "query": {"filters": [{"field": "v", "operator": "L'
    'TE", "value": [1]}]}, "raises": "QueryError"}}',
    # R25.1 Datetimes compare as instants
    '{"rule": "R25", "title": "Datetimes compare as instants", "example": {"records": {"a": {"t'
    '": {"$datetime": "2021-06-01T14:00:00+02:00"}}, "b": {"t": {"$datetime": "2021-06-01T12:00'
    ':00+00:00"}}, "c": {"t": {"$datetime": "2021-06-01T13:00:00+00:00"}}}, "query": {"filters"'
    ': [{"field": "t", "operator": "EQ", "value": {"$datetime": "2021-06-01T12:00:00+00:00"}}]}'
    ', "expect": ["a", "b"]}}',
    # R25.2 Datetimes compare as instants
    '{"rule": "R25", "title": "Datetimes compare as instants", "example": {"records": {"a": {"t'
    '": {"$datetime": "2021-06-01T14:00:00+02:00"}}, "b": {"t": {"$datetime": "2021-06-01T12:00'
    ':00+00:00"}}, "c": {"t": {"$datetime": "2021-06-01T13:00:00+00:00"}}}, "query": {"filters"'
    ': [{"field": "t", "operator": "GT", "value": {"$datetime": "2021-06-01T14:30:00+02:00"}}]}'
    ', "expect": ["c"]}}',
    # R26.1 A naive datetime is read as UTC
    '{"rule": "R26", "title": "A naive datetime is read as UTC", "example": {"records": {"a": {'
    '"t": {"$datetime": "2021-06-01T12:00:00"}}, "b": {"t": {"$datetime": "2021-06-01T12:00:00+'
    '00:00"}}, "c": {"t": {"$datetime": "2021-06-01T14:00:00+02:00"}}, "d": {"t": {"$datetime":'
    ' "2021-06-01T13:00:00"}}}, "query": {"filters": [{"field": "t", "operator": "EQ", "value":'
    ' {"$datetime": "2021-06-01T12:00:00"}}]}, "expect": ["a", "b", "c"]}}',
    # R26.2 A naive datetime is read as UTC
    '{"rule": "R26", "title": "A naive datetime is read as UTC", "example": {"records": {"a": {'
    '"t": {"$datetime": "2021-06-01T12:00:00"}}, "b": {"t": {"$datetime": "2021-06-01T12:00:00+'
    '00:00"}}, "c": {"t": {"$datetime": "2021-06-01T14:00:00+02:00"}}, "d": {"t": {"$datetime":'
    ' "2021-06-01T13:00:00"}}}, "query": {"filters": [{"field": "t", "operator": "GT", "value":'
    ' {"$datetime": "2021-06-01T14:30:00+02:00"}}]}, "expect": ["d"]}}',
    # R27.1 Datetimes are exact to the microsecond
    '{"rule": "R27", "title": "Datetimes are exact to the microsecond", "example": {"records": '
    '{"a": {"t": {"$datetime": "2020-01-01T00:00:00.000001+00:00"}}, "b": {"t": {"$datetime": "'
    '2020-01-01T00:00:00+00:00"}}}, "query": {"filters": [{"field": "t", "operator": "GT", "val'
    'ue": {"$datetime": "2020-01-01T00:00:00+00:00"}}]}, "expect": ["a"]}}',
    # R27.2 Datetimes are exact to the microsecond
    '{"rule": "R27", "title": "Datetimes are exact to the microsecond", "example": {"records": '
    '{"a": {"t": {"$datetime": "2020-01-01T00:00:00.000001+00:00"}}, "b": {"t": {"$datetime": "'
    '2020-01-01T00:00:00+00:00"}}}, "query": {"filters": [{"field": "t", "operator": "EQ", "val'
    'ue": {"$datetime": "2020-01-01T00:00:00.000001+00:00"}}]}, "expect": ["a"]}}',
    # R28.1 A string is never a datetime
    '{"rule": "R28", "title": "A string is never a datetime", "example": {"records": {"a": {"t"'
    ': "2020-01-01T00:00:00+00:00"}, "b": {"t": {"$datetime": "2020-01-01T00:00:00+00:00"}}}, "'
    'query": {"filters": [{"field": "t", "operator": "EQ", "value": {"$datetime": "2020-01-01T0'
    '0:00:00+00:00"}}]}, "expect": ["b"]}}',
    # R28.2 A string is never a datetime
    '{"rule": "R28", "title": "A string is never a datetime", "example": {"records": {"a": {"t"'
    ': "2020-01-01T00:00:00+00:00"}, "b": {"t": {"$datetime": "2020-01-01T00:00:00+00:00"}}}, "'
    'query": {"filters": [{"field": "t", "operator": "GT", "value": "2000"}]}, "expect": ["a"]}'
    '}',
    # R29.1 IN matches by EQ against each item
    '{"rule": "R29", "title": "IN matches by EQ against each item", "example": {"records": {"a"'
    ': {"v": 25}, "b": {"v": 40.0}, "c": {"v": "36"}, "d": {"v": true}, "e": {"v": 36}}, "query'
    '": {"filters": [{"field": "v", "operator": "IN", "value": [25, 40, "36", 1]}]}, "expect": '
    '["a", "b", "c"]}}',
    # R29.2 IN matches by EQ against each item
    '{"rule": "R29", "title": "IN matches by EQ against each item", "example": {"records": {"a"'
    ': {"v": 25}, "b": {"v": 40.0}, "c": {"v": "36"}, "d": {"v": true}, "e": {"v": 36}}, "query'
    '": {"filters": [{"field": "v", "operator": "NOT_IN", "value": [25, 40, "36", 1]}]}, "expec'
    't": ["d", "e"]}}',
    # R30.1 An empty IN list matches nothing; an empty NOT_IN list matches every value
    '{"rule": "R30", "title": "An empty IN list matches nothing; an empty NOT_IN list matches e'
    'very value", "example": {"records": {"a": {"v": 1}, "b": {"v": null}, "c": {}}, "query": {'
    '"filters": [{"field": "v", "operator": "IN", "value": []}]}, "expect": []}}',
    # R30.2 An empty IN list matches nothing; an empty NOT_IN list matches every value
    '{"rule": "R30", "title": "An empty IN list matches nothing; an empty NOT_IN list matches e'
    'very value", "example": {"records": {"a": {"v": 1}, "b": {"v": null}, "c": {}}, "query": {'
    '"filters": [{"field": "v", "operator": "NOT_IN", "value": []}]}, "expect": ["a"]}}',
    # R31.1 IN items may be lists and objects, compared as whole values
    '{"rule": "R31", "title": "IN items may be lists and objects, compared as whole values", "e'
    'xample": {"records": {"a": {"v": ["x", "y"]}, "b": {"v": "x"}, "c": {"v": {"k": 1}}, "d": '
    '{"v": ["y", "x"]}}, "query": {"filters": [{"field": "v", "operator": "IN", "value": [["x",'
    ' "y"], {"k": 1}]}]}, "expect": ["a", "c"]}}',
    # R31.2 IN items may be lists and objects, compared as whole values
    '{"rule": "R31", "title": "IN items may be lists and objects, compared as whole values", "e'
    'xample": {"records": {"a": {"v": ["x", "y"]}, "b": {"v": "x"}, "c": {"v": {"k": 1}}, "d": '
    '{"v": ["y", "x"]}}, "query": {"filters": [{"field": "v", "operator": "IN", "value": ["x"]}'
    ']}, "expect": ["b"]}}',
    # R32.1 IN compares datetimes as instants
    '{"rule": "R32", "title": "IN compares datetimes as instants", "example": {"records": {"a":'
    ' {"t": {"$datetime": "2021-06-01T14:00:00+02:00"}}, "b": {"t": {"$datetime": "2021-06-01T1'
    '4:00:00+00:00"}}}, "query": {"filters": [{"field": "t", "operator": "IN", "value": [{"$dat'
    'etime": "2021-06-01T12:00:00"}]}]}, "expect": ["a"]}}',
    # R33.1 The IN operand must be a list without nulls
    '{"rule": "R33", "title": "The IN operand must be a list without nulls", "example": {"recor'
    'ds": {}, "query": {"filters": [{"field": "v", "operator": "IN", "value": [1, null]}]}, "ra'
    'ises": "QueryError"}}',
    # R33.2 The IN operand must be a list without nulls
    '{"rule": "R33", "title": "The IN operand must be a list without nulls", "example": {"recor'
    'ds": {}, "query": {"filters": [{"field": "v", "operator": "NOT_IN", "value": "abc"}]}, "ra'
    'ises": "QueryError"}}',
    # R34.1 BETWEEN is inclusive at both ends and matches only values of the bounds' kind
    '{"rule": "R34", "title": "BETWEEN is inclusive at both ends and matches only values of the'
    ' bounds\' kind", "example": {"records": {"a": {"v": 25}, "b": {"v": 30.5}, "c": {"v": 36},'
    ' "d": {"v": "30"}, "e": {"v": 40}, "f": {"v": true}}, "query": {"filters": [{"field": "v",'
    ' "operator": "BETWEEN", "value": [25, 36.0]}]}, "expect": ["a", "b", "c"]}}',
    # R34.2 BETWEEN is inclusive at both ends and matches only values of the bounds' kind
    '{"rule": "R34", "title": "BETWEEN is inclusive at both ends and matches only values of the'
    ' bounds\' kind", "example": {"records": {"a": {"v": 25}, "b": {"v": 30.5}, "c": {"v": 36},'
    ' "d": {"v": "30"}, "e": {"v": 40}, "f": {"v": true}}, "query": {"filters": [{"field": "v",'
    ' "operator": "NOT_BETWEEN", "value": [25, 36.0]}]}, "expect": ["d", "e", "f"]}}',
    # R35.1 BETWEEN strings by code point, datetimes as instants
    '{"rule": "R35", "title": "BETWEEN strings by code point, datetimes as instants", "example"'
    ': {"records": {"a": {"v": "b"}, "b": {"v": "bz"}, "c": {"v": "c"}, "d": {"v": "C"}, "e": {'
    '"v": "ca"}}, "query": {"filters": [{"field": "v", "operator": "BETWEEN", "value": ["b", "c'
    '"]}]}, "expect": ["a", "b", "c"]}}',
    # R35.2 BETWEEN strings by code point, datetimes as instants
    '{"rule": "R35", "title": "BETWEEN strings by code point, datetimes as instants", "example"'
    ': {"records": {"a": {"t": {"$datetime": "2021-06-01T14:00:00+02:00"}}, "b": {"t": {"$datet'
    'ime": "2021-06-01T14:00:00+00:00"}}, "c": {"t": {"$datetime": "2021-05-31T23:59:59"}}}, "q'
    'uery": {"filters": [{"field": "t", "operator": "BETWEEN", "value": [{"$datetime": "2021-06'
    '-01T00:00:00"}, {"$datetime": "2021-06-01T12:00:00+00:00"}]}]}, "expect": ["a"]}}',
    # R36.1 A pair with low above high matches nothing, and its NOT_BETWEEN every value
    '{"rule": "R36", "title": "A pair with low above high matches nothing, and its NOT_BETWEEN '
    'every value", "example": {"records": {"a": {"v": 3}, "b": {"v": "x"}, "c": {"v": null}}, "'
    'query": {"filters": [{"field": "v", "operator": "BETWEEN", "value": [5, 1]}]}, "expect": ['
    ']}}',
    # R36.2 A pair with low above high matches nothing, and its NOT_BETWEEN every value
    '{"rule": "R36", "title": "A pair with low above high matches nothing, and its NOT_BETWEEN '
    'every value", "example": {"records": {"a": {"v": 3}, "b": {"v": "x"}, "c": {"v": null}}, "'
    'query": {"filters": [{"field": "v", "operator": "NOT_BETWEEN", "value": [5, 1]}]}, "expect'
    '": ["a", "b"]}}',
    # R37.1 The bounds must be a pair of one orderable kind
    '{"rule": "R37", "title": "The bounds must be a pair of one orderable kind", "example": {"r'
    'ecords": {}, "query": {"filters": [{"field": "v", "operator": "BETWEEN", "value": [1, "5"]'
    '}]}, "raises": "QueryError"}}',
    # R37.2 The bounds must be a pair of one orderable kind
    '{"rule": "R37", "title": "The bounds must be a pair of one orderable kind", "example": {"r'
    'ecords": {}, "query": {"filters": [{"field": "v", "operator": "BETWEEN", "value": [false, '
    'true]}]}, "raises": "QueryError"}}',
    # R37.3 The bounds must be a pair of one orderable kind
    '{"rule": "R37", "title": "The bounds must be a pair of one orderable kind", "example": {"r'
    'ecords": {}, "query": {"filters": [{"field": "v", "operator": "NOT_BETWEEN", "value": [1]}'
    ']}, "raises": "QueryError"}}',
    # R38.1 LIKE matches the whole string, case-sensitive
    '{"rule": "R38", "title": "LIKE matches the whole string, case-sensitive", "example": {"rec'
    'ords": {"a": {"v": "Ada"}, "b": {"v": "ada"}, "c": {"v": "Adam"}, "d": {"v": "Ad"}}, "quer'
    'y": {"filters": [{"field": "v", "operator": "LIKE", "value": "Ad_"}]}, "expect": ["a"]}}',
    # R38.2 LIKE matches the whole string, case-sensitive
    '{"rule": "R38", "title": "LIKE matches the whole string, case-sensitive", "example": {"rec'
    'ords": {"a": {"v": "Ada"}, "b": {"v": "ada"}, "c": {"v": "Adam"}, "d": {"v": "Ad"}}, "quer'
    'y": {"filters": [{"field": "v", "operator": "LIKE", "value": "Ad%"}]}, "expect": ["a", "c"'
    ', "d"]}}',
    # R38.3 LIKE matches the whole string, case-sensitive
    '{"rule": "R38", "title": "LIKE matches the whole string, case-sensitive", "example": {"rec'
    'ords": {"a": {"v": "Ada"}, "b": {"v": ""}}, "query": {"filters": [{"field": "v", "operator'
    '": "LIKE", "value": ""}]}, "expect": ["b"]}}',
    # R39.1 `_` is one code point, and `%` and `_` match newlines
    '{"rule": "R39", "title": "`_` is one code point, and `%` and `_` match newlines", "example'
    '": {"records": {"a": {"v": "\\u00e9"}, "b": {"v": "x\\ny"}, "c": {"v": "\\ud83d\\ude00"}, '
    '"d": {"v": "ab"}}, "query": {"filters": [{"field": "v", "operator": "LIKE", "value": "_"}]'
    '}, "expect": ["a", "c"]}}',
    # R39.2 `_` is one code point, and `%` and `_` match newlines
    '{"rule": "R39", "title": "`_` is one code point, and `%` and `_` match newlines", "example'
    '": {"records": {"a": {"v": "\\u00e9"}, "b": {"v": "x\\ny"}, "c": {"v": "\\ud83d\\ude00"}, '
    '"d": {"v": "ab"}}, "query": {"filters": [{"field": "v", "operator": "LIKE", "value": "x_y"'
    '}]}, "expect": ["b"]}}',
    # R39.3 `_` is one code point, and `%` and `_` match newlines
    '{"rule": "R39", "title": "`_` is one code point, and `%` and `_` match newlines", "example'
    '": {"records": {"a": {"v": "\\u00e9"}, "b": {"v": "x\\ny"}, "c": {"v": "\\ud83d\\ude00"}, '
    '"d": {"v": "ab"}}, "query": {"filters": [{"field": "v", "operator": "LIKE", "value": "x%"}'
    ']}, "expect": ["b"]}}',
    # R40.1 A backslash escapes the next character
    '{"rule": "R40", "title": "A backslash escapes the next character", "example": {"records": '
    '{"a": {"v": "50%"}, "b": {"v": "500"}, "c": {"v": "a_b"}, "d": {"v": "axb"}, "e": {"v": "b'
    'ack\\\\slash"}}, "query": {"filters": [{"field": "v", "operator": "LIKE", "value": "50\\\\'
    '%"}]}, "expect": ["a"]}}',
    # R40.2 A backslash escapes the next character
    '{"rule": "R40", "title": "A backslash escapes the next character", "example": {"records": '
    '{"a": {"v": "50%"}, "b": {"v": "500"}, "c": {"v": "a_b"}, "d": {"v": "axb"}, "e": {"v": "b'
    'ack\\\\slash"}}, "query": {"filters": [{"field": "v", "operator": "LIKE", "value": "a\\\\_'
    'b"}]}, "expect": ["c"]}}',
    # R40.3 A backslash escapes the next character
    '{"rule": "R40", "title": "A backslash escapes the next character", "example": {"records": '
    '{"a": {"v": "50%"}, "b": {"v": "500"}, "c": {"v": "a_b"}, "d": {"v": "axb"}, "e": {"v": "b'
    'ack\\\\slash"}}, "query": {"filters": [{"field": "v", "operator": "LIKE", "value": "%\\\\'
    '\\\\%"}]}, "expect": ["e"]}}',
    # R41.1 A lone trailing backslash matches a backslash; an escaped ordinary character is itself
    '{"rule": "R41", "title": "A lone trailing backslash matches a backslash; an escaped ordina'
    'ry character is itself", "example": {"records": {"a": {"v": "x\\\\"}, "b": {"v": "x"}, "c"'
    ': {"v": "x\\\\\\\\"}}, "query": {"filters": [{"field": "v", "operator": "LIKE", "value": "'
    'x\\\\"}]}, "expect": ["a"]}}',
    # R41.2 A lone trailing backslash matches a backslash; an escaped ordinary character is itself
    '{"rule": "R41", "title": "A lone trailing backslash matches a backslash; an escaped ordina'
    'ry character is itself", "example": {"records": {"a": {"v": "ab"}, "b": {"v": "\\\\ab"}}, '
    '"query": {"filters": [{"field": "v", "operator": "LIKE", "value": "\\\\ab"}]}, "expect": ['
    '"a"]}}',
    # R42.1 Regular-expression characters are literal in LIKE
    '{"rule": "R42", "title": "Regular-expression characters are literal in LIKE", "example": {'
    '"records": {"a": {"v": "a.c"}, "b": {"v": "abc"}, "c": {"v": "[a]*"}, "d": {"v": "a"}}, "q'
    'uery": {"filters": [{"field": "v", "operator": "LIKE", "value": "a.c"}]}, "expect": ["a"]}'
    '}',
    # R42.2 Regular-expression characters are literal in LIKE
    '{"rule": "R42", "title": "Regular-expression characters are literal in LIKE", "example": {'
    '"records": {"a": {"v": "a.c"}, "b": {"v": "abc"}, "c": {"v": "[a]*"}, "d": {"v": "a"}}, "q'
    'uery": {"filters": [{"field": "v", "operator": "LIKE", "value": "[a]*"}]}, "expect": ["c"]'
    '}}',
    # R43.1 LIKE is false for non-strings, so NOT_LIKE is true for them
    '{"rule": "R43", "title": "LIKE is false for non-strings, so NOT_LIKE is true for them", "e'
    'xample": {"records": {"a": {"v": 36}, "b": {"v": "36"}, "c": {"v": true}, "d": {}}, "query'
    '": {"filters": [{"field": "v", "operator": "LIKE", "value": "3%"}]}, "expect": ["b"]}}',
    # R43.2 LIKE is false for non-strings, so NOT_LIKE is true for them
    '{"rule": "R43", "title": "LIKE is false for non-strings, so NOT_LIKE is true for them", "e'
    'xample": {"records": {"a": {"v": 36}, "b": {"v": "36"}, "c": {"v": true}, "d": {}}, "query'
    '": {"filters": [{"field": "v", "operator": "NOT_LIKE", "value": "3%"}]}, "expect": ["a", "'
    'c"]}}',
    # R44.1 ILIKE ignores case, for every alphabet
    '{"rule": "R44", "title": "ILIKE ignores case, for every alphabet", "example": {"records": '
    '{"a": {"v": "ADA"}, "b": {"v": "ada"}, "c": {"v": "Ada Lovelace"}, "d": {"v": "bob"}}, "qu'
    'ery": {"filters": [{"field": "v", "operator": "ILIKE", "value": "ada"}]}, "expect": ["a", '
    '"b"]}}',
    # R44.2 ILIKE ignores case, for every alphabet
    '{"rule": "R44", "title": "ILIKE ignores case, for every alphabet", "example": {"records": '
    '{"a": {"v": "\\u00c9mile"}, "b": {"v": "\\u00e9MILE"}, "c": {"v": "Emile"}}, "query": {"fi'
    'lters": [{"field": "v", "operator": "ILIKE", "value": "\\u00e9mil_"}]}, "expect": ["a", "b'
    '"]}}',
    # R44.3 ILIKE ignores case, for every alphabet
    '{"rule": "R44", "title": "ILIKE ignores case, for every alphabet", "example": {"records": '
    '{"a": {"v": "50% OFF"}, "b": {"v": "50x off"}, "c": {"v": "50% offer"}}, "query": {"filter'
    's": [{"field": "v", "operator": "ILIKE", "value": "50\\\\% off"}]}, "expect": ["a"]}}',
    # R45.1 The pattern operand must be a string
    '{"rule": "R45", "title": "The pattern operand must be a string", "example": {"records": {}'
    ', "query": {"filters": [{"field": "v", "operator": "LIKE", "value": 3}]}, "raises": "Query'
    'Error"}}',
    # R46.1 STARTS_WITH is a literal, case-sensitive prefix
    '{"rule": "R46", "title": "STARTS_WITH is a literal, case-sensitive prefix", "example": {"r'
    'ecords": {"a": {"v": "ada"}, "b": {"v": "Ada"}, "c": {"v": "%x"}, "d": {"v": 5}, "e": {"v"'
    ': ""}}, "query": {"filters": [{"field": "v", "operator": "STARTS_WITH", "value": "a"}]}, "'
    'expect": ["a"]}}',
    # R46.2 STARTS_WITH is a literal, case-sensitive prefix
    '{"rule": "R46", "title": "STARTS_WITH is a literal, case-sensitive prefix", "example": {"r'
    'ecords": {"a": {"v": "ada"}, "b": {"v": "Ada"}, "c": {"v": "%x"}, "d": {"v": 5}, "e": {"v"'
    ': ""}}, "query": {"filters": [{"field": "v", "operator": "STARTS_WITH", "value": "%"}]}, "'
    'expect": ["c"]}}',
    # R46.3 STARTS_WITH is a literal, case-sensitive prefix
    '{"rule": "R46", "title": "STARTS_WITH is a literal, case-sensitive prefix", "example": {"r'
    'ecords": {"a": {"v": "ada"}, "b": {"v": "Ada"}, "c": {"v": "%x"}, "d": {"v": 5}, "e": {"v"'
    ': ""}}, "query": {"filters": [{"field": "v", "operator": "STARTS_WITH", "value": ""}]}, "e'
    'xpect": ["a", "b", "c", "e"]}}',
    # R47.1 REGEX searches anywhere in the string, case-sensitively
    '{"rule": "R47", "title": "REGEX searches anywhere in the string, case-sensitively", "examp'
    'le": {"records": {"a": {"v": "Ada"}, "b": {"v": "ada"}, "c": {"v": "Nadia"}, "d": {"v": "A'
    'DA"}}, "query": {"filters": [{"field": "v", "operator": "REGEX", "value": "da"}]}, "expect'
    '": ["a", "b"]}}',
    # R47.2 REGEX searches anywhere in the string, case-sensitively
    '{"rule": "R47", "title": "REGEX searches anywhere in the string, case-sensitively", "examp'
    'le": {"records": {"a": {"v": "Ada"}, "b": {"v": "ada"}, "c": {"v": "Nadia"}, "d": {"v": "A'
    'DA"}}, "query": {"filters": [{"field": "v", "operator": "REGEX", "value": "^A"}]}, "expect'
    '": ["a", "d"]}}',
    # R47.3 REGEX searches anywhere in the string, case-sensitively
    '{"rule": "R47", "title": "REGEX searches anywhere in the string, case-sensitively", "examp'
    'le": {"records": {"a": {"v": "Ada"}, "b": {"v": "ada"}, "c": {"v": "Nadia"}, "d": {"v": "A'
    'DA"}}, "query": {"filters": [{"field": "v", "operator": "REGEX", "value": "a$"}]}, "expect'
    '": ["a", "b", "c"]}}',
    # R47.4 REGEX searches anywhere in the string, case-sensitively
    '{"rule": "R47", "title": "REGEX searches anywhere in the string, case-sensitively", "examp'
    'le": {"records": {"a": {"v": "a\\n"}, "b": {"v": "a"}, "c": {"v": "a\\n\\n"}, "d": {"v": "'
    'ab\\n"}}, "query": {"filters": [{"field": "v", "operator": "REGEX", "value": "a$"}]}, "exp'
    'ect": ["b"]}}',
    # R48.1 Classes, quantifiers, groups and alternation
    '{"rule": "R48", "title": "Classes, quantifiers, groups and alternation", "example": {"reco'
    'rds": {"a": {"v": "ab12"}, "b": {"v": "ab1"}, "c": {"v": "xy123"}, "d": {"v": "AB12"}}, "q'
    'uery": {"filters": [{"field": "v", "operator": "REGEX", "value": "^[a-z]+[0-9]{2}$"}]}, "e'
    'xpect": ["a"]}}',
    # R48.2 Classes, quantifiers, groups and alternation
    '{"rule": "R48", "title": "Classes, quantifiers, groups and alternation", "example": {"reco'
    'rds": {"a": {"v": "ab12"}, "b": {"v": "ab1"}, "c": {"v": "xy123"}, "d": {"v": "AB12"}}, "q'
    'uery": {"filters": [{"field": "v", "operator": "REGEX", "value": "(ab|xy)1"}]}, "expect": '
    '["a", "b", "c"]}}',
    # R48.3 Classes, quantifiers, groups and alternation
    '{"rule": "R48", "title": "Classes, quantifiers, groups and alternation", "example": {"reco'
    'rds": {"a": {"v": "ab12"}, "b": {"v": "ab1"}, "c": {"v": "xy123"}, "d": {"v": "AB12"}}, "q'
    'uery": {"filters": [{"field": "v", "operator": "REGEX", "value": "[^a-z0-9]"}]}, "expect":'
    ' ["d"]}}',
    # R48.4 Classes, quantifiers, groups and alternation
    '{"rule": "R48", "title": "Classes, quantifiers, groups and alternation", "example": {"reco'
    'rds": {"a": {"v": "a.b"}, "b": {"v": "axb"}}, "query": {"filters": [{"field": "v", "operat'
    'or": "REGEX", "value": "a\\\\.b"}]}, "expect": ["a"]}}',
    # R49.1 `.` matches any character, newline included
    '{"rule": "R49", "title": "`.` matches any character, newline included", "example": {"recor'
    'ds": {"a": {"v": "x\\ny"}, "b": {"v": "xy"}}, "query": {"filters": [{"field": "v", "operat'
    'or": "REGEX", "value": "^x.y$"}]}, "expect": ["a"]}}',
    # R50.1 REGEX is false for non-strings
    '{"rule": "R50", "title": "REGEX is false for non-strings", "example": {"records": {"a": {"'
    'v": 123}, "b": {"v": "123"}, "c": {"v": ["123"]}}, "query": {"filters": [{"field": "v", "o'
    'perator": "REGEX", "value": "1"}]}, "expect": ["b"]}}',
    # R51.1 A pattern outside the portable subset is rejected
    '{"rule": "R51", "title": "A pattern outside the portable subset is rejected", "example": {'
    '"records": {}, "query": {"filters": [{"field": "v", "operator": "REGEX", "value": "\\\\d+"'
    '}]}, "raises": "QueryError"}}',
    # R51.2 A pattern outside the portable subset is rejected
    '{"rule": "R51", "title": "A pattern outside the portable subset is rejected", "example": {'
    '"records": {}, "query": {"filters": [{"field": "v", "operator": "REGEX", "value": "(?i)ada'
    '"}]}, "raises": "QueryError"}}',
    # R51.3 A pattern outside the portable subset is rejected
    '{"rule": "R51", "title": "A pattern outside the portable subset is rejected", "example": {'
    '"records": {}, "query": {"filters": [{"field": "v", "operator": "REGEX", "value": "a.*?b"}'
    ']}, "raises": "QueryError"}}',
    # R51.4 A pattern outside the portable subset is rejected
    '{"rule": "R51", "title": "A pattern outside the portable subset is rejected", "example": {'
    '"records": {}, "query": {"filters": [{"field": "v", "operator": "REGEX", "value": "a$|^b"}'
    ']}, "raises": "QueryError"}}',
    # R51.5 A pattern outside the portable subset is rejected
    '{"rule": "R51", "title": "A pattern outside the portable subset is rejected", "example": {'
    '"records": {}, "query": {"filters": [{"field": "v", "operator": "REGEX", "value": "[[:alph'
    'a:]]"}]}, "raises": "QueryError"}}',
    # R52.1 The filters of a query are AND-ed
    '{"rule": "R52", "title": "The filters of a query are AND-ed", "example": {"records": {"a":'
    ' {"team": "core", "age": 36}, "b": {"team": "core", "age": 25}, "c": {"team": "infra", "ag'
    'e": 40}}, "query": {"filters": [{"field": "team", "operator": "EQ", "value": "core"}, {"fi'
    'eld": "age", "operator": "GT", "value": 30}]}, "expect": ["a"]}}',
    # R53.1 OR matches when any condition does
    '{"rule": "R53", "title": "OR matches when any condition does", "example": {"records": {"a"'
    ': {"city": "Oslo"}, "b": {"city": "Rome"}, "c": {"city": "Paris"}, "d": {}}, "query": {"fi'
    'lters": [{"or": [{"field": "city", "operator": "EQ", "value": "Oslo"}, {"field": "city", "'
    'operator": "EQ", "value": "Rome"}]}]}, "expect": ["a", "b"]}}',
    # R54.1 NOT is the exact complement, missing and null included
    '{"rule": "R54", "title": "NOT is the exact complement, missing and null included", "exampl'
    'e": {"records": {"a": {"v": null}, "b": {}, "c": {"v": 1}, "d": {"v": 5}}, "query": {"filt'
    'ers": [{"not": {"field": "v", "operator": "GT", "value": 2}}]}, "expect": ["a", "b", "c"]}'
    '}',
    # R54.2 NOT is the exact complement, missing and null included
    '{"rule": "R54", "title": "NOT is the exact complement, missing and null included", "exampl'
    'e": {"records": {"a": {"v": null}, "b": {}, "c": {"v": 1}, "d": {"v": 5}}, "query": {"filt'
    'ers": [{"not": {"field": "v", "operator": "NEQ", "value": 1}}]}, "expect": ["a", "b", "c"]'
    '}}',
    # R54.3 NOT is the exact complement, missing and null included
    '{"rule": "R54", "title": "NOT is the exact complement, missing and null included", "exampl'
    'e": {"records": {"a": {"v": null}, "b": {}, "c": {"v": 1}, "d": {"v": 5}}, "query": {"filt'
    'ers": [{"not": {"field": "v", "operator": "EXISTS"}}]}, "expect": ["a", "b"]}}',
    # R55.1 An empty AND is true, an empty OR is false
    '{"rule": "R55", "title": "An empty AND is true, an empty OR is false", "example": {"record'
    's": {"a": {"v": 1}, "b": {}}, "query": {"filters": [{"and": []}]}, "expect": ["a", "b"]}}',
    # R55.2 An empty AND is true, an empty OR is false
    '{"rule": "R55", "title": "An empty AND is true, an empty OR is false", "example": {"record'
    's": {"a": {"v": 1}, "b": {}}, "query": {"filters": [{"or": []}]}, "expect": []}}',
    # R55.3 An empty AND is true, an empty OR is false
    '{"rule": "R55", "title": "An empty AND is true, an empty OR is false", "example": {"record'
    's": {"a": {"v": 1}, "b": {}}, "query": {"filters": [{"not": {"or": []}}]}, "expect": ["a",'
    ' "b"]}}',
    # R56.1 Conditions nest to any depth
    '{"rule": "R56", "title": "Conditions nest to any depth", "example": {"records": {"a": {"na'
    'me": "Ada", "age": 36, "active": true, "score": 9}, "b": {"name": "Bob", "age": 25, "activ'
    'e": false}, "c": {"name": "Cy", "age": 30, "active": true}, "d": {"name": "Dee", "age": 20'
    ', "active": true}, "e": {"name": "Eve", "age": 22, "score": null}}, "query": {"filters": ['
    '{"or": [{"field": "name", "operator": "EQ", "value": "Cy"}, {"and": [{"field": "age", "ope'
    'rator": "LT", "value": 30}, {"not": {"or": [{"field": "active", "operator": "EQ", "value":'
    ' true}, {"field": "score", "operator": "EXISTS"}]}}]}]}]}, "expect": ["b", "c", "e"]}}',
    # R57.1 Without sort keys, results are ordered by id
    '{"rule": "R57", "title": "Without sort keys, results are ordered by id", "example": {"reco'
    'rds": {"r2": {}, "r10": {}, "a": {}, "B": {}}, "query": {}, "expect": ["B", "a", "r10", "r'
    '2"]}}',
    # R58.1 Ascending by value, ties by id
    '{"rule": "R58", "title": "Ascending by value, ties by id", "example": {"records": {"a": {"'
    'v": 2}, "b": {"v": 1.5}, "c": {"v": 2.0}, "d": {"v": 1}}, "query": {"sort": [{"field": "v"'
    ', "order": "asc"}]}, "expect": ["d", "b", "a", "c"]}}',
    # R59.1 Descending by value, ties still by ascending id
    '{"rule": "R59", "title": "Descending by value, ties still by ascending id", "example": {"r'
    'ecords": {"a": {"v": 2}, "b": {"v": 1.5}, "c": {"v": 2.0}, "d": {"v": 1}}, "query": {"sort'
    '": [{"field": "v", "order": "desc"}]}, "expect": ["a", "c", "b", "d"]}}',
    # R60.1 Missing and null sort last in both directions, among themselves by id
    '{"rule": "R60", "title": "Missing and null sort last in both directions, among themselves '
    'by id", "example": {"records": {"a": {"v": null}, "b": {"v": 1}, "c": {}, "d": {"v": 2}}, '
    '"query": {"sort": [{"field": "v", "order": "asc"}]}, "expect": ["b", "d", "a", "c"]}}',
    # R60.2 Missing and null sort last in both directions, among themselves by id
    '{"rule": "R60", "title": "Missing and null sort last in both directions, among themselves '
    'by id", "example": {"records": {"a": {"v": null}, "b": {"v": 1}, "c": {}, "d": {"v": 2}}, '
    '"query": {"sort": [{"field": "v", "order": "desc"}]}, "expect": ["d", "b", "a", "c"]}}',
    # R61.1 Different kinds sort by type rank: boolean, number, string, datetime, list, object
    '{"rule": "R61", "title": "Different kinds sort by type rank: boolean, number, string, date'
    'time, list, object", "example": {"records": {"m0": {}, "m1": {"v": 1}, "m2": {"v": "1"}, "'
    'm3": {"v": true}, "m4": {"v": 2.5}, "m5": {"v": "a"}, "m6": {"v": null}, "m7": {"v": {"$da'
    'tetime": "2020-01-01T00:00:00+00:00"}}, "m8": {"v": [1]}, "m9": {"v": {"k": 1}}}, "query":'
    ' {"sort": [{"field": "v"}]}, "expect": ["m3", "m1", "m4", "m2", "m5", "m7", "m8", "m9", "m'
    '0", "m6"]}}',
    # R61.2 Different kinds sort by type rank: boolean, number, string, datetime, list, object
    '{"rule": "R61", "title": "Different kinds sort by type rank: boolean, number, string, date'
    'time, list, object", "example": {"records": {"m0": {}, "m1": {"v": 1}, "m2": {"v": "1"}, "'
    'm3": {"v": true}, "m4": {"v": 2.5}, "m5": {"v": "a"}, "m6": {"v": null}, "m7": {"v": {"$da'
    'tetime": "2020-01-01T00:00:00+00:00"}}, "m8": {"v": [1]}, "m9": {"v": {"k": 1}}}, "query":'
    ' {"sort": [{"field": "v", "order": "desc"}]}, "expect": ["m9", "m8", "m7", "m5", "m2", "m4'
    '", "m1", "m3", "m0", "m6"]}}',
    # R62.1 Within a kind: false before true, strings by code point, datetimes by instant
    '{"rule": "R62", "title": "Within a kind: false before true, strings by code point, datetim'
    'es by instant", "example": {"records": {"a": {"v": true}, "b": {"v": false}, "c": {"v": tr'
    'ue}}, "query": {"sort": [{"field": "v"}]}, "expect": ["b", "a", "c"]}}',
    # R62.2 Within a kind: false before true, strings by code point, datetimes by instant
    '{"rule": "R62", "title": "Within a kind: false before true, strings by code point, datetim'
    'es by instant", "example": {"records": {"a": {"v": "apple"}, "b": {"v": "Zed"}, "c": {"v":'
    ' "\\u00c9mile"}, "d": {"v": "Apple"}, "e": {"v": "app"}}, "query": {"sort": [{"field": "v"'
    '}]}, "expect": ["d", "b", "e", "a", "c"]}}',
    # R62.3 Within a kind: false before true, strings by code point, datetimes by instant
    '{"rule": "R62", "title": "Within a kind: false before true, strings by code point, datetim'
    'es by instant", "example": {"records": {"a": {"t": {"$datetime": "2021-06-01T14:00:00+02:0'
    '0"}}, "b": {"t": {"$datetime": "2021-06-01T12:30:00"}}, "c": {"t": {"$datetime": "2021-06-'
    '01T11:00:00+00:00"}}, "d": {"t": {"$datetime": "2021-06-01T12:30:00+02:00"}}}, "query": {"'
    'sort": [{"field": "t", "order": "asc"}]}, "expect": ["d", "c", "a", "b"]}}',
    # R63.1 Lists and objects are not ordered by content: ties fall to the id
    '{"rule": "R63", "title": "Lists and objects are not ordered by content: ties fall to the i'
    'd", "example": {"records": {"a": {"v": [3]}, "b": {"v": {"k": 0}}, "c": {"v": [1]}, "d": {'
    '"v": {}}}, "query": {"sort": [{"field": "v", "order": "asc"}]}, "expect": ["a", "c", "b", '
    '"d"]}}',
    # R63.2 Lists and objects are not ordered by content: ties fall to the id
    '{"rule": "R63", "title": "Lists and objects are not ordered by content: ties fall to the i'
    'd", "example": {"records": {"a": {"v": [3]}, "b": {"v": {"k": 0}}, "c": {"v": [1]}, "d": {'
    '"v": {}}}, "query": {"sort": [{"field": "v", "order": "desc"}]}, "expect": ["b", "d", "a",'
    ' "c"]}}',
    # R64.1 Several sort keys: each breaks the ties of the ones before it
    '{"rule": "R64", "title": "Several sort keys: each breaks the ties of the ones before it", '
    '"example": {"records": {"a": {"team": "core", "age": 36}, "b": {"team": "infra", "age": 25'
    '}, "c": {"team": "core", "age": 30}, "d": {"age": 50}, "e": {"team": "core", "age": 36}, "'
    'f": {"team": "core"}}, "query": {"sort": [{"field": "team", "order": "asc"}, {"field": "ag'
    'e", "order": "desc"}]}, "expect": ["a", "e", "c", "f", "b", "d"]}}',
    # R65.1 Sort keys may be dotted paths; a path that reaches nothing has no value
    '{"rule": "R65", "title": "Sort keys may be dotted paths; a path that reaches nothing has n'
    'o value", "example": {"records": {"a": {"team": {"size": 5}}, "b": {"team": {"size": 2}}, '
    '"c": {"team": null}, "d": {"team": {"size": 9}}, "e": {"team": [{"size": 1}]}}, "query": {'
    '"sort": [{"field": "team.size", "order": "asc"}]}, "expect": ["b", "a", "d", "c", "e"]}}',
    # R66.1 Offset skips, limit caps; count ignores both
    '{"rule": "R66", "title": "Offset skips, limit caps; count ignores both", "example": {"reco'
    'rds": {"a": {"v": 5}, "b": {"v": 4}, "c": {"v": 3}, "d": {"v": 2}, "e": {"v": 1}}, "query"'
    ': {"sort": [{"field": "v"}], "offset": 1, "limit": 2}, "expect": ["d", "c"], "count": 5}}',
    # R66.2 Offset skips, limit caps; count ignores both
    '{"rule": "R66", "title": "Offset skips, limit caps; count ignores both", "example": {"reco'
    'rds": {"a": {"v": 5}, "b": {"v": 4}, "c": {"v": 3}, "d": {"v": 2}, "e": {"v": 1}}, "query"'
    ': {"sort": [{"field": "v"}], "offset": 3}, "expect": ["b", "a"], "count": 5}}',
    # R67.1 An offset past the end and a limit of zero return nothing
    '{"rule": "R67", "title": "An offset past the end and a limit of zero return nothing", "exa'
    'mple": {"records": {"a": {"v": 5}, "b": {"v": 4}}, "query": {"offset": 2}, "expect": [], "'
    'count": 2}}',
    # R67.2 An offset past the end and a limit of zero return nothing
    '{"rule": "R67", "title": "An offset past the end and a limit of zero return nothing", "exa'
    'mple": {"records": {"a": {"v": 5}, "b": {"v": 4}}, "query": {"limit": 0}, "expect": [], "c'
    'ount": 2}}',
    # R68.1 Paging is stable through ties
    '{"rule": "R68", "title": "Paging is stable through ties", "example": {"records": {"e": {"v'
    '": 1}, "d": {"v": 1}, "c": {"v": 1}, "b": {"v": 1}, "a": {"v": 1}, "f": {"v": 0}}, "query"'
    ': {"sort": [{"field": "v", "order": "desc"}], "offset": 2, "limit": 2}, "expect": ["c", "d'
    '"], "count": 6}}',
    # R68.2 Paging is stable through ties
    '{"rule": "R68", "title": "Paging is stable through ties", "example": {"records": {"e": {"v'
    '": 1}, "d": {"v": 1}, "c": {"v": 1}, "b": {"v": 1}, "a": {"v": 1}, "f": {"v": 0}}, "query"'
    ': {"sort": [{"field": "v", "order": "desc"}], "offset": 4, "limit": 2}, "expect": ["e", "f'
    '"], "count": 6}}',
    # R69.1 Offset and limit must be non-negative integers
    '{"rule": "R69", "title": "Offset and limit must be non-negative integers", "example": {"re'
    'cords": {}, "query": {"limit": -1}, "raises": "QueryError"}}',
    # R70.1 Only the selected fields are returned; missing ones stay missing, nulls stay null
    '{"rule": "R70", "title": "Only the selected fields are returned; missing ones stay missing'
    ', nulls stay null", "example": {"records": {"a": {"name": "Ada", "age": 36, "city": null},'
    ' "b": {"name": "Bob", "age": 25}}, "query": {"fields": ["name", "city", "nope"]}, "expect"'
    ': ["a", "b"], "data": [{"name": "Ada", "city": null}, {"name": "Bob"}]}}',
    # R71.1 Dotted paths in a projection keep their nesting
    '{"rule": "R71", "title": "Dotted paths in a projection keep their nesting", "example": {"r'
    'ecords": {"a": {"team": {"name": "core", "size": 5}, "tags": [{"k": 1}]}, "b": {"team": nu'
    'll, "tags": []}, "c": {"team": {"size": 3, "name": null}}}, "query": {"fields": ["team.nam'
    'e", "tags.k"]}, "expect": ["a", "b", "c"], "data": [{"team": {"name": "core"}}, {}, {"team'
    '": {"name": null}}]}}',
    # R72.1 Filters and sort keys may use fields the projection leaves out
    '{"rule": "R72", "title": "Filters and sort keys may use fields the projection leaves out",'
    ' "example": {"records": {"a": {"name": "Ada", "age": 36}, "b": {"name": "Bob", "age": 25},'
    ' "c": {"name": "Cy", "age": 30}}, "query": {"filters": [{"field": "age", "operator": "GTE"'
    ', "value": 30}], "sort": [{"field": "age", "order": "desc"}], "fields": ["name"]}, "expect'
    '": ["a", "c"], "data": [{"name": "Ada"}, {"name": "Cy"}]}}',
    # R73.1 count(query) is the number of matching records
    '{"rule": "R73", "title": "count(query) is the number of matching records", "example": {"re'
    'cords": {"a": {"v": 1}, "b": {"v": 2}, "c": {"v": 3}, "d": {}}, "query": {"filters": [{"fi'
    'eld": "v", "operator": "GTE", "value": 2}], "sort": [{"field": "v"}], "limit": 1, "fields"'
    ': ["v"]}, "expect": ["b"], "data": [{"v": 2}], "count": 2}}',
    # R74.1 A malformed query is a QueryError before any backend sees it
    '{"rule": "R74", "title": "A malformed query is a QueryError before any backend sees it", "'
    'example": {"records": {}, "query": {"filters": [{"field": "v", "operator": "CONTAINS", "va'
    'lue": "x"}]}, "raises": "QueryError"}}',
    # R74.2 A malformed query is a QueryError before any backend sees it
    '{"rule": "R74", "title": "A malformed query is a QueryError before any backend sees it", "'
    'example": {"records": {}, "query": {"filters": [{"field": "a..b", "operator": "EQ", "value'
    '": 1}]}, "raises": "QueryError"}}',
    # R74.3 A malformed query is a QueryError before any backend sees it
    '{"rule": "R74", "title": "A malformed query is a QueryError before any backend sees it", "'
    'example": {"records": {}, "query": {"filters": [], "where": {}}, "raises": "QueryError"}}',
    # R74.4 A malformed query is a QueryError before any backend sees it
    '{"rule": "R74", "title": "A malformed query is a QueryError before any backend sees it", "'
    'example": {"records": {}, "query": {"sort": [{"field": "", "order": "asc"}]}, "raises": "Q'
    'ueryError"}}',
]
RAW_EXAMPLES: list[dict[str, Any]] = [json.loads(t) for t in _EXAMPLE_JSON]
# --- end of generated examples ---
# fmt: on

SPEC_EXAMPLES: list[SpecExample] = _examples(RAW_EXAMPLES)

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
