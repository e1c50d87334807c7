"""dataknobs-data: one record store over memory, files, PostgreSQL, Elasticsearch and S3.

The public facade. Applications write ``Record``s and ask ``Query``s through a
``SyncDatabase`` or ``AsyncDatabase``; which adapter serves them is configuration
(``dataknobs_data.containers``)::

    from dataknobs_data import MemoryDatabase, Operator, Query, Record

    db = MemoryDatabase()
    db.create(Record({"name": "Ada", "age": 36}))
    db.search(Query().filter("age", Operator.GTE, 30))
"""

from .adapters.memory import AsyncMemoryDatabase, MemoryDatabase
from .domain import (
    MISSING,
    And,
    BackendNotAvailableError,
    BatchOperationError,
    ConcurrencyError,
    Condition,
    ConfigurationError,
    DatabaseError,
    DataError,
    DataknobsError,
    Field,
    FieldSchema,
    FieldType,
    Filter,
    IntegrityError,
    InvalidRecordIdError,
    LogicCondition,
    LogicOperator,
    Not,
    OperationalError,
    Operator,
    Or,
    Query,
    QueryError,
    Record,
    RecordExistsError,
    RecordNotFoundError,
    Schema,
    SerializationError,
    SortOrder,
    SortSpec,
    StorageError,
    UnsupportedQueryError,
    ValidationError,
)
from .ports import (
    AsyncDatabase,
    Capabilities,
    StreamConfig,
    StreamFailure,
    StreamResult,
    SyncDatabase,
)

__version__ = "0.1.0"

__all__ = [
    "MISSING",
    "And",
    "AsyncDatabase",
    "AsyncMemoryDatabase",
    "BackendNotAvailableError",
    "BatchOperationError",
    "Capabilities",
    "ConcurrencyError",
    "Condition",
    "ConfigurationError",
    "DataError",
    "DatabaseError",
    "DataknobsError",
    "Field",
    "FieldSchema",
    "FieldType",
    "Filter",
    "IntegrityError",
    "InvalidRecordIdError",
    "LogicCondition",
    "LogicOperator",
    "MemoryDatabase",
    "Not",
    "OperationalError",
    "Operator",
    "Or",
    "Query",
    "QueryError",
    "Record",
    "RecordExistsError",
    "RecordNotFoundError",
    "Schema",
    "SerializationError",
    "SortOrder",
    "SortSpec",
    "StorageError",
    "StreamConfig",
    "StreamFailure",
    "StreamResult",
    "SyncDatabase",
    "UnsupportedQueryError",
    "ValidationError",
    "__version__",
]
