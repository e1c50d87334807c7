"""``Transformer`` and its rules under dataknobs-data 0.11's module path (``transforms``)."""

from .transforms import AddRule, ExcludeRule, MapRule, Transformer, TransformRule

__all__ = ["AddRule", "ExcludeRule", "MapRule", "TransformRule", "Transformer"]
