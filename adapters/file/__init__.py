"""The file adapter: records in a JSON, JSON Lines, CSV or Parquet file (optionally gzip),
typed, atomic and safe for several processes. See docs/backends/file.md.

``FileDatabase(path="people.jsonl")`` / ``AsyncFileDatabase(path="people.parquet")``.
"""

from .database import AsyncFileDatabase, FileDatabase
from .formats import FORMATS, FileLayout, resolve_layout

__all__ = ["FORMATS", "AsyncFileDatabase", "FileDatabase", "FileLayout", "resolve_layout"]
