"""The dataknobs-data command line: every command on the embedded default and on a config
file, round trips through every format, and one-line errors (in-process and as a script)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from dataknobs_data import Record
from dataknobs_data.adapters.sqlite import SQLiteDatabase
from dataknobs_data.cli import app as cli_app
from dataknobs_data.cli.sample_data import SAMPLE_ROWS, sample_csv


def is_one_error(err: str) -> bool:
    """One line ``dataknobs-data: error: ...``, followed at most by indented lines that show
    where the error is (a ``--where`` text and a caret under the character)."""
    first, *rest = err.splitlines()
    return (err.endswith("\n") and first.startswith("dataknobs-data: error: ")
            and all(line.startswith("  ") for line in rest)
            and (not rest or (len(rest) == 2 and rest[1].strip() == "^")))


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0, result.output
    err = result.stderr
    assert is_one_error(err), err
    assert "Traceback" not in result.output + err
    for fragment in fragments:
        assert fragment in err, err


def test_demo_imports_queries_and_shows_the_table(cli, workdir: Path):
    result = cli("demo")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "imported 300 people" in out
    assert "39 of 300 records match; showing the top 10." in out
    assert "p0288" in out and "Jean Sparck-Jones" in out   # the best score comes first
    assert out.index("p0288") < out.index("p0231")
    assert (workdir / ".dataknobs" / "demo.sqlite").exists()
    # again: the same records (upserted by id), the same answer
    again = cli("demo")
    assert "39 of 300 records match" in again.stdout
    assert cli("count", "--db", "demo").stdout.strip() == "300"


def test_shipped_sample_is_the_generator_output(sample: Path):
    assert sample.read_text(encoding="utf-8") == sample_csv()
    assert sample.read_text().count("\n") == SAMPLE_ROWS + 1


def test_import_types_cells_and_nests_dotted_columns(cli, sample: Path, workdir: Path):
    result = cli("import", str(sample), "--db", "people")
    assert result.exit_code == 0, result.stderr
    assert "imported 300 records into 'people'" in result.stdout
    with SQLiteDatabase(path=workdir / ".dataknobs" / "people.sqlite") as db:
        rec = db.read("p0001")
        assert rec is not None
        assert rec.data["age"] == 44 and isinstance(rec.data["age"], int)
        assert rec.data["score"] == 53.6
        assert rec.data["active"] is True
        assert rec.data["joined"].isoformat() == "2020-09-09T00:00:00"
        assert rec.data["team"] == {"name": "infra", "lead": "Linus Torvalds"}
        assert rec.data["tags"] == ["ui"]
        # an empty cell leaves the field out
        assert sum(1 for r in db.all() if "score" not in r.data) > 0


def test_query_filters_sort_limit_select_json(cli, sample: Path):
    cli("import", str(sample))
    result = cli("query", "--where", "age>=60", "--where", "team.name=core", "--sort", "-age",
                 "--sort", "name", "--limit", "4", "--select", "name,age", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 4
    assert all(set(r) == {"id", "name", "age"} and r["age"] >= 60 for r in rows)
    ages = [r["age"] for r in rows]
    assert ages == sorted(ages, reverse=True)
    table = cli("query", "--where", "city in Oslo,Rome", "--where", "name like A%",
                "--select", "name", "--select", "city")
    assert table.exit_code == 0 and "match" in table.stdout
    assert "Lima" not in table.stdout


def test_count_with_filters(cli, sample: Path):
    cli("import", str(sample))
    total = int(cli("count").stdout)
    active = int(cli("count", "--where", "active=true").stdout)
    inactive = int(cli("count", "--where", "active=false").stdout)
    assert total == 300 and active + inactive == 300
    no_score = int(cli("count", "--where", "score missing").stdout)
    with_score = int(cli("count", "--where", "score exists").stdout)
    assert no_score + with_score == 300 and no_score > 0
    assert int(cli("count", "--where", "tags=[]").stdout) > 0
    assert int(cli("count", "--where", "joined>=2024-01-01").stdout) > 0


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl", "parquet"])
def test_export_import_round_trip(cli, sample: Path, workdir: Path, fmt: str):
    assert cli("import", str(sample), "--db", "src").exit_code == 0
    out = workdir / f"people.{fmt}"
    result = cli("export", str(out), "--db", "src")
    assert result.exit_code == 0, result.stderr
    assert "exported 300 records" in result.stdout
    assert cli("import", str(out), "--db", "dst").exit_code == 0
    with SQLiteDatabase(path=workdir / ".dataknobs" / "src.sqlite") as src, \
            SQLiteDatabase(path=workdir / ".dataknobs" / "dst.sqlite") as dst:
        left = {r.id: r.data for r in src.all()}
        right = {r.id: r.data for r in dst.all()}
    assert len(left) == 300
    assert right == left


def test_export_with_filter_and_no_partial_file_on_error(cli, sample: Path, workdir: Path):
    cli("import", str(sample))
    result = cli("export", "young.jsonl", "--where", "age<25", "--sort", "age")
    assert result.exit_code == 0
    lines = (workdir / "young.jsonl").read_text().splitlines()
    assert lines and all(json.loads(line)["age"] < 25 for line in lines)
    bad = cli("export", "out.xyz")
    assert_one_line_error(bad, "out.xyz", "--format")
    assert not list(workdir.glob("*.partial"))


def test_bad_row_writes_nothing(cli, workdir: Path):
    (workdir / "bad.csv").write_text("id,name,age\na,Ada,36\nb,Grace\n")
    result = cli("import", "bad.csv")
    assert_one_line_error(result, "bad.csv:3", "2 cells")
    assert cli("count").stdout.strip() == "0"
    (workdir / "bad.jsonl").write_text('{"id": "a"}\n{oops\n')
    assert_one_line_error(cli("import", "bad.jsonl"), "bad.jsonl:2")
    assert cli("count").stdout.strip() == "0"


def test_create_mode_refuses_existing_ids(cli, sample: Path):
    cli("import", str(sample))
    result = cli("import", str(sample), "--create")
    assert_one_line_error(result, "already exists")
    assert cli("count").stdout.strip() == "300"


def test_config_file_and_environment_variable(cli, workdir: Path, sample: Path):
    cfg = workdir / "dk.yaml"
    cfg.write_text(
        "default: people\n"
        "databases:\n"
        "  - name: people\n    backend: file\n    path: ${DATA_DIR:data}/people.json\n"
        "  - name: scratch\n    backend: memory\n")
    # the file adapter does not create directories: a clear error, then it works
    assert_one_line_error(cli("--config", str(cfg), "import", str(sample)), "does not exist")
    (workdir / "data").mkdir()
    assert cli("--config", str(cfg), "import", str(sample)).exit_code == 0
    assert (workdir / "data" / "people.json").exists()
    assert not (workdir / ".dataknobs").exists()
    assert cli("--config", str(cfg), "count").stdout.strip() == "300"
    assert cli("count", env={"DATAKNOBS_CONFIG": str(cfg)}).stdout.strip() == "300"
    unknown = cli("--config", str(cfg), "count", "--db", "peple")
    assert_one_line_error(unknown, "'peple'", "did you mean 'people'")


def test_info_lists_databases_backends_and_hides_secrets(cli, workdir: Path):
    cfg = workdir / "dk.yaml"
    cfg.write_text("databases:\n  - name: people\n    backend: memory\n")
    result = cli("--config", str(cfg), "info")
    assert result.exit_code == 0, result.stderr
    for word in ("people", "memory", "file", "postgres", "s3", "elasticsearch", "ready"):
        assert word in result.stdout
    default = cli("info")
    assert "embedded default" in default.stdout and ".dataknobs" in default.stdout


def test_info_redacts_secrets(cli, workdir: Path):
    from dataknobs_data import MemoryDatabase
    from dataknobs_data.containers import register_backend, unregister_backend

    class Vault(MemoryDatabase):
        """A memory adapter with a password option."""

        def __init__(self, *, password: str = "") -> None:
            super().__init__()

    register_backend("vault", Vault)
    try:
        cfg = workdir / "dk.yaml"
        cfg.write_text("databases:\n  - name: v\n    backend: vault\n"
                       "    password: ${VAULT_PASSWORD}\n")
        result = cli("--config", str(cfg), "info", env={"VAULT_PASSWORD": "s3cr3t-value"})
        assert result.exit_code == 0, result.stderr
        assert "s3cr3t-value" not in result.stdout + result.stderr
        assert "***" in result.stdout
        missing = cli("--config", str(cfg), "info", env={"VAULT_PASSWORD": None})
        assert_one_line_error(missing, "'VAULT_PASSWORD'")
    finally:
        unregister_backend("vault")


@pytest.mark.parametrize(("args", "fragments"), [
    (["query", "--where", "age>>3"], ["'age>>3'"]),
    (["query", "--where", "justtext"], ["cannot read --where 'justtext'"]),
    (["query", "--limit", "-1"], ["--limit"]),
    (["import", "missing.csv"], ["'missing.csv' not found"]),
    (["import", "data.txt"], ["data.txt"]),
    (["nope"], ["No such command 'nope'"]),
    (["query", "--bogus"], ["--bogus"]),
    (["--config", "absent.yaml", "info"], ["'absent.yaml' not found"]),
    (["query", "--where", "name~(unclosed"], ["name~(unclosed"]),
])
def test_bad_input_is_one_line(cli, workdir: Path, args, fragments):
    (workdir / "data.txt").write_text("x")
    assert_one_line_error(cli(*args), *fragments)


def test_bad_config_is_one_line(cli, workdir: Path):
    cfg = workdir / "dk.yaml"
    cfg.write_text("databases:\n  - name: people\n    backend: fiel\n    pth: x\n")
    assert_one_line_error(cli("--config", str(cfg), "info"), "'fiel'", "did you mean 'file'")
    cfg.write_text("databases:\n  - name: people\n    backend: file\n    pth: x\n")
    assert_one_line_error(cli("--config", str(cfg), "count"),
                          "'pth' is not an option of file; did you mean 'path'?")


def test_installed_script_bad_input_and_demo(tmp_path: Path):
    script = Path(sys.executable).parent / "dataknobs-data"
    assert script.exists(), "the project must be installed (pip install -e '.[cli]')"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAKNOBS_")}
    bad = subprocess.run([str(script), "query", "--where", "age>>3"], cwd=tmp_path,
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 1
    assert is_one_error(bad.stderr)
    assert bad.stderr.splitlines()[1:] == ["  age>>3", "      ^"]   # the caret under the 2nd >
    assert "Traceback" not in bad.stderr
    demo = subprocess.run([str(script), "demo"], cwd=tmp_path, capture_output=True, text=True,
                          env=env)
    assert demo.returncode == 0, demo.stderr
    assert "39 of 300 records match" in demo.stdout


def test_extension_point_registers_commands(cli):
    def register(app: typer.Typer) -> None:
        @app.command("hello-ext")
        def hello(ctx: typer.Context) -> None:
            """A test command added through the extension point."""
            entry = cli_app.state(ctx).entry_for(None)
            typer.echo(f"hello from {entry.name}")

    cli_app.register_commands(register)
    try:
        result = cli("hello-ext")
        assert result.exit_code == 0, result.stderr
        assert result.stdout.strip() == "hello from default"
    finally:
        cli_app.app.registered_commands[:] = [
            c for c in cli_app.app.registered_commands if c.name != "hello-ext"]


def test_progress_bar_on_a_terminal(workdir: Path, sample: Path):
    import io

    from rich.console import Console

    # a terminal console: the import draws its progress bars there, and only there
    err = io.StringIO()
    state = cli_app.CliState(console=Console(file=io.StringIO()),
                             err_console=Console(file=err, force_terminal=True, width=100))
    assert cli_app.import_file(state, sample, "bar") == 300
    drawn = err.getvalue()
    assert "reading people.csv" in drawn and "writing 300 records" in drawn
    assert "300/300" in drawn


def test_duplicate_ids_in_a_file_write_nothing(cli, workdir: Path):
    (workdir / "dup.jsonl").write_text('{"id": "a", "n": 1}\n{"id": "b"}\n{"id": "a", "n": 2}\n')
    assert_one_line_error(cli("import", "dup.jsonl"), "record 3", "'a' already exists",
                          "nothing was written")
    assert cli("count").stdout.strip() == "0"


def test_version_and_help(cli):
    from dataknobs_data import __version__

    assert cli("--version").stdout.strip() == f"dataknobs-data {__version__}"
    help_text = cli().stdout
    for command in ("import", "export", "query", "count", "info", "demo"):
        assert command in help_text


def test_broken_extension_is_one_line_not_a_crash(cli):
    cli_app._add_broken_command("broken-ext", ImportError("no module named 'alembic'"))
    try:
        result = cli("broken-ext", "--anything")
        assert_one_line_error(result, "the broken-ext command could not be loaded",
                              "alembic")
        assert cli("count").exit_code == 0          # the other commands still work
    finally:
        cli_app.app.registered_commands[:] = [
            c for c in cli_app.app.registered_commands if c.name != "broken-ext"]


def test_import_over_existing_ids_says_so_by_error_type(cli, sample: Path):
    # the hint comes from the failures' types (RecordExistsError), not from message text
    assert cli("import", str(sample)).exit_code == 0
    again = cli("import", str(sample), "--create")
    assert again.exit_code == 1
    assert "already exists" in again.stderr and "nothing was written" in again.stderr
    assert "use --upsert to replace existing ids" in again.stderr
    assert cli("import", str(sample), "--upsert").exit_code == 0


def test_import_of_a_damaged_typed_value_is_refused_naming_it(cli, workdir: Path):
    # a {"$datetime": ...} tag that is not a datetime is bad input: one line naming the value,
    # exit 1, no --upsert hint and nothing written
    (workdir / "bad.json").write_text('[{"id": "a", "n": 1}, {"id": "b", "n": {"$datetime": 5}}]')
    result = cli("import", str(workdir / "bad.json"), "--create")
    assert result.exit_code == 1, result.stderr
    assert "$datetime" in result.stderr and "--upsert" not in result.stderr
    assert cli("count").stdout.strip() == "0"


def _legacy_store(workdir: Path, name: str, n: int) -> None:
    from dataknobs_data.adapters.file import FileDatabase
    from dataknobs_data.domain.records import Record

    (workdir / ".dataknobs").mkdir(exist_ok=True)
    with FileDatabase(path=workdir / ".dataknobs" / f"{name}.jsonl") as db:
        db.create_batch([Record({"age": i, "tag": f"[bold]t{i}"}, id=f"r{i}")
                         for i in range(n)])


def test_embedded_default_is_sqlite(cli, sample: Path, workdir: Path):
    assert cli("import", str(sample), "--db", "people").exit_code == 0
    home = workdir / ".dataknobs"
    assert (home / "people.sqlite").is_file() and not (home / "people.jsonl").exists()
    with SQLiteDatabase(path=home / "people.sqlite") as db:
        assert db.count() == 300
    result = cli("count", "--db", "people", "--where", "age>=60")
    assert result.exit_code == 0 and int(result.stdout) > 0
    assert "note:" not in result.stderr


def test_legacy_jsonl_store_keeps_working_with_one_hint(cli, workdir: Path):
    _legacy_store(workdir, "old", 50)
    result = cli("count", "--db", "old", "--where", "age>=40")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "10"
    assert result.stderr.count("\n") == 1, result.stderr
    assert "dataknobs-data upgrade --db old" in result.stderr
    assert not (workdir / ".dataknobs" / "old.sqlite").exists()
    # the default database's hint names the command without --db
    _legacy_store(workdir, "default", 3)
    assert "'dataknobs-data upgrade' copies" in cli("count").stderr


def test_upgrade_copies_to_sqlite_and_keeps_the_old_file(cli, workdir: Path):
    _legacy_store(workdir, "old", 1200)   # more than one copy batch
    home = workdir / ".dataknobs"
    result = cli("upgrade", "--db", "old")
    assert result.exit_code == 0, result.stderr
    assert "upgraded 1200 records" in result.stdout
    assert (home / "old.sqlite").is_file() and (home / "old.jsonl.bak").is_file()
    assert not (home / "old.jsonl").exists()
    assert not list(home.glob(".old.sqlite.upgrading*"))
    after = cli("count", "--db", "old", "--where", "age>=1000")
    assert after.stdout.strip() == "200" and "note:" not in after.stderr
    with SQLiteDatabase(path=home / "old.sqlite") as db:
        rec = db.read("r7")
        assert rec is not None and rec.data == {"age": 7, "tag": "[bold]t7"}
    # nothing left to upgrade: one-line errors, the new store untouched
    assert_one_line_error(cli("upgrade", "--db", "old"), "exists already")
    assert_one_line_error(cli("upgrade", "--db", "none"), "no JSON Lines store")


def test_upgrade_failing_midway_changes_nothing(cli, workdir: Path,
                                                monkeypatch: pytest.MonkeyPatch):
    from dataknobs_data.adapters.sqlite import SQLiteDatabase as Real
    from dataknobs_data.domain.errors import StorageError

    _legacy_store(workdir, "old", 2500)
    calls = []

    def failing_create_batch(self, records, *args, **kwargs):
        calls.append(len(records))
        if len(calls) == 2:
            raise StorageError("disk full (injected)")
        return original(self, records, *args, **kwargs)

    original = Real.create_batch
    with monkeypatch.context() as patched:
        patched.setattr(Real, "create_batch", failing_create_batch)
        assert_one_line_error(cli("upgrade", "--db", "old"), "disk full")
    home = workdir / ".dataknobs"
    assert sorted(p.name for p in home.iterdir() if not p.name.startswith("old.jsonl.")) \
        == ["old.jsonl"]
    assert cli("count", "--db", "old").stdout.strip() == "2500"


def test_user_data_and_hints_print_verbatim(cli, workdir: Path):
    (workdir / "m.jsonl").write_text(
        '{"id": "a", "name": "[bold]Ada[/bold]", "note": "a [/] b"}\n', encoding="utf-8")
    assert cli("import", "m.jsonl").exit_code == 0
    result = cli("query")
    assert result.exit_code == 0, result.stderr
    assert "[bold]Ada[/bold]" in result.stdout and "a [/] b" in result.stdout
    # an install hint (what info shows for a missing driver) keeps its [extra]
    st = cli_app.CliState()
    with st.console.capture() as captured:
        st.console.print("pip install 'dataknobs-data[postgres]'")
    assert captured.get() == "pip install 'dataknobs-data[postgres]'\n"


def test_machine_formats_are_plain_and_parse(cli, sample: Path):
    assert cli("import", str(sample)).exit_code == 0
    env = {"FORCE_COLOR": "1"}
    lines = cli("query", "-w", "age>=60", "-s", "id", "--format", "jsonl", env=env).output
    rows = [json.loads(line) for line in lines.splitlines()]
    as_list = json.loads(cli("query", "-w", "age>=60", "-s", "id", "-f", "json",
                             env=env).output)
    assert rows == as_list and rows and "\x1b" not in lines
    assert all(r["age"] >= 60 for r in rows)
    table = list(csv.DictReader(io.StringIO(cli("query", "-w", "age>=60", "-s", "id",
                                                "--select", "name,age", "-f", "csv").output)))
    assert [r["id"] for r in table] == [r["id"] for r in rows]
    assert [r["name"] for r in table] == [r["name"] for r in rows]
    counted = json.loads(cli("count", "-w", "age>=60", "-f", "json", env=env).output)
    assert counted == {"count": len(rows)}
    assert cli("count", "-f", "csv").output.splitlines() == ["count", "300"]
    info = json.loads(cli("info", "-f", "json", env=env).output)
    assert [d["name"] for d in info["databases"]] == ["default"]
    assert {b["name"] for b in info["backends"]} >= {"memory", "file", "sqlite"}
    bad = cli("query", "-f", "xml")
    assert bad.exit_code != 0 and "--format 'xml'" in bad.output
    assert cli("query", "-h").output.startswith("Usage:")
    assert "<list[str]>" not in cli("query", "-h").output


def test_unknown_db_is_an_error_naming_the_stores(cli, sample: Path, workdir: Path):
    assert cli("import", str(sample), "--db", "people").exit_code == 0
    for args in (["count"], ["query"], ["export", "out.csv"], ["count", "-w", "age>3"]):
        bad = cli(*args, "--db", "peple")
        assert_one_line_error(bad, "no database 'peple'", "did you mean 'people'?",
                              "existing: default, people", "import FILE --db peple")
    # nothing was made for the typo, and the file the export named was not written
    assert sorted(p.name for p in (workdir / ".dataknobs").iterdir()) == ["people.sqlite"]
    assert not (workdir / "out.csv").exists()
    # the default database always answers; import makes a new one
    assert cli("count").stdout.strip() == "0"
    assert cli("import", str(sample), "--db", "more").exit_code == 0
    assert cli("count", "--db", "more").stdout.strip() == "300"


def test_a_where_field_no_record_has_is_warned_about(cli, sample: Path):
    empty = cli("count", "-w", "x=1")  # an empty store has no fields to compare with
    assert empty.exit_code == 0 and empty.stderr == ""
    cli("import", str(sample))
    typo = cli("count", "--where", "agee>=80", "--where", "team.nam=core")
    assert typo.exit_code == 0 and typo.stdout.strip() == "0"
    warnings = typo.stderr.splitlines()
    assert len(warnings) == 2
    assert warnings[0].startswith(
        "dataknobs-data: warning: no record has a field 'agee'; did you mean 'age'?")
    assert "'team.nam'; did you mean 'team.name'?" in warnings[1]
    assert "team.lead" in warnings[1]                      # the fields are listed
    for args in (["query", "-w", "not citty=Oslo", "--format", "jsonl"],
                 ["export", "x.jsonl", "-w", "citty=Oslo"]):
        assert "did you mean 'city'?" in cli(*args).stderr
    # fields that exist (even in one record only) and an empty store: no warning
    assert cli("count", "--where", "score missing", "--where", "age>3").stderr == ""
    assert cli("count", "-w", "tags exists").stderr == ""


def test_piped_tables_are_never_truncated(cli, workdir: Path):
    long_text = "word " * 60 + "END"
    (workdir / "wide.jsonl").write_text(json.dumps(
        {"id": "w1", "note": long_text, "team": {"name": "core" * 20 + "TAIL"}}) + "\n")
    cli("import", "wide.jsonl")
    os.environ["COLUMNS"] = "40"  # a narrow COLUMNS does not bound a table into a pipe
    try:
        out = cli("query").stdout
    finally:
        del os.environ["COLUMNS"]
    row = next(line for line in out.splitlines() if "w1" in line)
    assert long_text in row and "core" * 20 + "TAIL" in row
    assert "…" not in out


def test_index_command_makes_lasting_indexes(cli, sample: Path, workdir: Path):
    cli("import", str(sample), "--db", "people")
    made = cli("index", "age", "team.name", "--db", "people")
    assert made.exit_code == 0, made.stderr
    assert made.stdout.strip() == "indexed: age, team.name"
    with SQLiteDatabase(path=workdir / ".dataknobs" / "people.sqlite") as db:
        assert db.indexed_paths() == ["age", "team.name"]
        assert db.count() == 300
        expected = sum(1 for r in db.all() if r.data.get("age", 0) >= 60)
    assert cli("count", "--db", "people", "-w", "age>=60").stdout.strip() == str(expected)
    again = cli("index", "age", "--db", "people")  # already there: nothing changes
    assert again.stdout.strip() == "indexed: age, team.name"
    assert_one_line_error(cli("index", 'we"ird', "--db", "people"), "cannot index")
    assert_one_line_error(cli("index", "age", "--db", "peple"), "did you mean 'people'?")


def test_count_starts_without_the_migrator_the_file_formats_or_the_table(tmp_path: Path):
    # the embedded default's count is the command line's hot path: it must not import the
    # migration framework, the file adapter, rich's tables and progress bars or asyncio
    script = (
        "import sys\n"
        "from dataknobs_data.cli.app import run\n"
        "code = run(['count', '--where', 'age>=30'])\n"
        "heavy = ('dataknobs_data.migration.migrator', 'dataknobs_data.adapters.file',\n"
        "         'dataknobs_data.cli.dataio', 'rich.progress', 'rich.table', 'asyncio')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules))\n")
    (tmp_path / ".dataknobs").mkdir()
    with SQLiteDatabase(path=tmp_path / ".dataknobs" / "default.sqlite") as db:
        db.create_batch([Record({"age": 40}), Record({"age": 20})])
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    assert done.stdout.splitlines() == ["1", "0 []"], done.stdout + done.stderr
