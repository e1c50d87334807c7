"""``MigrationProgress`` under dataknobs-data 0.11's module path (defined in ``migrator``)."""

from .migrator import MigrationProgress

__all__ = ["MigrationProgress"]
