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
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..domain.errors import ConfigurationError
from ..domain.records import Record, lookup
from ..domain.values import MISSING

Transform = Callable[[Record], "Record | None"]


class Rename:
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


class Drop:
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


class AddDefault:
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


class MapField:
    """Replace a field's value with ``fn(value)``; records without the field are unchanged
    (``if_missing=True`` calls ``fn(None)`` for them too)."""

    def __init__(self, field: str, fn: Callable[[Any], Any], *, if_missing: bool = False
                 ) -> None:
        self.field = field
        self.fn = fn
        self.if_missing = if_missing

    def __call__(self, record: Record) -> Record:
        value = lookup(record.data, self.field)
        if value is MISSING:
            if not self.if_missing:
                return record
            value = None
        record.set_value(self.field, self.fn(value))
        return record

    def __repr__(self) -> str:
        return f"MapField({self.field!r}, {_name_of(self.fn)})"


class KeepIf:
    """Keep only the records for which ``predicate(record)`` is true; drop the others."""

    def __init__(self, predicate: Callable[[Record], bool]) -> None:
        self.predicate = predicate

    def __call__(self, record: Record) -> Record | None:
        return record if self.predicate(record) else None

    def __repr__(self) -> str:
        return f"KeepIf({_name_of(self.predicate)})"


class Pipeline:
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


def describe(transforms: Sequence[Transform]) -> list[str]:
    """Short descriptions of transforms (used to fingerprint a migration's definition)."""
    return [repr(t) if isinstance(t, Rename | Drop | AddDefault | MapField | KeepIf | Pipeline)
            else _name_of(t) for t in transforms]


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


__all__ = ["SPEC_HELP", "AddDefault", "Drop", "KeepIf", "MapField", "Pipeline", "Rename",
           "Transform", "describe", "load_callable", "parse_transform"]
