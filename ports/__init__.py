"""Ports: the repository contract (sync and async), streaming types and capability flags."""

from .async_database import AsyncDatabase
from .capabilities import Capabilities
from .database import SyncDatabase, check_version
from .streaming import StreamConfig, StreamFailure, StreamResult

__all__ = [
    "AsyncDatabase",
    "Capabilities",
    "StreamConfig",
    "StreamFailure",
    "StreamResult",
    "SyncDatabase",
    "check_version",
]
