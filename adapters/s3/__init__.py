"""The S3 backend: records as JSON objects under a prefix, metadata as object tags.

``S3Database`` (sync) and ``AsyncS3Database`` (async) share ``keys.S3KeyLayout`` (ids to
keys), ``tags`` (metadata to tags), ``cache.RecordCache`` (ETag-validated records),
``retry.RetryPolicy`` and ``cost.estimate_cost``. boto3 is imported on first use; without
it the adapter raises ``BackendNotAvailableError`` with the install hint
``pip install 'dataknobs-data[s3]'``. See docs/backends/s3.md.
"""

from .async_database import AsyncS3Database
from .cost import PRICES, CostEstimate, S3Prices, Workload, estimate_cost
from .database import S3Database
from .keys import S3KeyLayout
from .retry import RetryPolicy

__all__ = ["PRICES", "AsyncS3Database", "CostEstimate", "RetryPolicy", "S3Database",
           "S3KeyLayout", "S3Prices", "Workload", "estimate_cost"]
