"""Record transforms applied while migrating: rename, drop, add with default, map, any callable.

A transform is any callable ``(Record) -> Record | None``. It may change the record in place
and return it, return a new record, or return ``None`` to drop the record from the migration
(it is counted as dropped, never as lost). The classes here are small, picklable and
describable; ``parse_transform`` reads the command line's ``--transform`` specs.
"""

from __future__ import annotations

import copy
import importlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from ..domain.errors import ConfigurationError
from ..domain.records import FieldType, Record, lookup
from ..domain.values import MISSING

Transform = Callable[[Record], "Record | None"]
OnError = Literal["raise", "note"]


class TransformRule(ABC):
    """A transform written as dataknobs-data 0.11 writes one: ``apply(record)`` returns the
    transformed record (or ``None`` to drop it) and leaves the given one as it was."""

    @abstractmethod
    def apply(self, record: Record) -> Record | None:
        """The transformed record, or None to drop it."""

    def __call__(self, record: Record) -> Record | None:
        return self.apply(record)


class InPlaceTransform(TransformRule):
    """The transforms of this module: called, they change the record in place; ``apply``
    works on a copy."""

    @abstractmethod
    def __call__(self, record: Record) -> Record | None:
        """Transform ``record`` in place and return it (or None to drop it)."""

    def apply(self, record: Record) -> Record | None:
        """The transform of a copy of ``record``."""
        return self(record.copy())


def _note(record: Record, key: str, err: Exception) -> None:
    """Keep a transform's failure on the record (``on_error="note"``), never drop it."""
    record.metadata[key] = f"{type(err).__name__}: {err}"


class Rename(InPlaceTransform):
    """Rename fields: ``Rename({"old": "new"})`` or ``Rename("old", "new")``.

    Dotted paths work on both sides. A record without the old field is left unchanged; a
    record that already has the new field raises ``ConfigurationError`` unless
    ``overwrite=True`` (a rename never silently discards a value)."""

    def __init__(self, mapping: Mapping[str, str] | str, new: str | None = None, *,
                 overwrite: bool = False) -> None:
        if isinstance(mapping, str):
            if new is None:
                raise ConfigurationError("Rename(old, new) needs the new name")
            mapping = {mapping: new}
        self.mapping = dict(mapping)
        self.overwrite = overwrite

    def __call__(self, record: Record) -> Record:
        for old, new in self.mapping.items():
            value = lookup(record.data, old)
            if value is MISSING:
                continue
            if not self.overwrite and record.has_field(new):
                raise ConfigurationError(
                    f"rename {old!r} -> {new!r}: record {record.id!r} already has {new!r}")
            _remove(record, old)
            record.set_value(new, value)
        return record

    def __repr__(self) -> str:
        return f"Rename({self.mapping!r})"


class Drop(InPlaceTransform):
    """Remove fields (dotted paths allowed); absent fields are ignored."""

    def __init__(self, *fields: str) -> None:
        if len(fields) == 1 and not isinstance(fields[0], str):
            fields = tuple(fields[0])  # Drop(["a", "b"])
        self.fields = tuple(fields)

    def __call__(self, record: Record) -> Record:
        for name in self.fields:
            _remove(record, name)
        return record

    def __repr__(self) -> str:
        return f"Drop{self.fields!r}"


class AddDefault(InPlaceTransform):
    """Add a field with a default value where it is missing (``replace_null=True``: also where
    it is null). The default is copied per record, so a list default is never shared."""

    def __init__(self, field: str, default: Any, *, replace_null: bool = False) -> None:
        self.field = field
        self.default = default
        self.replace_null = replace_null

    def __call__(self, record: Record) -> Record:
        value = lookup(record.data, self.field)
        if value is MISSING or (self.replace_null and value is None):
            record.set_value(self.field, copy.deepcopy(self.default))
        return record

    def __repr__(self) -> str:
        return f"AddDefault({self.field!r}, {self.default!r})"


class _FieldFunction(InPlaceTransform):
    """A transform running user code for one field, under an ``on_error`` policy: ``"raise"``
    (the record fails) or ``"note"`` (the error is kept in the record's metadata)."""

    def __init__(self, field: str, on_error: OnError) -> None:
        if on_error not in ("raise", "note"):
            raise ConfigurationError(f"{type(self).__name__} {field!r}: on_error must be "
                                     f"raise or note, got {on_error!r}")
        self.field = field
        self.on_error = on_error

    def _run(self, record: Record, note_key: str, fn: Callable[[Any], Any], arg: Any
             ) -> tuple[bool, Any]:
        """(True, ``fn(arg)``), or (False, None) when it raised and the policy notes it."""
        try:
            return True, fn(arg)
        except Exception as err:  # user code: fails the record, or is noted on it
            if self.on_error == "raise":
                raise
            _note(record, f"_{note_key}_error_{self.field}", err)
            return False, None


class MapField(_FieldFunction):
    """Replace a field's value with ``fn(value)``; records without the field are unchanged
    (``if_missing=True`` calls ``fn(None)`` for them too). ``on_error="note"``: when ``fn``
    raises, the value stays and the error is kept in the record's metadata under
    ``_transform_error_<field>`` (default ``"raise"``: the record fails)."""

    def __init__(self, field: str, fn: Callable[[Any], Any], *, if_missing: bool = False,
                 on_error: OnError = "raise") -> None:
        if not callable(fn):
            raise ConfigurationError(f"MapField {field!r}: {fn!r} is not callable")
        super().__init__(field, on_error)
        self.fn = fn
        self.if_missing = if_missing

    def __call__(self, record: Record) -> Record:
        value = lookup(record.data, self.field)
        if value is MISSING:
            if not self.if_missing:
                return record
            value = None
        ok, new = self._run(record, "transform", self.fn, value)
        if ok:
            record.set_value(self.field, new)
        return record

    def __repr__(self) -> str:
        return f"MapField({self.field!r}, {_name_of(self.fn)})"


class SetField(_FieldFunction):
    """Set a field on every record (replacing its value): ``value`` itself, or
    ``value(record)`` when it is callable (``on_error="note"``: a computation that raises
    sets null and keeps the error in the metadata under ``_compute_error_<field>``)."""

    def __init__(self, field: str, value: Any, field_type: FieldType | None = None, *,
                 on_error: OnError = "raise") -> None:
        super().__init__(field, on_error)
        self.value = value
        self.field_type = field_type

    def __call__(self, record: Record) -> Record:
        if callable(self.value):
            value = self._run(record, "compute", self.value, record)[1]
        else:
            value = copy.deepcopy(self.value)
        record.set_field(self.field, value, self.field_type)
        return record

    def __repr__(self) -> str:
        shown = _name_of(self.value) if callable(self.value) else repr(self.value)
        return f"SetField({self.field!r}, {shown})"


class MapRule(InPlaceTransform):
    """Move ``source`` to ``target`` (replacing it), through ``transform`` when given; a
    ``transform`` that raises leaves the value and notes the error (as 0.11 does)."""

    def __init__(self, source: str, target: str | None = None,
                 transform: Callable[[Any], Any] | None = None) -> None:
        self.source = source
        self.target = target or source
        self.transform = transform
        steps: list[Transform] = []
        if transform is not None:
            steps.append(MapField(source, transform, on_error="note"))
        if self.target != source:
            steps.append(Rename(source, self.target, overwrite=True))
        self._steps = Pipeline(steps)

    def __call__(self, record: Record) -> Record | None:
        return self._steps(record)

    def __repr__(self) -> str:
        fn = f", {_name_of(self.transform)}" if self.transform is not None else ""
        return f"MapRule({self.source!r}, {self.target!r}{fn})"


class AddRule(SetField):
    """0.11's ``AddRule(field_name, value, field_type)``: ``SetField`` noting failures."""

    def __init__(self, field_name: str, value: Any, field_type: FieldType | None = None
                 ) -> None:
        super().__init__(field_name, value, field_type, on_error="note")


class KeepIf(InPlaceTransform):
    """Keep only the records for which ``predicate(record)`` is true; drop the others."""

    def __init__(self, predicate: Callable[[Record], bool]) -> None:
        self.predicate = predicate

    def __call__(self, record: Record) -> Record | None:
        return record if self.predicate(record) else None

    def __repr__(self) -> str:
        return f"KeepIf({_name_of(self.predicate)})"


class Pipeline(InPlaceTransform):
    """Several transforms in order; stops at the first that drops the record."""

    def __init__(self, transforms: Iterable[Transform] = ()) -> None:
        self.transforms: list[Transform] = list(transforms)

    def __call__(self, record: Record) -> Record | None:
        current: Record | None = record
        for transform in self.transforms:
            assert current is not None
            current = transform(current)
            if current is None:
                return None
            if not isinstance(current, Record):
                raise ConfigurationError(
                    f"transform {_name_of(transform)} returned {type(current).__name__}; "
                    "a transform returns a Record or None")
        return current

    def __bool__(self) -> bool:
        return bool(self.transforms)

    def __len__(self) -> int:
        return len(self.transforms)

    def __repr__(self) -> str:
        return f"Pipeline({self.transforms!r})"


class Transformer(Pipeline):
    """dataknobs-data 0.11's fluent transform builder, as a ``Pipeline`` (so it is a
    transform a ``Migrator`` takes as it is). ``transform`` works on a copy."""

    def __init__(self, rules: Iterable[Transform] = ()) -> None:
        super().__init__(rules)

    @property
    def rules(self) -> list[Transform]:
        """The transforms, in order."""
        return self.transforms

    def map(self, source: str, target: str | None = None,
            transform: Callable[[Any], Any] | None = None) -> Transformer:
        """Move ``source`` to ``target`` (default: itself) through ``transform``."""
        self.transforms.append(MapRule(source, target, transform))
        return self

    def rename(self, old_name: str, new_name: str) -> Transformer:
        """Rename a field (replacing ``new_name``)."""
        return self.map(old_name, new_name)

    def exclude(self, *fields: str) -> Transformer:
        """Drop fields."""
        self.transforms.append(Drop(*fields))
        return self

    def add(self, field_name: str, value: Any, field_type: FieldType | None = None
            ) -> Transformer:
        """Set a field to ``value`` (or ``value(record)`` when callable)."""
        self.transforms.append(AddRule(field_name, value, field_type))
        return self

    def add_rule(self, rule: Transform) -> Transformer:
        """Append any transform (a ``TransformRule`` or a callable)."""
        if not callable(rule):
            raise ConfigurationError(f"{rule!r} is not a transform (a callable)")
        self.transforms.append(rule)
        return self

    def transform(self, record: Record) -> Record | None:
        """The transformed copy of ``record`` (None when a rule drops it)."""
        return self(record.copy())

    def transform_many(self, records: Iterable[Record]) -> list[Record]:
        """The transformed copies, without the dropped records."""
        return [out for rec in records if (out := self.transform(rec)) is not None]

    def clear(self) -> Transformer:
        """Remove every rule."""
        self.transforms.clear()
        return self

    def __repr__(self) -> str:
        return f"Transformer({self.transforms!r})"


def describe(transforms: Sequence[Transform]) -> list[str]:
    """Short descriptions of transforms (used to fingerprint a migration's definition)."""
    return [repr(t) if isinstance(t, InPlaceTransform) else _name_of(t) for t in transforms]


def _remove(record: Record, path: str) -> None:
    if "." not in path:
        record.remove_field(path)
        return
    *parents, leaf = path.split(".")
    current: Any = record.data
    for segment in parents:
        current = current.get(segment) if isinstance(current, dict) else None
        if current is None:
            return
    if isinstance(current, dict):
        current.pop(leaf, None)


def _name_of(fn: Any) -> str:
    module = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or type(fn).__name__
    return f"{module}.{name}" if module else name


# -- command-line specs ---------------------------------------------------------------------
SPEC_HELP = (
    "rename:OLD=NEW[,OLD=NEW]  drop:FIELD[,FIELD]  default:FIELD=JSON  "
    "map:FIELD=module:function  call:module:function (returns a Record or None)"
)


def load_callable(path: str) -> Callable[..., Any]:
    """Import ``package.module:function`` (or ``package.module.function``)."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ConfigurationError(f"{path!r} is not module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigurationError(f"cannot import {module_name!r} for {path!r}: {err}") from err
    target: Any = module
    for part in attr.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise ConfigurationError(f"{module_name!r} has no {attr!r}")
    if not callable(target):
        raise ConfigurationError(f"{path!r} is not callable")
    return target


def _pairs(body: str, spec: str) -> list[tuple[str, str]]:
    out = []
    for part in body.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigurationError(f"transform {spec!r}: expected NAME=VALUE, got {part!r}")
        out.append((key.strip(), value.strip()))
    return out


def parse_transform(spec: str) -> Transform:
    """A transform from a command-line spec (see ``SPEC_HELP``)."""
    kind, sep, body = spec.partition(":")
    kind = kind.strip().lower()
    if not sep or not body:
        raise ConfigurationError(f"transform {spec!r}: expected KIND:ARGS ({SPEC_HELP})")
    if kind == "rename":
        return Rename(dict(_pairs(body, spec)))
    if kind == "drop":
        return Drop(*[f.strip() for f in body.split(",") if f.strip()])
    if kind == "default":
        name, _, raw = body.partition("=")
        if not name or not _:
            raise ConfigurationError(f"transform {spec!r}: expected default:FIELD=JSON")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw  # a bare word is a string
        return AddDefault(name.strip(), value)
    if kind == "map":
        name, _, fn = body.partition("=")
        if not name or not fn:
            raise ConfigurationError(f"transform {spec!r}: expected map:FIELD=module:function")
        return MapField(name.strip(), load_callable(fn.strip()))
    if kind == "call":
        return load_callable(body.strip())
    raise ConfigurationError(
        f"transform {spec!r}: unknown kind {kind!r} (rename, drop, default, map, call)")


ExcludeRule = Drop  # 0.11's name: ExcludeRule(["a", "b"]) drops the fields

__all__ = ["SPEC_HELP", "AddDefault", "AddRule", "Drop", "ExcludeRule", "InPlaceTransform",
           "KeepIf", "MapField", "MapRule", "Pipeline", "Rename", "SetField", "Transform",
           "TransformRule", "Transformer", "describe", "load_callable", "parse_transform"]
