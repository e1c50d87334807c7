"""Ports: the repository contract (sync and async), streaming types and capability flags."""

from .async_database import AsyncDatabase
from .capabilities import Capabilities
from .database import SyncDatabase, check_version
from .processing import StreamProcessor
from .streaming import ConflictPolicy, StreamConfig, StreamFailure, StreamResult

__all__ = [
    "AsyncDatabase",
    "Capabilities",
    "ConflictPolicy",
    "StreamConfig",
    "StreamFailure",
    "StreamProcessor",
    "StreamResult",
    "SyncDatabase",
    "check_version",
]
