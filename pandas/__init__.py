"""dataknobs-data 0.11's ``dataknobs_data.pandas``: ``DataFrameConverter``,
``ConversionOptions``, ``BatchOperations``, ``BatchConfig``, ``ChunkedProcessor`` and
``TypeMapper`` as thin adapters over this project's ``dataknobs_data.dataframes``.

The repository root is the package, so a Python started in a checkout (``python -m pytest``
there puts the root on ``sys.path``) would find this folder under the bare name ``pandas``.
When that happens this module loads the real pandas in its place, so ``import pandas``
keeps meaning pandas everywhere.
"""

from __future__ import annotations

if __name__ == "pandas":  # imported as top-level pandas through the checkout's root
    import importlib.machinery
    import importlib.util
    import os
    import sys

    def _load_real_pandas() -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        path = [p for p in sys.path if os.path.abspath(p or os.curdir) != root]
        spec = importlib.machinery.PathFinder.find_spec("pandas", path)
        if spec is None or spec.loader is None:
            raise ImportError("pandas is not installed: pip install dataknobs-data[pandas]")
        module = importlib.util.module_from_spec(spec)
        sys.modules["pandas"] = module  # the import statement returns this module
        spec.loader.exec_module(module)

    _load_real_pandas()
else:
    from .batch_ops import BatchConfig, BatchOperations, ChunkedProcessor
    from .converter import (
        ConversionOptions,
        DataFrameConverter,
        MetadataStrategy,
    )
    from .type_mapper import PandasTypeMapping, TypeMapper

    __all__ = ["BatchConfig", "BatchOperations", "ChunkedProcessor", "ConversionOptions",
               "DataFrameConverter", "MetadataStrategy", "PandasTypeMapping", "TypeMapper"]
