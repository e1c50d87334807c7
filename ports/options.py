"""Reading an adapter's options from configuration, with errors that name the bad key."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..domain.errors import ConfigurationError

#: keys that configuration carries for the container and registry, not for the adapter: the
#: one list that ``from_config``, the registry and the container all read
ROUTING_KEYS = frozenset({"name", "backend", "class", "type", "async"})


def suggest(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the nearest choice, or ``""``."""
    near = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


def accepted_options(factory: Callable[..., Any]) -> tuple[set[str], bool]:
    """The keyword names ``factory`` accepts, and whether it takes ``**kwargs``."""
    params = inspect.signature(factory).parameters.values()
    names = {
        p.name for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"
    }
    return names, any(p.kind is p.VAR_KEYWORD for p in params)


def check_options(
    backend: str, factory: Callable[..., Any], options: Mapping[str, Any]
) -> dict[str, Any]:
    """Options for ``factory`` with routing keys removed; unknown keys raise with a hint.

    The message names the key, the backend, the valid options and the nearest spelling:
    ``'pth' is not an option of file; did you mean 'path'? (valid: ...)``."""
    names, open_ended = accepted_options(factory)
    clean = {k: v for k, v in options.items() if k not in ROUTING_KEYS}
    if not open_ended:
        for key in clean:
            if key not in names:
                raise ConfigurationError(
                    f"{key!r} is not an option of {backend}{suggest(key, names)} "
                    f"(valid: {', '.join(sorted(names))})"
                )
    return clean
