"""The ``dataknobs-data`` command line: import, export, query, count, info and demo.

Databases come from a YAML configuration (``--config`` or ``DATAKNOBS_CONFIG``; the format of
docs/configuration.md). With none, the embedded default applies: SQLite files under
``./.dataknobs/`` -- ``--db NAME`` is ``./.dataknobs/NAME.sqlite`` (``default`` when not given).
A JSON Lines store of an earlier version (``./.dataknobs/NAME.jsonl``, no ``NAME.sqlite``)
is used as before, with a hint on stderr naming ``dataknobs-data upgrade --db NAME``, which
copies it into ``NAME.sqlite`` and keeps the old file as ``NAME.jsonl.bak``.

Errors print one line (``dataknobs-data: error: ...``) to stderr and exit non-zero; set
``DATAKNOBS_DEBUG=1`` to see the traceback instead.

Extension point: other modules add commands with :func:`register_commands` (see
``SUBCOMMAND_MODULES`` below).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from ..domain.errors import (
    BatchOperationError,
    ConfigurationError,
    DatabaseError,
    DataError,
    DataknobsError,
    IntegrityError,
    RecordExistsError,
)
from ..domain.records import Record
from ..ports.database import SyncDatabase
from .where import build_query, where_fields

if TYPE_CHECKING:  # imported where used: a count should not pay for tables and file formats
    from rich.progress import Progress
    from rich.table import Table

    from ..containers.config import DatabasesConfig  # (and pydantic, for a configuration)

try:  # recent typer vendors click as typer._click; its exceptions are the ones raised
    from typer import _click as click
except ImportError:  # pragma: no cover - older typer on top of click
    import click  # type: ignore[no-redef]

PROG = "dataknobs-data"
CONFIG_ENV = "DATAKNOBS_CONFIG"
DEFAULT_HOME = Path(".dataknobs")
DEFAULT_DB = "default"


def sqlite_path(name: str) -> Path:
    """The embedded default's SQLite file of database ``name``."""
    return DEFAULT_HOME / f"{name}.sqlite"


def legacy_path(name: str) -> Path:
    """The JSON Lines file store of database ``name`` that earlier versions made."""
    return DEFAULT_HOME / f"{name}.jsonl"


def is_legacy(name: str) -> bool:
    """Whether ``name`` is still an earlier version's JSON Lines store (no SQLite file)."""
    return not sqlite_path(name).exists() and legacy_path(name).is_file()


def embedded_default(names: Iterable[str] = (DEFAULT_DB,)) -> dict[str, Any]:
    """The configuration used when none is given: SQLite files in ./.dataknobs/, or the
    JSON Lines file store an earlier version left there (see :func:`is_legacy`)."""
    return {"default": DEFAULT_DB, "databases": [
        {"name": name, "backend": "file", "path": str(legacy_path(name))} if is_legacy(name)
        else {"name": name, "backend": "sqlite", "path": str(sqlite_path(name))}
        for name in dict.fromkeys([DEFAULT_DB, *names])
    ]}


def embedded_names() -> list[str]:
    """The embedded default's databases: ``default`` and every store in ./.dataknobs/."""
    found = {p.stem for pattern in ("*.sqlite", "*.jsonl") for p in DEFAULT_HOME.glob(pattern)
             if p.is_file() and p.stem.isidentifier()}
    return [DEFAULT_DB, *sorted(found - {DEFAULT_DB})]


def check_embedded_exists(name: str) -> None:
    """Raise naming the existing stores when the embedded database ``name`` is not there."""
    if name == DEFAULT_DB or sqlite_path(name).is_file() or legacy_path(name).is_file():
        return
    from ..ports.options import suggest

    names = embedded_names()
    raise ConfigurationError(
        f"no database {name!r} in {DEFAULT_HOME}/{suggest(name, names)} (existing: "
        f"{', '.join(names)}; '{PROG} import FILE --db {name}' makes one)")


def data_paths(data: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Every dotted path of ``data`` that names a value, through objects (not lists)."""
    for key, value in data.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, dict):
            yield from data_paths(value, f"{path}.")


#: how many records the warning below reads to name the fields a store has
FIELD_SAMPLE = 1000


def warn_absent_fields(database: SyncDatabase, where: Iterable[str]) -> None:
    """Warn on stderr, naming the nearest field, for each ``--where`` field that no record
    has (a typo such as ``agee>=80`` that would otherwise just match nothing). A field that
    exists costs one single-row lookup; an empty store gets no warning."""
    from ..domain.query import Operator, Query
    from ..ports.options import suggest

    known: list[str] | None = None
    for name in where_fields(where):
        if database.search(Query().filter(name, Operator.EXISTS).limit(1)):
            continue
        if known is None:
            known = sorted({path for rec in database.search(Query().limit(FIELD_SAMPLE))
                            for path in data_paths(rec.data)})
        if not known:
            return
        listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
        typer.echo(f"{PROG}: warning: no record has a field {name!r}{suggest(name, known)} "
                   f"(fields: {listed})", err=True)


def upgrade_hint(name: str) -> str:
    """The stderr hint for a database still in the JSON Lines store."""
    flag = "" if name == DEFAULT_DB else f" --db {name}"
    return (f"{PROG}: note: {legacy_path(name)} is a JSON Lines store of an earlier version; "
            f"'{PROG} upgrade{flag}' copies it into {sqlite_path(name)}, which answers at once")


_NO_ARGS: type[Exception] = getattr(click.exceptions, "NoArgsIsHelpError",
                                    type("_Never", (Exception,), {}))


class OneLineErrorsGroup(TyperGroup):
    """Runs commands so that any failure is one line on stderr and a non-zero exit code."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Invoke the command line; errors become one line on stderr."""
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except _NO_ARGS as err:
            ctx = getattr(err, "ctx", None)
            typer.echo(ctx.get_help() if ctx is not None else str(err))
            sys.exit(0)
        except typer.Exit as err:
            sys.exit(err.exit_code)
        except typer.Abort:
            fail("aborted", 130)
        except click.exceptions.ClickException as err:  # a UsageError's exit code is 2
            fail(err.format_message().replace("\n", " "), err.exit_code or 1)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except DataknobsError as err:
            fail(one_message(str(err)), 1)
        except OSError as err:
            name = f" {err.filename!r}" if err.filename else ""
            fail(f"{err.strerror or err}{name}", 1)
        except Exception as err:
            if os.environ.get("DATAKNOBS_DEBUG"):
                raise
            fail(f"internal error: {type(err).__name__}: {err} "
                 f"(set DATAKNOBS_DEBUG=1 for the traceback)", 70)
        sys.exit(result if isinstance(result, int) else 0)


def one_message(text: str) -> str:
    """An error as one line, or one line and the indented lines that show where it is (the
    ``--where`` text and a caret under the character the parser stopped at)."""
    rest = text.split("\n")[1:]
    if rest and all(line.startswith("  ") for line in rest):
        return text
    return text.replace("\n", " ")


def fail(message: str, code: int = 1) -> None:
    """Print ``dataknobs-data: error: message`` to stderr and exit with ``code``."""
    typer.echo(f"{PROG}: error: {message}", err=True)
    sys.exit(code)


app = typer.Typer(
    name=PROG,
    cls=OneLineErrorsGroup,
    help="One record store over memory, files, PostgreSQL, Elasticsearch and S3.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


#: the width tables get when the output is not a terminal: as wide as their widest row
UNBOUNDED_WIDTH = 1_000_000


def plain_console(stderr: bool = False) -> Console:
    """A rich console that prints text verbatim (no markup, no highlighting). On a terminal
    it wraps at the terminal's width; into a pipe or a file nothing is truncated or wrapped
    (a table is as wide as its widest cell needs, whatever ``COLUMNS`` says)."""
    stream = sys.stderr if stderr else sys.stdout
    is_tty = getattr(stream, "isatty", None)
    piped = not (callable(is_tty) and is_tty())
    return Console(stderr=stderr, markup=False, highlight=False,
                   width=UNBOUNDED_WIDTH if piped else None)


@dataclass
class CliState:
    """What every command needs: the configuration and the consoles."""

    config_path: Path | None = None
    #: markup and highlighting off: user data, paths and hints (``pip install
    #: 'dataknobs-data[postgres]'``) print verbatim, and ``a [/] b`` is text, not an error
    console: Console = field(default_factory=lambda: plain_console())
    err_console: Console = field(default_factory=lambda: plain_console(stderr=True))
    _config: DatabasesConfig | None = None
    _hinted: set[str] = field(default_factory=set)

    def config(self, names: Iterable[str] = ()) -> DatabasesConfig:
        """The configuration: the file given, or the embedded default (with ``names``)."""
        from ..containers.config import load_config, parse_config

        if self.config_path is not None:
            if self._config is None:
                self._config = load_config(self.config_path)
            return self._config
        return parse_config(embedded_default(names), source="embedded default")

    def entry_for(self, name: str | None) -> Any:
        """The configured entry of database ``name`` (the default one when None)."""
        config = self.config([name] if name else [])
        key = name or config.default
        if key is None or key not in config.entries:
            from ..ports.options import suggest
            raise ConfigurationError(
                f"no database {key!r} in {config.source}{suggest(str(key), config.entries)} "
                f"(configured: {', '.join(config.entries) or 'none'})"
            )
        return config.entries[key]

    @contextmanager
    def database(self, name: str | None, *, create: bool = False) -> Iterator[SyncDatabase]:
        """Open database ``name`` (sync), closing it afterwards. On the embedded default a
        name other than ``default`` must be a store that exists unless ``create`` (import,
        demo, a migration's target): a typo is an error naming the stores there, not an
        empty store made on the spot."""
        key = name or DEFAULT_DB
        if self.config_path is None and not create:
            check_embedded_exists(key)
        if self.config_path is None and key.isidentifier() and sqlite_path(key).is_file():
            # an embedded store that exists (its name was checked when it was made): opened
            # directly, without validating a configuration (which imports the container)
            from ..adapters.sqlite import SQLiteDatabase

            fast = SQLiteDatabase(path=sqlite_path(key))
            try:
                yield fast
            finally:
                fast.close()
            return
        entry = self.entry_for(name)
        if entry.is_async:
            raise ConfigurationError(
                f"database {entry.name!r} is configured async; the command line needs a sync "
                "adapter (remove 'async: true')")
        if self.config_path is None:
            DEFAULT_HOME.mkdir(exist_ok=True)
            if entry.backend == "file" and entry.name not in self._hinted:
                self._hinted.add(entry.name)
                typer.echo(upgrade_hint(entry.name), err=True)
        db = entry.create()
        try:
            yield db
        finally:
            db.close()

    def progress(self, *columns: Any) -> Progress:
        """A progress bar on stderr (drawn only on a terminal); ``columns`` go before the
        elapsed time."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        return Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), *columns,
            TimeElapsedColumn(), console=self.err_console, transient=True,
            disable=not self.err_console.is_terminal,
        )


def state(ctx: typer.Context) -> CliState:
    """The :class:`CliState` of this invocation."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"{PROG} {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option(
        "--config", "-c", metavar="FILE", envvar=CONFIG_ENV,
        help="YAML configuration of the databases "
        "(default: the embedded file stores under ./.dataknobs/).", show_default=False,
    )] = None,
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", is_eager=True,
        callback=_print_version)] = False,
) -> None:
    """One record store over memory, files, PostgreSQL, Elasticsearch and S3."""
    ctx.obj = CliState(config_path=config)


DbOption = Annotated[str | None, typer.Option(
    "--db", "-d", metavar="NAME", help="Database name (default: the configuration's default).",
    show_default=False)]
WhereOption = Annotated[list[str] | None, typer.Option(
    "--where", "-w", metavar="EXPR",
    help='Filter FIELD OP VALUE, e.g. "age>=30", "team.name=core", "name like A%", '
    '\'city in "Paris, TX",Lima\', "age between 30 and 39", "email exists", '
    '"not city=Oslo" (repeat for AND; see docs/cli.md).',
    show_default=False)]
FormatOption = Annotated[str, typer.Option(
    "--format", "-f", metavar="table|json|jsonl|csv",
    help="Output: a table for people; json, jsonl or csv for programs (plain, never "
    "coloured; json and jsonl stream).")]


def _machine(fmt: str, as_json: bool = False) -> str | None:
    """The machine format asked for (``--json`` is ``--format json``), or None for a table."""
    from .cells import check_output_format

    fmt = check_output_format(fmt)
    if as_json:
        if fmt not in ("table", "json"):
            raise ConfigurationError(f"--json and --format {fmt} disagree; give one")
        return "json"
    return None if fmt == "table" else fmt


def _stdout() -> Any:
    return getattr(sys.stdout, "buffer", None) or sys.stdout


SortOption = Annotated[list[str] | None, typer.Option(
    "--sort", "-s", metavar="[-]FIELD",
    help="Sort field; -field sorts descending (repeat for more keys).",
    show_default=False)]


# -- import / export ---------------------------------------------------------------------
@app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV, JSON, JSON Lines or Parquet file.")],
    db: DbOption = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", metavar="FORMAT",
        help="csv, json, jsonl or parquet (default: from the extension).",
        show_default=False)] = None,
    upsert: Annotated[bool, typer.Option(
        "--upsert/--create", help="Replace records whose id exists (default) or fail on them.",
    )] = True,
    infer: Annotated[bool, typer.Option(
        "--infer/--no-infer", help="Type CSV cells: numbers without leading zeros, "
        "true/false, null, ISO dates, JSON (docs/cli.md); --no-infer keeps text.")] = True,
    batch_size: Annotated[int, typer.Option(min=1, metavar="N", help="Records per write.")] = 500,
) -> None:
    """Import records from a data file (nothing is written if any row is bad)."""
    st = state(ctx)
    written = import_file(st, path, db, fmt=fmt, upsert=upsert, infer=infer,
                          batch_size=batch_size)
    st.console.print(f"imported {written} records into {st.entry_for(db).name!r}")


def import_file(st: CliState, path: Path, db_name: str | None, *, fmt: str | None = None,
                upsert: bool = True, infer: bool = True, batch_size: int = 500) -> int:
    """Read ``path`` completely (so a bad row writes nothing), then write it in batches."""
    from ..ports.preparation import prepare_batch
    from . import dataio

    kind = dataio.detect_format(path, fmt)
    records_iter = dataio.read_records(path, kind, infer=infer)
    total = dataio.count_rows(path, kind) if path.is_file() else None
    records: list[Record] = []
    with st.progress() as bar:
        task = bar.add_task(f"reading {path.name}", total=total)
        for rec in records_iter:
            records.append(rec)
            bar.advance(task)
    with st.database(db_name, create=True) as db, st.progress() as bar:
        # every record is checked (storable values, schema, ids unique in the file) before
        # the first write, so bad input writes nothing
        _, bad = prepare_batch(records, db.schema)
        if bad:
            first = min(bad)
            raise ConfigurationError(
                f"{path}: record {first + 1}: {bad[first]} ({len(bad)} bad record"
                f"{'s' if len(bad) > 1 else ''}; nothing was written)")
        task = bar.add_task(f"writing {len(records)} records", total=len(records))
        for start in range(0, len(records), batch_size):
            chunk = records[start:start + batch_size]
            try:
                if upsert:
                    db.upsert_batch(chunk)
                else:
                    db.create_batch(chunk)
            except DataknobsError as err:
                raise _with_context(err, start, path) from err
            bar.advance(task, len(chunk))
    return len(records)


def _with_context(err: DataknobsError, start: int, path: Path) -> DataknobsError:
    """The write error with what was written before it (the reader checked every row), of
    the same kind: an id clash stays an ``IntegrityError``, bad data a ``DataError``."""
    written, causes = start, list[BaseException]([err])
    if isinstance(err, BatchOperationError):
        written, causes = start + len(err.succeeded), list(err.failed.values())
    clash = any(isinstance(cause, RecordExistsError) for cause in causes)
    hint = "; use --upsert to replace existing ids" if clash else ""
    where = "nothing was written" if written == 0 else (
        f"the first {written} records of {path.name} were written")
    kind = next((k for k in (IntegrityError, DataError) if all(isinstance(c, k) for c in causes)),
                DatabaseError)
    return kind(f"{err} ({where}){hint}")


@app.command()
def export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Output file (.csv, .json, .jsonl, .parquet).")],
    db: DbOption = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", show_default=False, metavar="FORMAT",
                                            help="csv, json, jsonl or parquet.")] = None,
    where: WhereOption = None,
    sort: SortOption = None,
    limit: Annotated[int | None, typer.Option(metavar="N",
                                              help="At most this many records.")] = None,
    with_id: Annotated[bool, typer.Option("--id/--no-id", help="Write each record's id.")
                       ] = True,
) -> None:
    """Export records (all, or those matching --where) to a data file."""
    from . import dataio

    st = state(ctx)
    kind = dataio.detect_format(path, fmt)
    query = build_query(where or (), sort or (), limit)
    with st.database(db) as database:
        warn_absent_fields(database, where or ())
        total = database.count(query)
        if limit is not None:
            total = min(total, limit)

        if kind == "parquet":
            # the columnar path: one batch of every matching record, so the file's columns
            # are typed over all of them (as a snapshot's)
            def batches() -> Iterator[Any]:
                with st.progress() as bar:
                    task = bar.add_task(f"exporting to {path.name}", total=total)
                    for batch in database.read_arrow(query, batch_size=max(total, 1)):
                        yield batch
                        bar.advance(task, batch.num_rows)

            written = dataio.write_parquet_batches(path, batches(), with_id=with_id)
        else:
            def records() -> Iterator[Record]:
                with st.progress() as bar:
                    task = bar.add_task(f"exporting to {path.name}", total=total)
                    for rec in database.stream_read(query):
                        yield rec
                        bar.advance(task)

            written = dataio.write_records(path, records(), kind, with_id=with_id)
    st.console.print(f"exported {written} records to {path}")


# -- query / count -----------------------------------------------------------------------
def _cell(value: Any) -> str:
    from .cells import plain_text

    if isinstance(value, list):
        return ",".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, default=str)
    text = plain_text(value)
    return str(value) if text is None else text


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def records_table(records: Sequence[Record], title: str | None = None,
                  columns: Sequence[str] = ()) -> Table:
    """A rich table of records: the id, then every (dotted) field seen, in first-seen order."""
    from rich import box
    from rich.table import Table

    flat = [_flat(rec.data) for rec in records]
    names: dict[str, None] = dict.fromkeys(columns)
    if not columns:
        for row in flat:
            names.update(dict.fromkeys(row))
    names.pop("id", None)
    table = Table(title=title, box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False)
    table.add_column("id", style="dim", no_wrap=True)
    for name in names:
        values = [row[name] for row in flat if row.get(name) is not None]
        numeric = bool(values) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        table.add_column(name, justify="right" if numeric else "left",
                         no_wrap=numeric or name in ("name", "joined"))
    for rec, row in zip(records, flat, strict=True):
        table.add_row(str(rec.id), *(_cell(row[n]) if n in row else "" for n in names))
    return table


@app.command()
def query(
    ctx: typer.Context,
    db: DbOption = None,
    where: WhereOption = None,
    sort: SortOption = None,
    limit: Annotated[int | None, typer.Option("--limit", "-n", metavar="N",
                                              help="At most this many records.")] = None,
    offset: Annotated[int, typer.Option(metavar="N", help="Skip this many records first.")] = 0,
    select: Annotated[list[str] | None, typer.Option(
        "--select", metavar="FIELDS", help="Fields to show (comma separated or repeated).",
        show_default=False)] = None,
    fmt: FormatOption = "table",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")
                       ] = False,
) -> None:
    """Search records and print them as a table, or as JSON, JSON Lines or CSV.

    Example: dataknobs-data query -w "age>=30" -s -age -n 5 --format jsonl
    """
    st = state(ctx)
    machine = _machine(fmt, as_json)
    q = build_query(where or (), sort or (), limit, offset, select or ())
    with st.database(db) as database:
        warn_absent_fields(database, where or ())
        if machine is not None:
            from .dataio import stream_records

            stream_records(_stdout(), database.stream_read(q), machine)
            return
        found = database.search(q)
        matched = database.count(q)
    st.console.print(records_table(found, columns=q.fields or ()))
    st.console.print(f"{len(found)} shown, {matched} match")


@app.command()
def index(
    ctx: typer.Context,
    paths: Annotated[list[str], typer.Argument(
        metavar="PATH", help="Data paths to index (dotted: team.name).", show_default=False)],
    db: DbOption = None,
) -> None:
    """Index data paths, so filters on them (=, in, and number ranges) need no full scan.

    The indexes live in the store's file and serve every later call. SQLite stores (the
    embedded default) only; a configured backend takes its indexes from its configuration.

    Example: dataknobs-data index age team.name
    """
    st = state(ctx)
    with st.database(db) as database:
        make = getattr(database, "create_index", None)
        listed = getattr(database, "indexed_paths", None)
        if make is None or listed is None:
            raise ConfigurationError(
                f"the {database.backend_name} backend of database {db or DEFAULT_DB!r} has no "
                "index command; give its indexes in its configuration")
        for path in paths:
            make(path)
        now = listed()
    st.console.print(f"indexed: {', '.join(now)}")


@app.command()
def count(
    ctx: typer.Context,
    db: DbOption = None,
    where: WhereOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Print how many records match (all records without --where).

    Example: dataknobs-data count -w "city in Oslo,Lima" --format json
    """
    st = state(ctx)
    machine = _machine(fmt)
    query = build_query(where or ())
    with st.database(db) as database:
        warn_absent_fields(database, where or ())
        n = database.count(query)
    if machine is None:
        st.console.print(n)
        return
    from .dataio import write_rows

    write_rows(_stdout(), [{"count": n}], machine, single=True)


# -- info ----------------------------------------------------------------------------------
@app.command()
def info(ctx: typer.Context, fmt: FormatOption = "table") -> None:
    """Show the configured databases and the available backends (and their drivers).

    Example: dataknobs-data -c dk.yaml info --format json
    """
    from ..containers.config import redact
    from ..containers.registry import backend_specs, resolve_backend

    st = state(ctx)
    machine = _machine(fmt)
    config = st.config()
    databases: list[dict[str, Any]] = []
    for entry in config.entries.values():
        databases.append({
            "name": entry.name, "default": entry.name == config.default,
            "backend": entry.backend,
            "adapter": f"{entry.adapter.__module__}.{entry.adapter.__qualname__}",
            "async": entry.is_async, "options": redact(entry.options)})
    backends: list[dict[str, Any]] = []
    for spec in backend_specs().values():
        status, hint = "ready", ""
        if not spec.driver_installed:
            status, hint = f"driver missing ({', '.join(spec.missing_drivers())})", \
                spec.install_hint
        else:
            try:
                resolve_backend(spec.name)
            except ConfigurationError:
                status = "adapter not available"
        backends.append({"name": spec.name, "status": status, "source": spec.source,
                         "install": hint})
    if machine is not None:
        from .dataio import write_rows

        if machine == "json":
            out = _stdout()
            out.write(json.dumps({"source": config.source, "databases": databases,
                                  "backends": backends}, default=str,
                                 ensure_ascii=False).encode("utf-8") + b"\n")
            out.flush()
        else:
            rows = [{"kind": "database", **{
                k: json.dumps(v, default=str) if k == "options" and machine == "csv" else v
                for k, v in d.items()}} for d in databases]
            rows += [{"kind": "backend", **b} for b in backends]
            write_rows(_stdout(), rows, machine)
        return
    from rich.table import Table

    dbs = Table("name", "backend", "adapter", "options", title=f"databases ({config.source})")
    for d in databases:
        options = ", ".join(f"{k}={v}" for k, v in d["options"].items())
        dbs.add_row(d["name"] + (" (default)" if d["default"] else ""), d["backend"],
                    d["adapter"] + (" (async)" if d["async"] else ""), options)
    st.console.print(dbs)
    table = Table("name", "status", "source", "install", title="backends")
    for b in backends:
        table.add_row(b["name"], b["status"], b["source"], b["install"])
    st.console.print(table)


# -- upgrade -------------------------------------------------------------------------------
@app.command()
def upgrade(
    ctx: typer.Context,
    db: Annotated[str, typer.Option("--db", "-d", metavar="NAME",
                                    help="Embedded database to upgrade.")
                  ] = DEFAULT_DB,
) -> None:
    """Copy an earlier version's ./.dataknobs/NAME.jsonl store into NAME.sqlite (the old
    file is kept as NAME.jsonl.bak)."""
    st = state(ctx)
    if st.config_path is not None:
        raise ConfigurationError("upgrade works on the embedded default (./.dataknobs/); with "
                                 "a configuration, copy a database with migrate")
    count = upgrade_store(db)
    st.console.print(f"upgraded {count} records: {legacy_path(db)} -> {sqlite_path(db)} "
                     f"(old file kept as {legacy_path(db)}.bak)", highlight=False)


def upgrade_store(name: str) -> int:
    """Copy ``NAME.jsonl`` into a temporary SQLite file, rename it to ``NAME.sqlite``, then
    rename the old store to ``NAME.jsonl.bak``; a failure midway leaves the old store as it
    was and no ``NAME.sqlite``. Returns how many records were copied."""
    from ..adapters.file import FileDatabase
    from ..adapters.sqlite import SQLiteDatabase

    source, target = legacy_path(name), sqlite_path(name)
    if target.exists():
        raise ConfigurationError(f"{target} exists already; nothing to upgrade")
    if not source.is_file():
        raise ConfigurationError(f"no JSON Lines store {str(source)!r} to upgrade")
    temp = target.with_name(f".{target.name}.upgrading")
    for leftover in (temp, temp.with_name(temp.name + "-wal"), temp.with_name(temp.name + "-shm")):
        leftover.unlink(missing_ok=True)
    copied = 0
    try:
        with FileDatabase(path=source) as old, SQLiteDatabase(path=temp) as new:
            batch: list[Record] = []
            for rec in old.stream_read():
                batch.append(rec)
                if len(batch) >= 1000:
                    new.create_batch(batch)
                    copied += len(batch)
                    batch = []
            if batch:
                new.create_batch(batch)
                copied += len(batch)
            if new.count() != old.count():
                raise DatabaseError(f"upgrade of {source}: copied {new.count()} records of "
                                    f"{old.count()}; nothing was changed")
        os.replace(temp, target)
    except BaseException:
        for leftover in (temp, temp.with_name(temp.name + "-wal"),
                         temp.with_name(temp.name + "-shm")):
            leftover.unlink(missing_ok=True)
        raise
    # the store and its sidecars (NAME.jsonl.log, NAME.jsonl.lock) become NAME.jsonl.bak*
    for part in sorted(DEFAULT_HOME.glob(f"{source.name}*")):
        if not part.name.startswith(f"{source.name}.bak"):
            os.replace(part, part.with_name(f"{source.name}.bak{part.name[len(source.name):]}"))
    return copied


# -- demo ----------------------------------------------------------------------------------
DEMO_QUERY = ("--where", "age>=30", "--where", "team.name=core", "--where", "active=true",
              "--sort", "-score", "--limit", "10")


@app.command()
def demo(
    ctx: typer.Context,
    db: Annotated[str, typer.Option("--db", "-d", metavar="NAME",
                                    help="Database to load the sample into.")
                  ] = "demo",
) -> None:
    """Import the sample data set (300 people), query it and show the table."""
    from .sample_data import sample_csv, shipped_sample

    st = state(ctx)
    sample = shipped_sample()
    if sample is None:
        DEFAULT_HOME.mkdir(exist_ok=True)
        sample = DEFAULT_HOME / "sample-people.csv"
        sample.write_text(sample_csv(), encoding="utf-8")
    written = import_file(st, sample, db, upsert=True)
    entry = st.entry_for(db)
    where = ("a file store" if entry.backend == "file" else
             "an SQLite store" if entry.backend == "sqlite" else f"the {entry.backend} store")
    location = entry.options.get("path", "")
    st.console.print(f"imported {written} people from {sample.name} into {where} "
                     f"{location}".rstrip())
    q = build_query(("age>=30", "team.name=core", "active=true"), ("-score",), 10, None,
                    ("name", "age", "score", "joined", "city", "tags"))
    with st.database(db) as database:
        found = database.search(q)
        matched = database.count(q)
        total = database.count()
    st.console.print(records_table(
        found, title="active people aged 30+ in team core, best score first",
        columns=q.fields or ()))
    st.console.print(f"{matched} of {total} records match; showing the top {len(found)}.")
    st.console.print(
        f"Try: {PROG} query --db {db} " + " ".join(
            f'"{a}"' if " " in a or ">" in a or "<" in a else a for a in DEMO_QUERY),
        soft_wrap=True, highlight=False)


# ============================== EXTENSION POINT ===========================================
# Other modules of this package add commands here. A module listed in SUBCOMMAND_MODULES
# (``dataknobs_data.cli.<name>``) that exists is imported and its ``register(app)`` called
# with this Typer app, e.g. ``cli/migrate.py``::
#
#     def register(app: typer.Typer) -> None:
#         app.add_typer(migrate_app, name="migrate")   # or @app.command("migrate")
#
# Commands get the configuration and databases through ``state(ctx)`` (a CliState):
# ``with state(ctx).database(name) as db: ...``. Third-party code may call
# ``register_commands(fn)`` before ``main()`` runs.
SUBCOMMAND_MODULES: tuple[str, ...] = ("migrate",)


def register_commands(registrar: Callable[[typer.Typer], None]) -> None:
    """Add commands: ``registrar(app)`` is called with the Typer app."""
    registrar(app)


def _load_subcommands() -> None:
    for name in SUBCOMMAND_MODULES:
        module_name = f"{__package__}.{name}"
        try:
            if importlib.util.find_spec(module_name) is None:
                continue
            module = importlib.import_module(module_name)
            register = getattr(module, "register", None)
            if callable(register):
                register(app)
        except Exception as err:  # a broken extension must not take the other commands down
            _add_broken_command(name, err)


def _add_broken_command(name: str, err: Exception) -> None:
    reason = f"{type(err).__name__}: {err}"

    @app.command(name, help=f"(unavailable: {reason})", context_settings={
        "ignore_unknown_options": True, "allow_extra_args": True})
    def broken() -> None:
        raise ConfigurationError(f"the {name} command could not be loaded: {reason}")


_load_subcommands()
# ==========================================================================================


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name=PROG)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


__all__ = ["CliState", "app", "embedded_default", "register_commands", "run", "state"]
