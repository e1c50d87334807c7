"""Keep S3 credentials out of botocore's DEBUG logs.

With logging at DEBUG, botocore logs every request it sends: ``botocore.endpoint`` the
request with its headers, ``botocore.auth`` the canonical request it signs, both holding
``X-Amz-Security-Token``, the session token. ``SecretRedactingFilter`` rewrites such records
before any handler sees them: the value of every ``x-amz-security-token`` header or query
parameter, and every literal secret an adapter registered (its secret key and session token),
become ``***`` (values of at least ``MIN_SECRET_LENGTH`` characters).

A filter on a logger only sees the records created by that very logger (not those of its
children), so ``install`` attaches the one shared filter to each botocore, boto3, s3transfer
and urllib3 logger that exists when a client is made (a client's modules are imported by
then) plus those known to log requests. Records are only rewritten when a logger is enabled
for them, so the filter costs nothing at the usual levels.
"""

from __future__ import annotations

import collections
import logging
import re
import threading
from collections.abc import Iterable

MASK = "***"
#: Literal secrets shorter than this are not masked by value: a word like ``test`` (a local
#: server's secret key) would mask itself out of every bucket name and header in the log. Real
#: AWS secret keys have 40 characters and session tokens hundreds; the session token's header
#: and query parameter are masked whatever their length.
MIN_SECRET_LENGTH = 8
LOGGER_ROOTS = ("botocore", "boto3", "s3transfer", "urllib3")
#: Loggers that log requests, headers or signing input (created if not yet imported).
REQUEST_LOGGERS = ("botocore.endpoint", "botocore.auth", "botocore.parsers", "botocore.hooks",
                   "botocore.httpsession", "botocore.awsrequest", "botocore.retryhandler",
                   "botocore.retries.standard", "botocore.credentials", "botocore.utils",
                   "urllib3.connectionpool")
_TOKEN_VALUE = re.compile(
    r"""(x-amz-security-token["']?\s*[:=]\s*b?["']?)[^"'\s&,}\]]+""", re.IGNORECASE)


class Registration:
    """What ``register`` returns and ``unregister`` takes: the values, never shown."""

    __slots__ = ("_values",)

    def __init__(self, values: list[str]) -> None:
        self._values = values

    def __repr__(self) -> str:
        return f"<Registration of {len(self._values)} masked values>"


class SecretRedactingFilter(logging.Filter):
    """Masks session tokens and registered secrets in the records of the loggers it is on."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def register(self, secrets: Iterable[str | None]) -> Registration:
        """Mask these values from now on; returns what to pass to ``unregister`` (its repr
        shows no value)."""
        added = [s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH]
        with self._lock:
            self._secrets.update(added)
        return Registration(added)

    def unregister(self, registration: Registration) -> None:
        """Forget values registered once (a value registered twice stays masked)."""
        secrets, registration._values = registration._values, []
        with self._lock:
            self._secrets.subtract(secrets)
            for value in [v for v, n in self._secrets.items() if n <= 0]:
                del self._secrets[value]

    def redact(self, text: str) -> str:
        """``text`` with session tokens and registered secrets masked."""
        text = _TOKEN_VALUE.sub(lambda m: m.group(1) + MASK, text)
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error handling
            return True
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


#: The one filter every adapter shares.
REDACTOR = SecretRedactingFilter()


def install(redactor: SecretRedactingFilter = REDACTOR) -> None:
    """Attach ``redactor`` to every botocore, boto3, s3transfer and urllib3 logger that
    exists now and to ``REQUEST_LOGGERS`` (idempotent)."""
    names = {name for name in logging.Logger.manager.loggerDict
             if name.split(".", 1)[0] in LOGGER_ROOTS}
    for name in sorted(names | set(REQUEST_LOGGERS)):
        logger = logging.getLogger(name)
        if redactor not in logger.filters:
            logger.addFilter(redactor)


__all__ = ["MASK", "MIN_SECRET_LENGTH", "REDACTOR", "REQUEST_LOGGERS", "Registration",
           "SecretRedactingFilter", "install"]
