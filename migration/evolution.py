"""Schema evolution: versioned migrations of field operations, forward and backward.

A ``SchemaMigration`` is a version number and a list of operations (``AddField``,
``RenameField``, ``RemoveField``, ``ChangeType``); a ``SchemaEvolution`` is the ordered list
of them. Applying it to a database upgrades (or downgrades) every record to the wanted
version and records the version on the record itself, in its metadata under
``version_key`` (default ``"schema_version"``; a record without it is at version 0).

Keeping the version per record makes evolution safe on every backend and resumable: each
record is rewritten together with its version stamp in one update, so an interrupted
``apply`` simply continues with the records still at the old version, and no operation is
ever applied twice to the same record. ``summary(db)`` reports which versions the target
holds (one version when fully applied). ``transform(to)`` gives the same upgrade as a
migration transform, to evolve records while copying them to another store.
"""

from __future__ import annotations

import copy
import functools
import time
from abc import ABC
from collections.abc import Callable, Iterable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Literal, Self

from ..domain.errors import ConfigurationError, DataknobsError
from ..domain.records import FieldType, Record, lookup
from ..domain.schema import coerce, field_type
from ..domain.values import MISSING
from ..ports.async_database import AsyncDatabase
from ..ports.database import SyncDatabase
from ..ports.streaming import StreamConfig
from .checkpoint import MAX_LISTED_FAILURES
from .names import old_names

OnError = Literal["raise", "null", "keep", "note"]


class EvolutionError(DataknobsError, ValueError):
    """A schema migration cannot be applied to a record (names the record, field and value),
    or the migrations themselves are inconsistent."""


def _field_type(value: FieldType | str) -> FieldType:
    try:
        return field_type(value)
    except ConfigurationError:
        names = ", ".join(t.value for t in FieldType)
        raise EvolutionError(f"unknown field type {value!r} (one of {names})") from None


# -- operations -----------------------------------------------------------------------------
class Operation(ABC):  # noqa: B024 - a subclass defines one method of each pair, checked below
    """One change to a record's fields, with its inverse.

    Write ``forward``/``backward`` (in place) or, as in dataknobs-data 0.11, ``apply`` /
    ``reverse`` (returning a new record): each pair is derived from the other."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for in_place, returning in (("forward", "apply"), ("backward", "reverse")):
            if getattr(cls, in_place) is getattr(Operation, in_place) and \
                    getattr(cls, returning) is getattr(Operation, returning):
                raise TypeError(f"{cls.__name__} must define {in_place} (in place) or "
                                f"{returning} (returning a record)")

    def forward(self, record: Record) -> None:
        """Apply the change to the record (in place)."""
        _replace(record, self.apply(record))

    def backward(self, record: Record) -> None:
        """Undo the change (in place)."""
        _replace(record, self.reverse(record))

    def apply(self, record: Record) -> Record:
        """A changed copy of the record (the record itself is left as it is)."""
        out = record.copy()
        self.forward(out)
        return out

    def reverse(self, record: Record) -> Record:
        """A copy of the record with the change undone."""
        out = record.copy()
        self.backward(out)
        return out

    def __call__(self, record: Record) -> Record:
        """``apply``: an operation is a migration transform too."""
        return self.apply(record)

    def affected_fields(self) -> set[str]:
        """The fields this operation may change."""
        return set()

    def needed_fields(self) -> set[str]:
        """The fields a record must have for this operation to do anything."""
        return set()

    def describe(self) -> str:
        """One line for people."""
        return repr(self)


def _replace(record: Record, new: Record) -> None:
    """Make ``record`` hold what ``new`` holds (an operation written as ``apply``)."""
    if new is record:
        return
    record.data.clear()
    for name, value in new.data.items():
        record.set_value(name, value)
    record.metadata.clear()
    record.metadata.update(new.metadata)
    if new.id is not None:
        record.id = new.id


def _pop(record: Record, path: str) -> Any:
    value = lookup(record.data, path)
    if value is MISSING:
        return MISSING
    if "." not in path:
        record.remove_field(path)
        return value
    *parents, leaf = path.split(".")
    current: Any = record.data
    for segment in parents:
        current = current[segment]
    current.pop(leaf, None)
    return value


@old_names(field_name="name", default_value="default")
@dataclass
class AddField(Operation):
    """Add ``name`` with ``default`` where it is missing (typed ``field_type``, if given);
    backward removes it."""

    name: str
    default: Any = None
    field_type: FieldType | str | None = None

    def __post_init__(self) -> None:
        if self.field_type is not None:
            self.field_type = _field_type(self.field_type)


    def forward(self, record: Record) -> None:
        """Add the field unless present."""
        if lookup(record.data, self.name) is MISSING:
            value = copy.deepcopy(self.default)
            if isinstance(self.field_type, FieldType):
                record.set_field(self.name, value, self.field_type)
            else:
                record.set_value(self.name, value)

    def backward(self, record: Record) -> None:
        """Remove the field."""
        _pop(record, self.name)

    def affected_fields(self) -> set[str]:
        """The added field."""
        return {self.name}


@old_names(old_name="old", new_name="new")
@dataclass
class RenameField(Operation):
    """Rename ``old`` to ``new`` (dotted paths allowed); backward renames it back. A record
    that already has the destination field raises ``EvolutionError`` (no value is lost)."""

    old: str
    new: str


    def _move(self, record: Record, src: str, dst: str) -> None:
        if lookup(record.data, src) is MISSING:
            return
        if lookup(record.data, dst) is not MISSING:
            raise EvolutionError(
                f"record {record.id!r}: cannot rename {src!r} to {dst!r}: {dst!r} exists")
        record.set_value(dst, _pop(record, src))

    def forward(self, record: Record) -> None:
        """old -> new."""
        self._move(record, self.old, self.new)

    def backward(self, record: Record) -> None:
        """new -> old."""
        self._move(record, self.new, self.old)

    def affected_fields(self) -> set[str]:
        """Both names."""
        return {self.old, self.new}

    def needed_fields(self) -> set[str]:
        """The old name."""
        return {self.old}


@old_names(field_name="name")
@dataclass
class RemoveField(Operation):
    """Remove ``name``; backward adds it back with ``default``. With ``store_removed=True``
    the removed value is kept in the record's metadata under ``_removed_<name>`` and
    backward restores it from there; otherwise the removed values are not kept (copy the
    store first, or migrate into a new one, if you may need them)."""

    name: str
    default: Any = None
    store_removed: bool = False


    @property
    def _stored_key(self) -> str:
        return f"_removed_{self.name}"

    def forward(self, record: Record) -> None:
        """Remove the field (keeping its value in the metadata with ``store_removed``)."""
        value = _pop(record, self.name)
        if self.store_removed and value is not MISSING:
            record.metadata[self._stored_key] = value

    def backward(self, record: Record) -> None:
        """Restore the stored value, else re-add the field with the default."""
        if self.store_removed and self._stored_key in record.metadata:
            record.set_value(self.name, record.metadata.pop(self._stored_key))
        elif lookup(record.data, self.name) is MISSING:
            record.set_value(self.name, copy.deepcopy(self.default))

    def affected_fields(self) -> set[str]:
        """The removed field."""
        return {self.name}


@old_names(field_name="name")
@dataclass
class ChangeType(Operation):
    """Convert ``name`` to ``to`` with ``coerce`` (or a custom ``convert``); backward converts
    to ``from_`` (or with ``convert_back``). ``on_error``: ``"raise"`` (an ``EvolutionError``
    naming the record, field and value), ``"null"`` (store null), ``"keep"`` (leave the
    value unchanged) or ``"note"`` (leave it, and put the error in the record's metadata
    under ``_transform_error_<name>``, ``_reverse_error_<name>`` going backward).

    The types are keywords (``ChangeType("age", from_="string", to="integer")``): two
    positional types read in either order look right and convert the wrong way."""

    name: str
    _: KW_ONLY
    to: FieldType | str
    from_: FieldType | str = FieldType.ANY
    convert: Callable[[Any], Any] | None = None
    convert_back: Callable[[Any], Any] | None = None
    on_error: OnError = "raise"

    def __post_init__(self) -> None:
        self.to = _field_type(self.to)
        self.from_ = _field_type(self.from_)
        if self.on_error not in ("raise", "null", "keep", "note"):
            raise EvolutionError(
                f"on_error must be raise, null, keep or note, got {self.on_error!r}")


    def _convert(self, record: Record, to: FieldType, fn: Callable[[Any], Any] | None,
                 note: str) -> None:
        value = lookup(record.data, self.name)
        if value is MISSING or value is None:
            return
        try:
            new = fn(value) if fn is not None else coerce(value, to)
        except Exception as err:  # user code and conversions: handled as on_error says
            if self.on_error == "null":
                new = None
            elif self.on_error == "keep":
                return
            elif self.on_error == "note":
                record.metadata[f"_{note}_error_{self.name}"] = f"{type(err).__name__}: {err}"
                return
            else:
                raise EvolutionError(
                    f"record {record.id!r}: field {self.name!r} value {value!r} cannot become "
                    f"{to.value}: {err}") from err
        record.set_value(self.name, new)

    def forward(self, record: Record) -> None:
        """Convert to ``to``."""
        assert isinstance(self.to, FieldType)
        self._convert(record, self.to, self.convert, "transform")

    def backward(self, record: Record) -> None:
        """Convert to ``from_`` (and forget a noted forward error)."""
        assert isinstance(self.from_, FieldType)
        record.metadata.pop(f"_transform_error_{self.name}", None)
        self._convert(record, self.from_, self.convert_back, "reverse")

    def affected_fields(self) -> set[str]:
        """The converted field."""
        return {self.name}

    def needed_fields(self) -> set[str]:
        """The converted field."""
        return {self.name}


def _types_as_keywords(init: Callable[..., None]) -> Callable[..., None]:
    """Refuse ``ChangeType("age", INTEGER, STRING)`` with an error that shows the keywords."""

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        kind = type(self).__name__
        name = args[0] if args else kwargs.get("name", kwargs.get("field_name"))
        if len(args) > 1:
            shown = ", ".join(repr(getattr(p, "value", p)) for p in args[1:])
            raise EvolutionError(
                f"{kind}({name!r}, {shown}): give the types as keywords, "
                f"e.g. {kind}({name!r}, from_='string', to='integer')")
        if "to" not in kwargs:
            raise EvolutionError(f"{kind}({name!r}): to= (the new type) is required")
        init(self, *args, **kwargs)

    return __init__


ChangeType.__init__ = _types_as_keywords(ChangeType.__init__)  # type: ignore[method-assign]


class TransformField(ChangeType):
    """Replace ``field_name``'s value with ``transform_fn(value)``; backward applies
    ``reverse_fn`` (none: backward leaves the value). By default a function that raises
    leaves the value and notes the error in the metadata (``on_error="note"``, as 0.11
    does); ``on_error="raise"`` makes it an ``EvolutionError``."""

    def __init__(self, field_name: str, transform_fn: Callable[[Any], Any],
                 reverse_fn: Callable[[Any], Any] | None = None, *,
                 on_error: OnError = "note") -> None:
        if not callable(transform_fn) or (reverse_fn is not None and not callable(reverse_fn)):
            raise EvolutionError(f"TransformField {field_name!r}: the functions must be "
                                 "callable")
        super().__init__(field_name, to=FieldType.ANY, from_=FieldType.ANY,
                         convert=transform_fn, convert_back=reverse_fn or _unchanged,
                         on_error=on_error)

    @property
    def transform_fn(self) -> Callable[[Any], Any]:
        """The forward function."""
        assert self.convert is not None
        return self.convert

    @property
    def reverse_fn(self) -> Callable[[Any], Any] | None:
        """The backward function (None when there is none)."""
        return None if self.convert_back is _unchanged else self.convert_back


def _unchanged(value: Any) -> Any:
    return value


class CompositeOperation(Operation):
    """Several operations as one: forward in order, backward in reverse order."""

    def __init__(self, operations: Iterable[Operation] = ()) -> None:
        self.operations: list[Operation] = list(operations)
        bad = [op for op in self.operations if not isinstance(op, Operation)]
        if bad:
            raise EvolutionError(f"{bad[0]!r} is not an Operation")

    def add(self, operation: Operation) -> Self:
        """Append an operation; returns self."""
        if not isinstance(operation, Operation):
            raise EvolutionError(f"{operation!r} is not an Operation")
        self.operations.append(operation)
        return self

    def forward(self, record: Record) -> None:
        """Every operation forward, in order."""
        for op in self.operations:
            op.forward(record)

    def backward(self, record: Record) -> None:
        """Every operation backward, last first."""
        for op in reversed(self.operations):
            op.backward(record)

    def affected_fields(self) -> set[str]:
        """The union of the operations' fields."""
        return set().union(*(op.affected_fields() for op in self.operations))

    def needed_fields(self) -> set[str]:
        """The fields the operations need that an earlier one does not create."""
        created: set[str] = set()
        needed: set[str] = set()
        for op in self.operations:
            needed |= op.needed_fields() - created
            created |= op.affected_fields()
        return needed

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.operations!r})"


# -- versions -------------------------------------------------------------------------------
@dataclass
class SchemaMigration:
    """Version ``version`` of a schema: the operations that lead to it from the one before."""

    version: int
    operations: Sequence[Operation]
    description: str = ""


@dataclass
class VersionSummary:
    """How many records of a store are at each schema version."""

    counts: dict[int, int] = field(default_factory=dict)

    @property
    def version(self) -> int | None:
        """The store's version when every record is at the same one (0 when empty)."""
        if not self.counts:
            return 0
        return next(iter(self.counts)) if len(self.counts) == 1 else None

    @property
    def mixed(self) -> bool:
        """Records are at different versions (an interrupted or partial apply)."""
        return len(self.counts) > 1


@dataclass
class EvolutionResult:
    """What ``apply`` did."""

    to_version: int
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    from_versions: dict[int, int] = field(default_factory=dict)
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        """Every record is now at ``to_version``."""
        return self.failed == 0


class SchemaEvolution:
    """An ordered list of schema migrations (versions 1, 2, ... need not be contiguous).

    ``version_key``: the metadata key that holds each record's version."""

    def __init__(self, migrations: Iterable[SchemaMigration], *,
                 version_key: str = "schema_version") -> None:
        self.migrations = sorted(migrations, key=lambda m: m.version)
        versions = [m.version for m in self.migrations]
        if len(set(versions)) != len(versions):
            raise EvolutionError(f"schema versions must be unique, got {versions}")
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 1 for v in versions):
            raise EvolutionError(f"schema versions must be integers >= 1, got {versions}")
        self.version_key = version_key

    @property
    def latest(self) -> int:
        """The highest version (0 without migrations)."""
        return self.migrations[-1].version if self.migrations else 0

    def _check_target(self, to: int | None) -> int:
        target = self.latest if to is None else to
        if target != 0 and target not in {m.version for m in self.migrations}:
            raise EvolutionError(
                f"unknown schema version {target} (known: 0, "
                f"{', '.join(str(m.version) for m in self.migrations)})")
        return target

    def version_of(self, record: Record) -> int:
        """The record's schema version (0 when it has none)."""
        value = record.metadata.get(self.version_key, 0)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise EvolutionError(
                f"record {record.id!r}: metadata {self.version_key!r} is {value!r}, "
                "not a version")
        try:
            return int(value)
        except ValueError:
            raise EvolutionError(
                f"record {record.id!r}: metadata {self.version_key!r} is {value!r}, "
                "not a version") from None

    def evolve(self, record: Record, to: int | None = None) -> Record:
        """The record at version ``to`` (default: latest), forward or backward; the record
        is changed in place and returned, with its version in its metadata."""
        target = self._check_target(to)
        current = self.version_of(record)
        if current < target:
            for m in self.migrations:
                if current < m.version <= target:
                    CompositeOperation(m.operations).forward(record)
        elif current > target:
            for m in reversed(self.migrations):
                if target < m.version <= current:
                    CompositeOperation(m.operations).backward(record)
        if target == 0:
            record.metadata.pop(self.version_key, None)
        else:
            record.metadata[self.version_key] = target
        return record

    def transform(self, to: int | None = None) -> Callable[[Record], Record]:
        """A migration transform that evolves each record to version ``to``."""
        target = self._check_target(to)

        def evolve_to(record: Record) -> Record:
            return self.evolve(record, target)

        evolve_to.__qualname__ = f"SchemaEvolution.transform(to={target})"
        return evolve_to

    # -- whole stores ---------------------------------------------------------------------
    def _plan(self, batch: list[Record], target: int, result: EvolutionResult,
              on_error: Literal["raise", "skip"]) -> list[tuple[str, Record]]:
        updates: list[tuple[str, Record]] = []
        for rec in batch:
            current = self.version_of(rec)
            result.from_versions[current] = result.from_versions.get(current, 0) + 1
            if current == target and (target != 0 or self.version_key not in rec.metadata):
                result.unchanged += 1
                continue
            try:
                updates.append((rec.id or "", self.evolve(rec, target)))
            except EvolutionError as err:
                if on_error == "raise":
                    raise
                result.failed += 1
                if len(result.failures) < MAX_LISTED_FAILURES:
                    result.failures.append((rec.id or "", str(err)))
        return updates

    def apply(self, db: SyncDatabase, to: int | None = None, *, batch_size: int = 1000,
              on_error: Literal["raise", "skip"] = "raise",
              progress: Callable[[EvolutionResult], None] | None = None) -> EvolutionResult:
        """Bring every record of ``db`` to version ``to`` (default: latest), streaming it in
        batches and updating the records that change. ``on_error="skip"`` reports records an
        operation refuses instead of raising; they stay at their version."""
        target = self._check_target(to)
        result = EvolutionResult(target)
        started = time.perf_counter()
        batch: list[Record] = []
        for rec in db.stream_read(None, StreamConfig(batch_size=batch_size)):
            batch.append(rec)
            if len(batch) >= batch_size:
                self._write(db, self._plan(batch, target, result, on_error), result, progress)
                batch = []
        if batch:
            self._write(db, self._plan(batch, target, result, on_error), result, progress)
        result.duration = time.perf_counter() - started
        return result

    @staticmethod
    def _write(db: SyncDatabase, updates: list[tuple[str, Record]], result: EvolutionResult,
               progress: Callable[[EvolutionResult], None] | None) -> None:
        if updates:
            db.update_batch(updates)
            result.updated += len(updates)
        if progress is not None:
            progress(result)

    def summary(self, db: SyncDatabase, *, batch_size: int = 1000) -> VersionSummary:
        """How many records of ``db`` are at each version (reads every record)."""
        out = VersionSummary()
        for rec in db.stream_read(None, StreamConfig(batch_size=batch_size)):
            v = self.version_of(rec)
            out.counts[v] = out.counts.get(v, 0) + 1
        out.counts = dict(sorted(out.counts.items()))
        return out

    async def apply_async(self, db: AsyncDatabase, to: int | None = None, *,
                          batch_size: int = 1000,
                          on_error: Literal["raise", "skip"] = "raise",
                          progress: Callable[[EvolutionResult], None] | None = None
                          ) -> EvolutionResult:
        """``apply`` on an ``AsyncDatabase``."""
        target = self._check_target(to)
        result = EvolutionResult(target)
        started = time.perf_counter()
        batch: list[Record] = []

        async def write(updates: list[tuple[str, Record]]) -> None:
            if updates:
                await db.update_batch(updates)
                result.updated += len(updates)
            if progress is not None:
                progress(result)

        async for rec in db.stream_read(None, StreamConfig(batch_size=batch_size)):
            batch.append(rec)
            if len(batch) >= batch_size:
                await write(self._plan(batch, target, result, on_error))
                batch = []
        if batch:
            await write(self._plan(batch, target, result, on_error))
        result.duration = time.perf_counter() - started
        return result

    async def summary_async(self, db: AsyncDatabase, *, batch_size: int = 1000
                            ) -> VersionSummary:
        """``summary`` on an ``AsyncDatabase``."""
        out = VersionSummary()
        async for rec in db.stream_read(None, StreamConfig(batch_size=batch_size)):
            v = self.version_of(rec)
            out.counts[v] = out.counts.get(v, 0) + 1
        out.counts = dict(sorted(out.counts.items()))
        return out


__all__ = ["AddField", "ChangeType", "CompositeOperation", "EvolutionError", "EvolutionResult",
           "Operation", "RemoveField", "RenameField", "SchemaEvolution", "SchemaMigration",
           "TransformField", "VersionSummary", "coerce"]
