"""Retries around S3 calls: botocore's own retry mode inside, jittered backoff outside.

botocore retries each HTTP request itself (``standard`` or ``adaptive`` mode, with
``botocore_max_attempts`` attempts). Around each *operation* (a PUT with its body, a GET and
the read of its body, a page of a listing) ``RetryPolicy.call`` adds exponential backoff with
full jitter and an overall deadline for what S3 asks clients to retry: 503 ``SlowDown``,
500-class errors and dropped or timed-out connections. Anything else (404, 412, access
denied) is returned to the caller at once. When the attempts or the deadline run out the
last error is raised; the adapter translates it into ``OperationalError``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ...domain.errors import ConfigurationError

T = TypeVar("T")

#: S3 error codes that mean "try again later".
RETRYABLE_CODES = frozenset({
    "SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "Throttling",
    "ThrottlingException", "RequestLimitExceeded", "TooManyRequests", "BadGateway",
    "GatewayTimeout", "500", "502", "503", "504",
})


def _reply(err: BaseException, section: str, key: str) -> Any:
    """``err.response[section][key]`` of a botocore ``ClientError`` (or None)."""
    response = getattr(err, "response", None)
    return response.get(section, {}).get(key) if isinstance(response, dict) else None


def error_code(err: BaseException) -> str | None:
    """The S3 error code of a botocore ``ClientError`` (or None)."""
    code = _reply(err, "Error", "Code")
    return str(code) if code is not None else None


def http_status(err: BaseException) -> int | None:
    """The HTTP status of a botocore ``ClientError`` (or None)."""
    status = _reply(err, "ResponseMetadata", "HTTPStatusCode")
    return int(status) if status is not None else None


def is_retryable(err: BaseException) -> bool:
    """Whether S3 asks for this failure to be retried (throttling, 5xx, lost connection)."""
    from botocore import exceptions as bx

    if isinstance(err, bx.ClientError):
        status = http_status(err)
        return error_code(err) in RETRYABLE_CODES or (status is not None and status >= 500)
    return isinstance(err, (bx.HTTPClientError, bx.ConnectionError, bx.ResponseStreamingError,
                            bx.IncompleteReadError, ConnectionError, TimeoutError))


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry. ``max_attempts`` and ``deadline`` (seconds) bound the outer loop;
    delays grow from ``base_delay`` doubling up to ``max_delay``, each drawn uniformly from
    [0, delay] (full jitter). ``botocore_mode``/``botocore_max_attempts`` configure botocore's
    per-request retries."""

    max_attempts: int = 6
    base_delay: float = 0.05
    max_delay: float = 2.0
    deadline: float = 60.0
    botocore_mode: str = "standard"
    botocore_max_attempts: int = 3

    def __post_init__(self) -> None:
        if self.botocore_mode not in ("standard", "adaptive", "legacy"):
            raise ConfigurationError(
                f"retry_mode {self.botocore_mode!r} is not one of standard, adaptive, legacy")
        if self.max_attempts < 1 or self.botocore_max_attempts < 1:
            raise ConfigurationError("retry attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.deadline <= 0:
            raise ConfigurationError("retry delays must be >= 0 and the deadline > 0")

    def botocore_retries(self) -> dict[str, Any]:
        """The ``retries`` option of ``botocore.config.Config``."""
        return {"mode": self.botocore_mode, "max_attempts": self.botocore_max_attempts}

    def call(self, fn: Callable[[], T], *, retryable: Callable[[BaseException], bool] = is_retryable
             ) -> T:
        """Run ``fn`` until it succeeds, fails with a non-retryable error, or the attempts or
        deadline run out (then the last error propagates)."""
        stop = time.monotonic() + self.deadline
        delay = self.base_delay
        attempt = 1
        while True:
            try:
                return fn()
            except Exception as err:
                if attempt >= self.max_attempts or not retryable(err):
                    raise
                pause = random.uniform(0, delay)
                if time.monotonic() + pause > stop:
                    raise
                time.sleep(pause)
                delay = min(self.max_delay, delay * 2)
                attempt += 1


__all__ = ["RETRYABLE_CODES", "RetryPolicy", "error_code", "http_status", "is_retryable"]
