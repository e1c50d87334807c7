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

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:  # imported on first use (lazy_names): the command line starts without them
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

__getattr__, __dir__ = lazy_names(__name__, {
    "AddDefault": ".transforms",
    "AddField": ".evolution",
    "AddRule": ".transforms",
    "AsyncMigrator": ".migrator",
    "ChangeType": ".evolution",
    "Checkpoint": ".checkpoint",
    "CheckpointConflictError": ".migrator",
    "CheckpointStore": ".checkpoint",
    "CompositeOperation": ".evolution",
    "ConflictPolicy": "..ports.streaming",
    "Drop": ".transforms",
    "EvolutionError": ".evolution",
    "EvolutionResult": ".evolution",
    "ExcludeRule": ".transforms",
    "FileCheckpointStore": ".checkpoint",
    "KeepIf": ".transforms",
    "MapField": ".transforms",
    "MapRule": ".transforms",
    "MemoryCheckpointStore": ".checkpoint",
    "Migration": ".migration",
    "MigrationError": ".migrator",
    "MigrationFactory": ".factory",
    "MigrationProgress": ".migrator",
    "MigrationResult": ".migrator",
    "Migrator": ".migrator",
    "MigratorFactory": ".factory",
    "Operation": ".evolution",
    "Pipeline": ".transforms",
    "RecordMismatch": ".migrator",
    "RemoveField": ".evolution",
    "Rename": ".transforms",
    "RenameField": ".evolution",
    "SchemaEvolution": ".evolution",
    "SchemaMigration": ".evolution",
    "SetField": ".transforms",
    "Transform": ".transforms",
    "TransformField": ".evolution",
    "TransformRule": ".transforms",
    "Transformer": ".transforms",
    "TransformerFactory": ".factory",
    "VerificationReport": ".migrator",
    "VersionSummary": ".evolution",
    "coerce": ".evolution",
    "migration_factory": ".factory",
    "migrator_factory": ".factory",
    "parse_transform": ".transforms",
    "record_checksum": ".checksum",
    "transformer_factory": ".factory",
})

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
