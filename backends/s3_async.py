"""dataknobs-data 0.11's ``dataknobs_data.backends.s3_async``: ``AsyncS3Database`` with
0.11's positional configuration dict, over ``adapters.s3.AsyncS3Database``."""

from __future__ import annotations

from ..adapters.s3 import AsyncS3Database as _AsyncS3
from ._compat import CompatConstructor


class AsyncS3Database(CompatConstructor, _AsyncS3):
    """``adapters.s3.AsyncS3Database`` with 0.11's constructor."""


__all__ = ["AsyncS3Database"]
