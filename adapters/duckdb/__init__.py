"""The DuckDB adapter: records in one table of a DuckDB file, or Parquet/CSV/JSON files
opened read-only in place (``source``). See docs/backends/duckdb.md."""

from .database import AsyncDuckDBDatabase, DuckDBDatabase

__all__ = ["AsyncDuckDBDatabase", "DuckDBDatabase"]
