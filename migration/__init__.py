"""Migration utilities: copy records between any two databases, evolve schemas.

``Migrator`` / ``AsyncMigrator`` stream a source into a target in batches through optional
transforms, with checkpoints for resuming, verification by checksums and a dry run
(docs/migration.md). ``SchemaEvolution`` applies versioned field operations forward and
backward and records the applied version on every record it touches.

dataknobs-data 0.11's API is here too, over the same classes: ``Migration`` (operations
between two named versions), ``Transformer`` (a fluent ``Pipeline``), the operations'
``apply`` / ``reverse``, ``TransformField``, ``CompositeOperation``, and
``Migrator().migrate(source, target, transform=...)`` returning a ``MigrationProgress``.
"""

from ..ports.streaming import ConflictPolicy
from .checkpoint import Checkpoint, CheckpointStore, FileCheckpointStore, MemoryCheckpointStore
from .checksum import record_checksum
from .evolution import (
    AddField,
    ChangeType,
    CompositeOperation,
    EvolutionError,
    EvolutionResult,
    Operation,
    RemoveField,
    RenameField,
    SchemaEvolution,
    SchemaMigration,
    TransformField,
    VersionSummary,
    coerce,
)
from .factory import (
    MigrationFactory,
    MigratorFactory,
    TransformerFactory,
    migration_factory,
    migrator_factory,
    transformer_factory,
)
from .migration import Migration
from .migrator import (
    AsyncMigrator,
    CheckpointConflictError,
    MigrationError,
    MigrationProgress,
    MigrationResult,
    Migrator,
    RecordMismatch,
    VerificationReport,
)
from .transforms import (
    AddDefault,
    AddRule,
    Drop,
    ExcludeRule,
    KeepIf,
    MapField,
    MapRule,
    Pipeline,
    Rename,
    SetField,
    Transform,
    Transformer,
    TransformRule,
    parse_transform,
)

__all__ = [
    "AddDefault",
    "AddField",
    "AddRule",
    "AsyncMigrator",
    "ChangeType",
    "Checkpoint",
    "CheckpointConflictError",
    "CheckpointStore",
    "CompositeOperation",
    "ConflictPolicy",
    "Drop",
    "EvolutionError",
    "EvolutionResult",
    "ExcludeRule",
    "FileCheckpointStore",
    "KeepIf",
    "MapField",
    "MapRule",
    "MemoryCheckpointStore",
    "Migration",
    "MigrationError",
    "MigrationFactory",
    "MigrationProgress",
    "MigrationResult",
    "Migrator",
    "MigratorFactory",
    "Operation",
    "Pipeline",
    "RecordMismatch",
    "RemoveField",
    "Rename",
    "RenameField",
    "SchemaEvolution",
    "SchemaMigration",
    "SetField",
    "Transform",
    "TransformField",
    "TransformRule",
    "Transformer",
    "TransformerFactory",
    "VerificationReport",
    "VersionSummary",
    "coerce",
    "migration_factory",
    "migrator_factory",
    "parse_transform",
    "record_checksum",
    "transformer_factory",
]
