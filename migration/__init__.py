"""Migration utilities: copy records between any two databases, evolve schemas.

``Migrator`` / ``AsyncMigrator`` stream a source into a target in batches through optional
transforms, with checkpoints for resuming, verification by checksums and a dry run
(docs/migration.md). ``SchemaEvolution`` applies versioned field operations forward and
backward and records the applied version on every record it touches.
"""

from .checkpoint import Checkpoint, CheckpointStore, FileCheckpointStore, MemoryCheckpointStore
from .checksum import record_checksum
from .evolution import (
    AddField,
    ChangeType,
    EvolutionError,
    EvolutionResult,
    Operation,
    RemoveField,
    RenameField,
    SchemaEvolution,
    SchemaMigration,
    VersionSummary,
    coerce,
)
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
    Drop,
    KeepIf,
    MapField,
    Pipeline,
    Rename,
    Transform,
    parse_transform,
)

__all__ = [
    "AddDefault", "AddField", "AsyncMigrator", "ChangeType", "Checkpoint",
    "CheckpointConflictError", "CheckpointStore",
    "Drop", "EvolutionError", "EvolutionResult", "FileCheckpointStore", "KeepIf", "MapField",
    "MemoryCheckpointStore", "MigrationError", "MigrationProgress", "MigrationResult",
    "Migrator", "Operation", "Pipeline", "RecordMismatch", "RemoveField", "Rename",
    "RenameField", "SchemaEvolution", "SchemaMigration", "Transform", "VerificationReport",
    "VersionSummary", "coerce", "parse_transform", "record_checksum",
]
