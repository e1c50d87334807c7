"""The executable examples of the query-semantics specification, shipped with the package.

docs/query-semantics.md states every rule of the query semantics as a numbered rule (R1,
R2, ...) with one or more examples in fenced ``json spec`` blocks: the records stored, a
query in ``Query.from_dict`` form, and the ids it returns in order (or the error building it
raises). The documentation does not ship with the package, so the package carries a copy of
those examples (``spec_cases.json`` beside this module, read into ``RAW_EXAMPLES``; generated
from the page, and a test in the repository fails when the two disagree) and this module the
code that reads and checks them:

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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain import codec
from ..domain.errors import QueryError, UnsupportedQueryError
from ..domain.query import Condition, Filter, Operator, Query
from ..domain.records import Record
from ..domain.values import type_rank
from ..ports.flows import Call, Flow, Next, Stream, arun_flow, run_flow

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
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == "```"),
                       len(lines))
            if end >= len(lines):
                raise SpecFormatError(f"line {i + 1}: unterminated ```{SPEC_FENCE} block")
            if rule is None:
                raise SpecFormatError(f"line {i + 1}: example outside a numbered rule")
            try:
                example = json.loads("\n".join(lines[i + 1:end]))
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
        pending: list[Condition] = list(self.build_query().filters)
        while pending:
            condition = pending.pop()
            if isinstance(condition, Filter):
                found.add(condition.operator)
            else:
                pending.extend(condition.conditions)
        return found

    @property
    def expected_count(self) -> int:
        """What ``count(query)`` must return."""
        return self.count if self.count is not None else len(self.expect or [])

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


def _example_flow(db: Any, example: SpecExample, load: bool) -> Flow:
    """The steps of ``run_example``, for the sync and the async driver of ``ports.flows``."""
    if example.raises is not None:
        check_raises(example)
        return
    query = example.build_query()
    if load and example.records:
        yield Call("create_batch", (example.build_records(),))
    unsupported = unsupported_operators(example, db.capabilities)
    if not unsupported:
        check_answer(example, (yield Call("search", (query,))), (yield Call("count", (query,))))
        return
    names = sorted(op.name for op in unsupported)
    for name in ("search", "count", "stream_read"):
        try:
            if name == "stream_read":
                stream = yield Stream(db, name, (query,))
                while (yield Next(stream)) is not None:
                    pass
            else:
                yield Call(name, (query,))
        except UnsupportedQueryError:
            continue
        raise AssertionError(f"{example.describe()}\n  {name} did not raise "
                             f"UnsupportedQueryError for unsupported {names}")


def run_example(db: Any, example: SpecExample, load: bool = True) -> None:
    """Run one example on an empty sync database; ``AssertionError`` on any difference.

    When the query uses an operator the database declares unsupported, ``search``,
    ``count`` and ``stream_read`` must raise ``UnsupportedQueryError`` instead. Leaves the
    records stored; ``load=False`` runs the query on records already stored (the previous
    example's, when ``same_records`` says they are the same)."""
    run_flow(db, _example_flow(db, example, load))


async def arun_example(db: Any, example: SpecExample, load: bool = True) -> None:
    """``run_example`` for an ``AsyncDatabase``."""
    await arun_flow(db, _example_flow(db, example, load))


# --- regeneration -----------------------------------------------------------------------------
def render_examples(raw: list[dict[str, Any]]) -> str:
    """The text of ``spec_cases.json`` for ``raw``: one example per line, ASCII."""
    return "[\n" + ",\n".join(json.dumps(item, ensure_ascii=True) for item in raw) + "\n]\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m dataknobs_data.testing.spec_cases PAGE [--write]``: check or rewrite."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0].startswith("-"):
        print("usage: python -m dataknobs_data.testing.spec_cases PAGE.md [--write]")
        return 2
    page = Path(args[0]).read_text(encoding="utf-8")
    fresh = render_examples(parse_spec(page))
    if SPEC_DATA.read_text(encoding="utf-8") == fresh:
        print(f"{SPEC_DATA.name} is up to date")
        return 0
    if "--write" in args:
        SPEC_DATA.write_text(fresh, encoding="utf-8")
        print(f"rewrote {SPEC_DATA.name} ({len(parse_spec(page))} examples)")
        return 0
    print(f"{SPEC_DATA.name} is out of date; rerun with --write")
    return 1


def spec_rule_ids() -> list[str]:
    """R1, R2, ... in order."""
    return list(dict.fromkeys(ex.rule for ex in SPEC_EXAMPLES))


def examples_of(rule: str) -> list[SpecExample]:
    """The examples of one rule."""
    return [ex for ex in SPEC_EXAMPLES if ex.rule == rule]


#: the page's examples as shipped (package data beside this module)
SPEC_DATA = Path(__file__).with_name("spec_cases.json")
RAW_EXAMPLES: list[dict[str, Any]] = json.loads(SPEC_DATA.read_text(encoding="utf-8"))
SPEC_EXAMPLES: list[SpecExample] = _examples(RAW_EXAMPLES)

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
