"""dataknobs-data 0.11's ``dataknobs_data.backends.s3``: the S3 adapter as
``SyncS3Database``, built from a positional configuration dict (``SyncS3Database({"bucket":
"b", "region_name": "eu-west-1"})``); 0.11's option names are mapped in
``backends._compat.RENAMED_OPTIONS``. boto3 is imported when the adapter first connects."""

from __future__ import annotations

from typing import Any, ClassVar

from ..adapters.s3 import S3Database
from ._compat import CompatConstructor


class SyncS3Database(CompatConstructor, S3Database):
    """``S3Database`` with 0.11's constructor (and its default prefix ``records/``)."""

    defaults: ClassVar[dict[str, Any]] = {"prefix": "records/"}


__all__ = ["SyncS3Database"]
