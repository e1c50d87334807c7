"""dataknobs-data 0.11's names for this project's attributes and constructor keywords."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from ..domain.errors import ConfigurationError

T = TypeVar("T", bound=type)


def alias(attribute: str, doc: str, *, writable: bool = False) -> Any:
    """A property reading (and with ``writable`` setting) ``attribute``."""

    def get(self: Any) -> Any:
        return getattr(self, attribute)

    def set_(self: Any, value: Any) -> None:
        setattr(self, attribute, value)

    return property(get, set_ if writable else None, doc=doc)


def old_names(**names: str) -> Callable[[T], T]:
    """A class decorator: each ``old=new`` makes 0.11's keyword ``old`` a constructor keyword
    meaning ``new`` (giving both is refused, naming them) and a read-only attribute."""

    def decorate(cls: T) -> T:
        init = cls.__init__  # type: ignore[misc]

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            for old, new in names.items():
                if old in kwargs:
                    if new in kwargs:
                        raise ConfigurationError(
                            f"{cls.__name__}: give {new!r} or 0.11's {old!r}, not both")
                    kwargs[new] = kwargs.pop(old)
            init(self, *args, **kwargs)

        cls.__init__ = __init__  # type: ignore[misc]
        for old, new in names.items():
            setattr(cls, old, alias(new, f"0.11's name for ``{new}``."))
        return cls

    return decorate


__all__ = ["alias", "old_names"]
