"""A client-side cache of decoded records, validated by ETag.

Entries map an object key to ``(etag, record)``; a ``cachetools.TTLCache`` bounds them by
count (``maxsize``) and age (``ttl`` seconds). The cache never answers on its own: a caller
holding a fresh ETag (from a listing, a HEAD, or a conditional GET answered ``304 Not
Modified``) asks ``get(key, etag)`` and gets the record only when the ETags agree. The
store's own writes ``put`` the new ETag and record, its deletes ``invalidate``. cachetools
caches are not thread-safe, so one lock guards every access.
"""

from __future__ import annotations

import threading
from typing import Any

from ...domain.records import Record


class RecordCache:
    """Decoded records by object key, valid only for the ETag they were read at."""

    def __init__(self, maxsize: int = 10_000, ttl: float = 300.0, enabled: bool = True) -> None:
        from cachetools import TTLCache

        self.enabled = enabled and maxsize > 0 and ttl > 0
        self._entries: Any = TTLCache(maxsize=max(maxsize, 1), ttl=max(ttl, 1e-9))
        self._lock = threading.Lock()

    def get(self, key: str, etag: str | None) -> Record | None:
        """The cached record of ``key`` if it was cached at exactly ``etag`` (else None)."""
        if not self.enabled or etag is None:
            return None
        with self._lock:
            entry = self._entries.get(key)
            return entry[1] if entry is not None and entry[0] == etag else None

    def etag_of(self, key: str) -> str | None:
        """The ETag ``key`` is cached at (for a conditional GET), or None."""
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
            return entry[0] if entry is not None else None

    def put(self, key: str, etag: str | None, record: Record) -> None:
        """Remember ``record`` as the content of ``key`` at ``etag``."""
        if not self.enabled or etag is None:
            return
        with self._lock:
            self._entries[key] = (etag, record)

    def invalidate(self, key: str) -> None:
        """Forget ``key`` (after a delete, or a write whose new ETag is unknown)."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


__all__ = ["RecordCache"]
