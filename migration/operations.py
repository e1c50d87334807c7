"""The operations under dataknobs-data 0.11's module path (defined in ``evolution``)."""

from .evolution import (
    AddField,
    ChangeType,
    CompositeOperation,
    Operation,
    RemoveField,
    RenameField,
    TransformField,
)

__all__ = ["AddField", "ChangeType", "CompositeOperation", "Operation", "RemoveField",
           "RenameField", "TransformField"]
