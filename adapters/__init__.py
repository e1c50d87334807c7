"""Adapters: one module or subpackage per storage technology.

Only the memory adapter is imported here; the others load their drivers lazily and are
reached through ``dataknobs_data.containers.registry`` or by importing their module."""

from .memory import AsyncMemoryDatabase, MemoryDatabase

__all__ = ["AsyncMemoryDatabase", "MemoryDatabase"]
