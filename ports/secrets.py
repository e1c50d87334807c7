"""One credential wrapper for every adapter: the value reaches the driver, never a repr."""

from __future__ import annotations

from typing import Any


class Secret:
    """A credential kept out of reprs, logs and error messages (``'***'``)."""

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value or None

    def reveal(self) -> Any:
        """The secret itself (only for the driver)."""
        return self._value

    def __bool__(self) -> bool:
        return self._value is not None

    def __repr__(self) -> str:
        return "'***'" if self._value else "None"

    __str__ = __repr__
