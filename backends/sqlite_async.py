"""dataknobs-data 0.11's ``dataknobs_data.backends.sqlite_async`` (see ``.sqlite``)."""

from .sqlite import AsyncSQLiteDatabase as AsyncSQLiteDatabase
