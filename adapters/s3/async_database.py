"""The S3 adapter behind the async port.

boto3 clients are thread-safe and block, so ``AsyncS3Database`` runs the sync adapter's
hooks in a bounded thread pool (``max_workers`` threads, default 8) through
``SyncBackedAsyncDatabase``. Both share one key layout, codec and cache implementation, so a
configuration addresses the same objects from sync and async code.
"""

from __future__ import annotations

from ..async_bridge import SyncBackedAsyncDatabase
from .database import S3Database


class AsyncS3Database(SyncBackedAsyncDatabase):
    """Async S3 store: the options of ``S3Database`` plus ``max_workers``."""

    sync_class = S3Database


__all__ = ["AsyncS3Database"]
