"""``dataknobs-data migrate SOURCE TARGET``: copy records between two configured databases.

SOURCE and TARGET are database names from the configuration (``--config``). The migration
streams the source in batches through the ``--transform`` specs, shows a progress bar with
rate and ETA on a terminal, saves a checkpoint after every batch (``--resume`` continues an
interrupted run without duplicates or gaps), and with ``--verify`` compares counts and
per-record checksums afterwards. ``--dry-run`` reads and transforms, checks every record
against the target's schema, and writes nothing.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..domain import codec
from ..domain.errors import ConfigurationError
from ..domain.query import Query
from ..migration.transforms import SPEC_HELP, parse_transform
from .app import DEFAULT_HOME, state
from .where import build_query

if TYPE_CHECKING:  # the migrator is imported when the command runs, not with every command
    from ..migration.migrator import MigrationProgress
    from ..migration.transforms import Transform

#: where checkpoints go unless --checkpoint-dir says otherwise
DEFAULT_CHECKPOINTS = DEFAULT_HOME / "migrations"


def parse_query(items: list[str]) -> Query:
    """``--query`` values: ``FIELD OP VALUE`` expressions (as ``--where``; repeat for AND), or
    one JSON object in the ``Query.to_dict`` form."""
    if len(items) == 1 and items[0].lstrip().startswith("{"):
        try:
            return Query.from_dict(codec.loads(items[0]))
        except (ValueError, KeyError, TypeError) as err:
            raise ConfigurationError(f"--query JSON: {err}") from None
    return build_query(items)


#: the flags a checkpoint remembers, so ``--resume`` or ``--dry-run`` alone continue a run
REMEMBERED = ("query", "transform", "batch_size", "on_error", "upsert")


def remembered_flags(ctx: typer.Context, given: dict[str, Any],
                     saved: dict[str, Any]) -> dict[str, Any]:
    """The run's flags: each one given on this command line, else the checkpoint's."""
    flags = dict(given)
    for name in REMEMBERED:
        source = ctx.get_parameter_source(name)  # typer may bundle its own click: by name
        if name in saved and getattr(source, "name", "DEFAULT") == "DEFAULT":
            flags[name] = saved[name]
    return flags


def migrate(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(
        help="Source database name (from the config).")],
    target: Annotated[str, typer.Argument(
        help="Target database name (from the config).")],
    query: Annotated[list[str] | None, typer.Option(
        "--query", "-q", metavar="EXPR",
        help='Only records matching FIELD OP VALUE (as --where: "age>=30"; '
        "repeat for AND), or a JSON query object.", show_default=False)] = None,
    transform: Annotated[list[str] | None, typer.Option(
        "--transform", "-t", metavar="SPEC",
        help=f"Transform each record, in order (repeatable): {SPEC_HELP}.",
        show_default=False)] = None,
    batch_size: Annotated[int, typer.Option(min=1, metavar="N", help="Records per batch.")] = 1000,
    resume: Annotated[bool, typer.Option(
        "--resume", help="Continue from the checkpoint of an interrupted run.")] = False,
    restart: Annotated[bool, typer.Option(
        "--restart", help="Forget an existing checkpoint and start from the beginning.")
    ] = False,
    verify: Annotated[bool, typer.Option(
        "--verify", help="Afterwards compare counts and per-record checksums.")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Read and transform, report what would fail, write nothing.")
    ] = False,
    on_error: Annotated[str, typer.Option(
        "--on-error", metavar="stop|skip|retry",
        help="stop, skip (report and go on) or retry (then report).")
    ] = "stop",
    upsert: Annotated[bool, typer.Option(
        "--upsert/--create", help="Replace records that exist in the target, or fail on "
        "them (default).")] = False,
    checkpoint_dir: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Directory of checkpoint files (default: ./.dataknobs/migrations).",
        show_default=False)] = None,
    migration_id: Annotated[str | None, typer.Option(
        metavar="ID", help="Name of the checkpoint (default: SOURCE-to-TARGET).",
        show_default=False)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")
                       ] = False,
) -> None:
    """Copy records from SOURCE to TARGET in batches (resumable, verifiable).

    The checkpoint keeps --query, --transform, --batch-size, --on-error and --upsert, so
    --resume (or --dry-run) alone continues a run with them. Transforms named as
    module:function are imported from the current directory too.

    Example: dataknobs-data migrate people archive -q "age>=65" -t "rename:name=full_name"
    """
    from rich.progress import TextColumn, TimeRemainingColumn

    from ..migration.checkpoint import FileCheckpointStore
    from ..migration.migrator import CheckpointConflictError, Migrator

    st = state(ctx)
    if source == target:
        raise ConfigurationError(f"source and target are the same database {source!r}")
    store = FileCheckpointStore(checkpoint_dir or DEFAULT_CHECKPOINTS)
    mid = migration_id or f"{source}-to-{target}"
    given: dict[str, Any] = {"query": list(query or []), "transform": list(transform or []),
                             "batch_size": batch_size, "on_error": on_error,
                             "upsert": upsert}
    saved = None if restart else store.load(mid)
    if resume and saved is None:
        raise ConfigurationError(
            f"--resume: migration {mid!r} has no checkpoint in "
            f"{str(store.directory)!r} (run it without --resume to start it)")
    flags = remembered_flags(ctx, given, saved.options) if saved is not None else given
    query, transform = flags["query"], flags["transform"]
    batch_size, on_error, upsert = flags["batch_size"], flags["on_error"], flags["upsert"]
    if on_error not in ("stop", "skip", "retry"):
        raise ConfigurationError(f"--on-error must be stop, skip or retry, not {on_error!r}")
    q = parse_query(query or [])
    cwd = os.getcwd()
    if cwd not in sys.path:  # module:function transforms from the user's project
        sys.path.insert(0, cwd)
    transforms: list[Transform] = [parse_transform(spec) for spec in transform or []]
    progress = st.progress(TextColumn("{task.fields[rate]}"), TextColumn("ETA"),
                           TimeRemainingColumn())
    task = progress.add_task(f"{source} -> {target}", total=None, rate="")

    def on_progress(p: MigrationProgress) -> None:
        progress.update(task, total=p.total, completed=p.done, rate=f"{p.rate:,.0f} rec/s")

    with st.database(source) as src, st.database(target, create=True) as dst:
        migrator = Migrator(src, dst, query=q, transforms=transforms, batch_size=batch_size,
                            on_error=on_error,  # type: ignore[arg-type]
                            mode="upsert" if upsert else "create", checkpoint=store,
                            migration_id=mid, progress=on_progress, options=flags)
        if restart:
            migrator.reset()
        try:
            with progress:
                result = migrator.run(resume=resume, dry_run=dry_run, verify=verify)
        except CheckpointConflictError as err:
            raise CheckpointConflictError(
                f"{err} (--resume continues it, --restart starts over)") from None
    if as_json:
        st.console.print_json(json.dumps(result.as_dict(), default=str))
    else:
        say = functools.partial(st.console.print, highlight=False)
        say(result.summary())
        for failure in result.failures[:10]:
            say(f"  failed: record {failure.record_id!r} (source position {failure.index}): "
                f"{failure.error}")
        if result.failed > 10:
            say(f"  ... and {result.failed - 10} more failures")
        if result.verification is not None:
            report = result.verification
            say(report.summary())
            for rid in report.missing_ids[:10]:
                say(f"  missing: {rid!r}")
            for mismatch in report.mismatches[:10]:
                say(f"  different: {mismatch.record_id!r} in {', '.join(mismatch.fields)}")
            for rid in report.extra_ids[:10]:
                say(f"  unexpected in target: {rid!r}")
        if result.stopped_early and not dry_run:
            say("stopped at the first failed batch; fix the cause and run again with --resume "
                "(or use --on-error skip)")
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``migrate`` command to the ``dataknobs-data`` app."""
    app.command("migrate")(migrate)


__all__ = ["migrate", "parse_query", "register"]
