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


def _named_params(factory: Callable[..., Any]) -> tuple[list[inspect.Parameter], bool]:
    params = inspect.signature(factory).parameters.values()
    named = [p for p in params
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"]
    return named, any(p.kind is p.VAR_KEYWORD for p in params)


def accepted_options(factory: Callable[..., Any]) -> tuple[set[str], bool]:
    """The keyword names ``factory`` accepts, and whether it takes ``**kwargs``."""
    named, open_ended = _named_params(factory)
    return {p.name for p in named}, open_ended


def option_defaults(adapter: type) -> dict[str, str]:
    """Each option of an adapter class: ``"required"`` or ``"default: <repr>"``. An async
    adapter over a sync one (``sync_class``) takes the sync adapter's options besides its
    own."""
    named, _ = _named_params(adapter)
    wrapped = getattr(adapter, "sync_class", None)
    if wrapped is not None:
        named = _named_params(wrapped)[0] + named
    return {p.name: "required" if p.default is p.empty else f"default: {p.default!r}"
            for p in named}


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
