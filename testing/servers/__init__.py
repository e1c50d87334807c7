"""Real servers for tests, started from packages on 127.0.0.1 and free ports.

Each backend has a module here (``postgres``, ``s3``, ``elasticsearch``) that starts or
reaches its server. ``require_server`` encodes the project's rule: in CI (``CI`` set to a
true value) a server that cannot be reached is a failure; elsewhere the test is skipped with
the reason, so a developer without that server still runs everything else.
``require_module`` applies the same rule to an optional driver.
"""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """True when running under CI (``CI=true``/``1``/``yes``)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_server(name: str, reason: str) -> NoReturn:
    """Fail (in CI) or skip (elsewhere) because server ``name`` is unavailable."""
    message = f"{name} is not available: {reason}"
    if in_ci():
        pytest.fail(f"{message} (in CI a missing server is a failure)", pytrace=False)
    pytest.skip(message)


def require_module(name: str, reason: str | None = None) -> ModuleType:
    """The module ``name``; when it does not import, a failure in CI (the dev extra installs
    every driver, so a missing one is a broken install) and a skip elsewhere, as
    ``require_server`` does for servers."""
    if in_ci():
        try:
            return importlib.import_module(name)
        except ImportError as err:
            pytest.fail(f"{name} does not import: {err} (in CI a missing driver is a failure)",
                        pytrace=False)
    return pytest.importorskip(name, reason=reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes], grace: float) -> None:
    """Terminate a server process; kill it if it has not exited after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
