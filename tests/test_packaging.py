"""Packaging: what a user installs is the whole package, typed, and its modules form no cycle.

- every folder of the package is in the wheel, found without a hand-kept list (setup.py), and
  so is the package data (``py.typed``, the specification examples);
- the README's editable install is one mypy can follow: a user's project type-checks
  ``db.search(q)`` as ``list[Record]`` (with setuptools' default editable mode every name of
  the package is ``Any`` there);
- no two modules of the package import each other, directly or round a longer circle, at
  import time or inside a function.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = {"tests", "benchmarks", "examples", "build", "docs", ".venv"}


def package_modules() -> dict[str, Path]:
    """``dataknobs_data.<dotted>`` -> file, for every module of the package."""
    out: dict[str, Path] = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in NOT_SHIPPED or rel.parts[0].startswith(".") or rel.name == "setup.py":
            continue
        parts = ["dataknobs_data", *rel.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``module`` imports anywhere in its source."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(name for name in names if name in known and name != module)
    return found


def test_no_import_cycles() -> None:
    modules = package_modules()
    known = set(modules)
    graph = {name: imports_of(name, path, known) for name, path in modules.items()}
    # a package's __init__ re-exporting its modules is not a cycle with them
    for name in graph:
        graph[name] = {dep for dep in graph[name] if not name.startswith(dep + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                cycles.append([*trail[trail.index(dep):], dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_import_graph_sees_a_cycle(tmp_path: Path) -> None:
    """The graph above is not vacuous: it finds relative imports in both directions."""
    (tmp_path / "a.py").write_text("from .b import x\n")
    (tmp_path / "b.py").write_text("def f():\n    from . import a\n")
    known = {"dataknobs_data.a", "dataknobs_data.b"}
    assert imports_of("dataknobs_data.a", tmp_path / "a.py", known) == {"dataknobs_data.b"}
    assert imports_of("dataknobs_data.b", tmp_path / "b.py", known) == {"dataknobs_data.a"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True)
    return zipfile.ZipFile(next(out.glob("*.whl")))


def test_wheel_holds_every_module_and_the_package_data(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    expected = {"/".join(Path(str(path.relative_to(ROOT))).parts)
                for path in package_modules().values()}
    missing = sorted(f for f in expected if f"dataknobs_data/{f}" not in names)
    assert not missing, f"modules left out of the wheel: {missing}"
    assert "dataknobs_data/py.typed" in names
    assert "dataknobs_data/setup.py" not in names  # the build script is not a module
    assert "dataknobs_data/testing/spec_cases.json" in names
    assert not [n for n in names if n.startswith(("dataknobs_data/tests/", "tests/"))]


def test_installed_package_is_typed_for_a_users_project(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent("""\
        from dataknobs_data import MemoryDatabase, Query

        db = MemoryDatabase()
        found = db.search(Query())
        reveal_type(found)
        wrong: int = found
    """))
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--python-executable",
         sys.executable, str(app)], cwd=tmp_path, capture_output=True, text=True)
    assert 'Revealed type is "builtins.list[dataknobs_data.domain.records.Record]"' in \
        run.stdout or 'Revealed type is "list[dataknobs_data.domain.records.Record]"' in \
        run.stdout, run.stdout
    # and the type is used: assigning it to an int is an error
    assert "Incompatible types in assignment" in run.stdout, run.stdout
