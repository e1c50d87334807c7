"""The SQLite adapter: records in one table of an SQLite file, through the standard
library's sqlite3 (``vectors="sqlite-vec"``: native vector search with sqlite-vec). See
docs/backends/sqlite.md.

``SQLiteDatabase(path="people.db")`` / ``AsyncSQLiteDatabase(path="people.db")``.
"""

from .database import AsyncSQLiteDatabase, SQLiteDatabase

__all__ = ["AsyncSQLiteDatabase", "SQLiteDatabase"]
