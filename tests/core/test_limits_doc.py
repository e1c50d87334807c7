"""docs/limits.md: every row of its table names the tests that check it, and they exist.

A row's last cell lists one or more test references, ``path::name`` or
``path::Class::name``, relative to the repository root; a reference whose function or method
is not defined in that file (as written, parametrized or not) fails here, so a limit cannot be
documented without a test or outlive its test."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "limits.md"
REFERENCE = re.compile(r"`([\w/.-]+\.py)::([\w:]+)`")


def _defined(path: Path) -> set[str]:
    """``name`` and ``Class::name`` for every function and method defined in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}::{item.name}")
    return names


def _rows() -> list[tuple[int, str]]:
    rows = []
    for number, line in enumerate(DOC.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("|") and not set(line) <= set("|- ") and " backend " not in line:
            rows.append((number, line))
    return rows


def test_every_row_names_an_existing_test() -> None:
    rows = _rows()
    assert len(rows) >= 20, "the limits table lost its rows"
    missing = []
    for number, line in rows:
        refs = REFERENCE.findall(line.rsplit("|", 2)[-2])
        if not refs:
            missing.append(f"line {number}: no test named in {line[:60]!r}")
        for file, name in refs:
            path = ROOT / file
            if not path.is_file() or name not in _defined(path):
                missing.append(f"line {number}: {file}::{name} does not exist")
    assert not missing, "\n".join(missing)
