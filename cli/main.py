"""Entry point of the ``dataknobs-data`` script.

typer and rich come with the ``cli`` extra; without them the script says how to install them
(one line, no traceback)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line and exit with its status."""
    try:
        import rich  # noqa: F401
        import typer  # noqa: F401
    except ImportError as err:
        print(f"dataknobs-data: error: the command line needs {err.name or 'typer and rich'}, "
              "which is not installed: pip install 'dataknobs-data[cli]'", file=sys.stderr)
        sys.exit(1)
    from .app import run

    sys.exit(run(argv))


if __name__ == "__main__":
    main()
