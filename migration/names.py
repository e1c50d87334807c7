"""``alias``: dataknobs-data 0.11's attribute names as properties over this project's."""

from __future__ import annotations

from typing import Any


def alias(attribute: str, doc: str, *, writable: bool = False) -> Any:
    """A property reading (and with ``writable`` setting) ``attribute``."""

    def get(self: Any) -> Any:
        return getattr(self, attribute)

    def set_(self: Any, value: Any) -> None:
        setattr(self, attribute, value)

    return property(get, set_ if writable else None, doc=doc)


__all__ = ["alias"]
