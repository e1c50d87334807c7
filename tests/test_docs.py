"""Every code block of the README and the docs runs as written (the project's rule).

The fenced blocks of README.md, docs/*.md, docs/backends/*.md and examples/README.md are read
from the pages themselves and run, each page in a fresh temporary working directory holding
a copy of ``examples/`` (the pages' relative paths start at the repository root):

- ``python``: executed in order in one module namespace per page, so a later block may use
  what an earlier one defined, as a reader would; ``pycon`` sessions run in the same
  namespace through doctest, which compares what they print with what the page shows;
- ``console``: every ``$ ...`` line runs through bash with the installed ``dataknobs-data``
  and ``python`` first on PATH; the lines shown after a command are its expected output
  (stdout and stderr, as a 120-column terminal shows them; ``...`` matches anything); a
  command shown without output must succeed;
- ``yaml``: parsed; a dataknobs configuration (a mapping with ``databases``) is validated by
  the container's loader with the environment variables it needs, every database is built,
  and those the test servers can serve through the page's own ``${VAR}`` placeholders
  (memory, file, S3, Elasticsearch) are opened and counted. PostgreSQL entries are built
  only: the pages' examples name a role and a database (``app@.../shop``) that the test
  server does not have;
- ``sql``: executed on the PostgreSQL test server in a transaction that is rolled back;
- ``toml``, ``json``, ``csv``: parsed;
- ``bash``: only the README's install block, which is what ``.ci/run`` executes: its test
  command must be the one ``.ci/run`` runs, and its ``dataknobs-data`` command is run;
- ``text`` (or no language): shown, never run.

A block whose first line is a comment naming a file (``# dk.yaml``,
``# tests/test_my_differential.py``) is that file: it is written to the working directory
(and checked as its language says, except that a Python file is not run: a later block
imports or runs it). docs/query-semantics.md's ```` ```json spec ```` blocks are run by
tests/core/test_semantics_spec.py; the tests at the end compare docs/backends/postgres.md's
table and docs/backends/file.md's file formats with what the adapters make.
"""

from __future__ import annotations

import asyncio
import csv
import doctest
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import types
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from dataknobs_data.containers import registry
from dataknobs_data.containers.config import parse_config
from dataknobs_data.testing.servers import require_server

ROOT = Path(__file__).resolve().parents[1]

#: pages left out for now, and why (each one is a known gap, to be removed from here)
NOT_COLLECTED: dict[str, str] = {}  # page -> why its blocks are not run (none today)


def doc_pages() -> list[str]:
    """The pages whose blocks this module runs, relative to the repository root."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "docs" / "backends").glob("*.md")), ROOT / "examples" / "README.md"]
    names = [p.relative_to(ROOT).as_posix() for p in pages]
    return [name for name in names if name not in NOT_COLLECTED]


# --- reading blocks ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Block:
    """One fenced block: the page, the line of its opening fence, its info string, its text."""

    page: str
    line: int
    info: str
    text: str

    @property
    def lang(self) -> str:
        return self.info.split()[0].lower() if self.info.strip() else ""

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")


def read_blocks(page: str, text: str | None = None) -> list[Block]:
    """The fenced blocks of ``page`` in order (CommonMark fences; nested fences are text)."""
    if text is None:
        text = (ROOT / page).read_text(encoding="utf-8")
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body: list[str] = []
        j = i + 1
        while j < len(lines):
            closing = FENCE.match(lines[j])
            if (closing is not None and closing["fence"][0] == fence[0]
                    and len(closing["fence"]) >= len(fence) and not closing["info"].strip()):
                break
            body.append(lines[j][indent:] if lines[j][:indent].isspace() else lines[j])
            j += 1
        else:
            raise AssertionError(f"{page}:{i + 1}: the block opened here is never closed")
        blocks.append(Block(page, i + 1, opening["info"].strip(), "\n".join(body) + "\n"))
        i = j + 1
    return blocks


FILE_COMMENT = re.compile(r"#\s*(?P<name>[\w.-]+(?:/[\w.-]+)*\.(?:ya?ml|toml|py|json|csv))\s*")


def file_name(block: Block) -> str | None:
    """The file a block is, when its first line is a comment naming one (``# dk.yaml``)."""
    first = block.text.split("\n", 1)[0]
    match = FILE_COMMENT.fullmatch(first)
    if match is None or ".." in match["name"].split("/"):
        return None
    return match["name"]


def runnable(block: Block) -> bool:
    """Whether this module runs ``block`` (the semantics page's spec blocks run elsewhere)."""
    return not (block.page == "docs/query-semantics.md" and block.info.split()[1:2] == ["spec"])


# --- running blocks ---------------------------------------------------------------------------
class Servers:
    """The test servers a page's configurations point at, started on first use."""

    def __init__(self) -> None:
        self._es: Any = None
        self._s3: Any = None
        self._s3_bucket = ""
        self._errors: dict[str, str] = {}

    def _fail(self, name: str) -> None:
        require_server(name, self._errors[name])

    def elasticsearch(self) -> dict[str, str]:
        from dataknobs_data.testing.servers.elasticsearch import new_index_name, start_server

        if "elasticsearch" in self._errors:
            self._fail("elasticsearch")
        if self._es is None:
            try:
                self._es = start_server()
            except Exception as err:
                self._errors["elasticsearch"] = f"{type(err).__name__}: {err}"
                self._fail("elasticsearch")
        return {"ES_URL": self._es.url, "ES_INDEX": new_index_name("dk-docs"),
                "ES_COMPATIBILITY": self._es.compatibility}

    def s3(self) -> dict[str, str]:
        from dataknobs_data.testing.servers.s3 import STARTERS, external_server, server_names

        if "s3" in self._errors:
            self._fail("s3")
        if self._s3 is None:
            try:
                name = server_names()[0]
                self._s3 = external_server() if name == "external" else STARTERS[name]()
                self._s3_bucket = self._s3.new_bucket("dk-docs")
            except Exception as err:
                self._errors["s3"] = f"{type(err).__name__}: {err}"
                self._fail("s3")
        return {"S3_ENDPOINT": self._s3.endpoint_url, "S3_BUCKET": self._s3_bucket,
                "S3_PREFIX": f"docs-{uuid.uuid4().hex[:12]}/", "AWS_REGION": self._s3.region,
                "AWS_ACCESS_KEY_ID": self._s3.access_key,
                "AWS_SECRET_ACCESS_KEY": self._s3.secret_key}

    def postgres(self) -> Any:
        """A psycopg2 connection to the test server (not in autocommit)."""
        import psycopg2

        from dataknobs_data.testing.servers.postgres import check_server, postgres_dsn

        reason = check_server()
        if reason is not None:
            require_server("postgresql", reason)
        return psycopg2.connect(postgres_dsn(), connect_timeout=5)

    def stop(self) -> None:
        for server in (self._es, self._s3):
            if server is not None:
                server.stop()


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    holder = Servers()
    yield holder
    holder.stop()


#: values for the required ``${VAR}`` placeholders of the pages' configurations (secrets a
#: reader keeps in the environment)
SECRETS = {"PG_PASSWORD": "doc-password"}
#: where the pages' file stores go: the working directory (the default ``data/`` directory
#: of the examples does not exist in it, and the file adapter does not create directories)
PATHS = {"PEOPLE_PATH": "people.jsonl", "DATA_DIR": "."}


class PageRunner:
    """Runs the blocks of one page in order, in one working directory and one namespace."""

    def __init__(self, page: str, workdir: Path, servers: Servers,
                 monkeypatch: pytest.MonkeyPatch) -> None:
        self.page, self.workdir = page, workdir
        self.servers, self.monkeypatch = servers, monkeypatch
        slug = re.sub(r"\W", "_", page.removesuffix(".md"))
        self.module = types.ModuleType(f"dataknobs_docs_{slug}")
        self.module.__file__ = str(workdir / f"{slug}.py")

    def run(self, block: Block) -> None:
        handler = getattr(self, f"run_{block.lang or 'text'}", None)
        if handler is None:
            raise AssertionError(f"{block.where}: no runner for ```{block.lang} blocks; label "
                                 "the block with a language this test runs (or text)")
        name = file_name(block)
        if name is not None:
            target = self.workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
            if block.lang in ("python", "py"):
                return  # a module or a test file: a later block imports or runs it
        handler(block)

    # python ----------------------------------------------------------------------------------
    def run_python(self, block: Block) -> None:
        code = compile("\n" * block.line + block.text, str(ROOT / block.page), "exec",
                       dont_inherit=True)  # not this module's __future__ imports
        sys.modules[self.module.__name__] = self.module
        try:
            exec(code, self.module.__dict__)
        finally:
            sys.modules.pop(self.module.__name__, None)

    run_py = run_python

    def run_pycon(self, block: Block) -> None:
        """An interactive session: doctest compares what each ``>>>`` line prints with the
        lines shown after it (``...`` matches anything)."""
        test = doctest.DocTestParser().get_doctest(
            block.text, self.module.__dict__, block.where, str(ROOT / block.page), block.line)
        report = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        sys.modules[self.module.__name__] = self.module
        try:
            result = runner.run(test, out=report.write, clear_globs=False)
        finally:
            sys.modules.pop(self.module.__name__, None)
        assert not result.failed, f"{block.where}: the session differs:\n{report.getvalue()}"

    # console ---------------------------------------------------------------------------------
    def run_console(self, block: Block) -> None:
        for command, expected, line in console_commands(block):
            self.shell(command, expected, f"{block.page}:{line}")

    def shell(self, command: str, expected: list[str] | None, where: str) -> None:
        env = dict(os.environ)
        env.pop("DATAKNOBS_CONFIG", None)
        env.pop("DATAKNOBS_DEBUG", None)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["COLUMNS"] = str(CONSOLE_COLUMNS)
        done = subprocess.run(["bash", "-c", command], cwd=self.workdir, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120, check=False)
        output = done.stdout.decode("utf-8", "replace")
        if expected is None:
            assert done.returncode == 0, (
                f"{where}: `{command}` exited {done.returncode}:\n{output}")
        else:
            assert output_matches(expected, output), (
                f"{where}: `{command}` printed (exit {done.returncode}):\n{output}\n"
                "but the page shows:\n" + "\n".join(expected))

    # configurations --------------------------------------------------------------------------
    def run_yaml(self, block: Block) -> None:
        data = yaml.safe_load(block.text)
        if not (isinstance(data, dict) and "databases" in data):
            return
        environ = self.environment(block)
        config = parse_config(data, environ, source=block.where)
        for entry in config.entries.values():
            db = entry.create()
            if entry.backend == "postgres":
                # the pages' PostgreSQL examples name their own role and database
                # (app@.../shop), which the test server does not have: built, not opened
                continue
            count = (asyncio.run(_async_count(db)) if entry.is_async else _sync_count(db))
            assert count >= 0, f"{block.where}: {entry.name}"

    run_yml = run_yaml

    def environment(self, block: Block) -> dict[str, str]:
        """The environment a reader would have: the page's secrets, and the test servers
        behind the placeholders that name a server."""
        environ = {k: v for k, v in os.environ.items() if k not in PLACEHOLDERS}
        names = set(re.findall(r"\$\{([A-Za-z_]\w*)", block.text))
        if names & {"ES_URL", "ES_INDEX"}:
            environ.update(self.servers.elasticsearch())
        if names & {"S3_ENDPOINT", "S3_BUCKET"}:
            values = self.servers.s3()
            environ.update(values)
            for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"):
                self.monkeypatch.setenv(key, values[key])  # boto3's default credential chain
        environ.update({k: v for k, v in PATHS.items() if k in names})
        environ.update({k: v for k, v in SECRETS.items() if k in names})
        return environ

    def run_sql(self, block: Block) -> None:
        """Executed on the PostgreSQL test server in a transaction that is rolled back."""
        run_sql_rolled_back(self.servers, [block.text], lambda cur: None)

    def run_toml(self, block: Block) -> None:
        tomllib.loads(block.text)

    def run_json(self, block: Block) -> None:
        json.loads(block.text)

    def run_csv(self, block: Block) -> None:
        rows = list(csv.reader(io.StringIO(block.text)))
        assert rows and all(len(row) == len(rows[0]) for row in rows), block.where

    # install blocks --------------------------------------------------------------------------
    def run_bash(self, block: Block) -> None:
        ci_lines = {line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()}
        extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
            "optional-dependencies"]
        commands = [ln for ln in block.text.splitlines() if ln.strip() and not ln.startswith("#")]
        assert commands, f"{block.where}: an empty bash block"
        for line in commands:
            steps = line.split(" && ")
            assert steps[:2] and steps[0] == "python3 -m venv .venv", (
                f"{block.where}: bash blocks are install blocks (write other commands as a "
                f"console block): {line!r}")
            for step in steps[1:]:
                pip = re.fullmatch(r'\.venv/bin/pip install -q -e "\.\[(\w+)\]"'
                                   r" --config-settings editable_mode=strict", step)
                if pip is not None:
                    assert pip[1] in extras, f"{block.where}: no extra {pip[1]!r}: {line!r}"
                elif step.startswith(".venv/bin/python -m pytest"):
                    assert line.strip() in ci_lines, (
                        f"{block.where}: the test command {line!r} is not what .ci/run runs")
                elif step.startswith(".venv/bin/dataknobs-data "):
                    self.shell(step.removeprefix(".venv/bin/"), None, block.where)
                else:
                    raise AssertionError(f"{block.where}: unexpected step {step!r}")

    run_sh = run_bash

    def run_text(self, block: Block) -> None:
        """Shown, not run: trees, messages, formats."""


#: the terminal width console output is shown at (rich wraps at the terminal's width)
CONSOLE_COLUMNS = 120

#: placeholders the pages use for servers and paths; the test decides their values
PLACEHOLDERS = {"ES_URL", "ES_INDEX", "ES_COMPATIBILITY", "ES_API_KEY", "ES_CA_CERTS",
                "S3_ENDPOINT", "S3_BUCKET", "S3_PREFIX", "AWS_REGION", "PG_HOST",
                "PG_PASSWORD", "PEOPLE_PATH", "DATA_DIR"}


def _sync_count(db: Any) -> int:
    try:
        return int(db.count())
    finally:
        db.close()


async def _async_count(db: Any) -> int:
    try:
        return int(await db.count())
    finally:
        await db.close()


def run_sql_rolled_back(servers: Servers, statements: list[str], inspect: Any) -> Any:
    """Run ``statements`` in one transaction, return ``inspect(cursor)``, roll back."""
    conn = servers.postgres()
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
            return inspect(cur)
    finally:
        conn.rollback()
        conn.close()


def console_commands(block: Block) -> list[tuple[str, list[str] | None, int]]:
    """``(command, expected output or None, line)`` for every ``$`` line of a console block;
    a line ending in a backslash continues on the next."""
    out: list[tuple[str, list[str] | None, int]] = []
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            raise AssertionError(f"{block.page}:{block.line + 1 + i}: output without a command")
        start = block.line + 1 + i
        command = line[2:]
        while command.endswith("\\") and i + 1 < len(lines):
            i += 1
            command = command[:-1] + " " + lines[i].strip()
        i += 1
        shown: list[str] = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        while shown and not shown[-1].strip():
            shown.pop()
        shlex.split(command, comments=True)  # a command must be well-formed shell words
        out.append((command, shown or None, start))
    return out


def output_matches(expected: list[str], output: str) -> bool:
    """Whether ``output`` is the ``expected`` lines, ``...`` matching any text (also across
    lines); trailing spaces and a final newline do not count."""
    pattern = ".*?".join(re.escape(part) for part in "\n".join(expected).split("..."))
    text = "\n".join(line.rstrip() for line in output.rstrip("\n").splitlines())
    return re.fullmatch(pattern, text, flags=re.DOTALL) is not None


# --- the tests --------------------------------------------------------------------------------
@pytest.fixture
def page_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory with a copy of examples/, as a reader at the repository root
    has it (the pages' relative paths start there); the modules a page writes there import
    as they would for a script run from that directory."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("DATAKNOBS_CONFIG", raising=False)
    monkeypatch.delenv("DATAKNOBS_DEBUG", raising=False)
    return tmp_path


@pytest.fixture
def clean_registry() -> Iterator[None]:
    """Backends a page registers are forgotten afterwards."""
    saved = dict(registry._registered)
    yield
    with registry._lock:
        registry._registered.clear()
        registry._registered.update(saved)


@pytest.mark.parametrize("page", doc_pages())
def test_page_blocks_run(page: str, page_dir: Path, servers: Servers,
                         monkeypatch: pytest.MonkeyPatch, clean_registry: None) -> None:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)  # a reader keeps the secrets in the environment
    runner = PageRunner(page, page_dir, servers, monkeypatch)
    for block in read_blocks(page):
        if runnable(block):
            runner.run(block)


TABLE_CATALOG = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, c.collname,
       pg_get_expr(d.adbin, d.adrelid)
FROM pg_attribute a
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_collation c ON c.oid = a.attcollation AND a.attcollation <> 0
WHERE a.attrelid = %(t)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


def test_postgres_page_shows_the_adapters_table(servers: Servers) -> None:
    """docs/backends/postgres.md's storage DDL creates exactly the table the adapter creates
    (columns, types, collations, defaults, keys, the sequence it owns)."""
    from dataknobs_data.adapters.postgres.statements import Statements

    sql = [b for b in read_blocks("docs/backends/postgres.md")
           if b.lang == "sql" and "CREATE TABLE" in b.text]
    assert len(sql) == 1, "the page shows one CREATE TABLE"
    schema, table = re.search(r'CREATE TABLE (?:IF NOT EXISTS )?"(\w+)"\."(\w+)"',
                              sql[0].text).groups()
    qualified = f'"{schema}"."{table}"'

    def catalog(cur: Any) -> Any:
        cur.execute(TABLE_CATALOG, {"t": qualified})
        columns = cur.fetchall()
        cur.execute("SELECT contype, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass ORDER BY 1, 2", [qualified])
        constraints = cur.fetchall()
        cur.execute("SELECT pg_get_serial_sequence(%s, 'version')", [qualified])
        return columns, constraints, cur.fetchone()

    shown = run_sql_rolled_back(servers, [sql[0].text], catalog)
    made = run_sql_rolled_back(servers, Statements(schema, table, ()).create_table(), catalog)
    assert shown == made
    assert made[2] is not None, "the version sequence is owned by the table"


def test_file_page_formats_are_what_the_adapter_writes(tmp_path: Path) -> None:
    """docs/backends/file.md's JSON and CSV examples are read by the file adapter, and
    writing the records read gives the same text back, byte for byte."""
    from dataknobs_data.adapters.file import FileDatabase

    shown = [b for b in read_blocks("docs/backends/file.md") if b.lang in ("json", "csv")]
    assert {b.lang for b in shown} == {"json", "csv"}
    for block in shown:
        source = tmp_path / f"shown-{block.line}.{block.lang}"
        source.write_text(block.text, encoding="utf-8")
        with FileDatabase(path=source) as db:
            records = db.all()
        assert records, block.where
        written = tmp_path / f"written-{block.line}.{block.lang}"
        with FileDatabase(path=written) as db:
            db.create_batch(records)
        assert written.read_text(encoding="utf-8") == block.text, block.where


def test_readme_install_block_is_what_ci_runs() -> None:
    """The README's test command is the line .ci/run executes (so CI runs what a reader
    runs); the install blocks are not run here, .ci/run runs them."""
    install = [b for b in read_blocks("README.md") if b.lang == "bash"]
    assert install, "the README shows how to install and test"
    tests = [line for b in install for line in b.text.splitlines()
             if ".venv/bin/python -m pytest" in line]
    assert len(tests) == 1, tests
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert tests[0].strip() in ci_lines


def test_every_page_is_collected_or_named() -> None:
    """A new page is collected by the globs; only the pages named in NOT_COLLECTED are not."""
    collected = set(doc_pages())
    assert {"README.md", "examples/README.md", "docs/configuration.md",
            "docs/backends/postgres.md"} <= collected
    assert not collected & set(NOT_COLLECTED)


# --- the checker notices what is wrong --------------------------------------------------------
def test_fences_languages_and_files_are_read() -> None:
    text = ("intro\n```python\nx = 1\n```\n````md\n```yaml\nnot: a block\n```\n````\n"
            "```yaml\n# dk.yaml\na: 1\n```\n```\nplain\n```\n")
    blocks = read_blocks("README.md", text)
    assert [(b.lang, b.line) for b in blocks] == [("python", 2), ("md", 5), ("yaml", 10),
                                                  ("", 14)]
    assert blocks[1].text == "```yaml\nnot: a block\n```\n"
    assert file_name(blocks[2]) == "dk.yaml" and file_name(blocks[0]) is None
    assert file_name(Block("p", 1, "yaml", "# ../up.yaml\n")) is None


def test_console_output_is_compared() -> None:
    block = Block("p.md", 1, "console",
                  '$ dataknobs-data a \\\n    --b "c d"   # why\nout ...\n...last\n$ next\n')
    assert console_commands(block) == [
        ('dataknobs-data a  --b "c d"   # why', ["out ...", "...last"], 2), ("next", None, 6)]
    assert output_matches(["out ...", "...last"], "out 1 \nmiddle\nand last\n")
    assert not output_matches(["out ...", "...last"], "out 1\nlast line\n")
    assert not output_matches(["exactly"], "exactly this")
    with pytest.raises(AssertionError, match="output without a command"):
        console_commands(Block("p.md", 1, "console", "no prompt\n"))


def test_a_wrong_block_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = PageRunner("p.md", tmp_path, Servers(), monkeypatch)
    runner.run(Block("p.md", 1, "python", "name = 'defined'\n"))
    runner.run(Block("p.md", 5, "python", "assert name == 'defined'\n"))  # one namespace
    with pytest.raises(NameError):
        runner.run(Block("p.md", 9, "python", "handle(chunk)\n"))
    with pytest.raises(NameError):  # annotations are evaluated, as in a reader's script
        runner.run(Block("p.md", 9, "python", "def f(app: typer.Typer) -> None: ...\n"))
    with pytest.raises(AssertionError, match="the session differs"):
        runner.run(Block("p.md", 12, "pycon", ">>> print(1 + 1)\n3\n"))
    with pytest.raises(AssertionError, match="printed"):
        runner.run(Block("p.md", 15, "console", "$ echo one\ntwo\n"))
    with pytest.raises(AssertionError, match="exited 3"):
        runner.run(Block("p.md", 18, "console", "$ exit 3\n"))
    with pytest.raises(Exception, match="pth"):
        runner.run(Block("p.md", 21, "yaml",
                         "databases:\n  - {name: people, backend: file, pth: x.jsonl}\n"))
    with pytest.raises(AssertionError, match="no runner"):
        runner.run(Block("p.md", 24, "rust", "fn main() {}\n"))
    with pytest.raises(AssertionError, match="install blocks"):
        runner.run(Block("p.md", 27, "bash", "rm -rf build\n"))
