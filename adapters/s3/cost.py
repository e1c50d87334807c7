"""Estimated S3 requests and monthly cost of a workload on this adapter.

``PRICES`` is the one table of prices: S3 Standard in us-east-1 as published on
https://aws.amazon.com/s3/pricing/ (first 50 TB/month tier; checked for this release).
Prices differ by region and change over time: pass your own ``S3Prices`` for another region.

How the adapter spends requests (docs/backends/s3.md explains each):
- create / update / upsert: one PUT each (update and upsert without a version add a HEAD);
  a record above the multipart threshold costs 2 + parts requests;
- read: one GET (conditional when cached; a 304 still counts as a GET);
- delete: one HEAD (existence) plus a share of a ``DeleteObjects`` call (1,000 keys each;
  DELETE requests are free, the POST of DeleteObjects is billed as a PUT-class request);
- search / count with a filter: one LIST per 1,000 records plus a GET for every record not
  in the cache at its current ETag (``search_cache_hit_ratio`` of them are);
- count without a filter: LIST requests only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

DAYS_PER_MONTH = 30.0
GB = 1024**3


@dataclass(frozen=True)
class S3Prices:
    """US dollars: per 1,000 requests and per GB-month of storage."""

    put_copy_post_list_per_1000: float = 0.005
    get_select_per_1000: float = 0.0004
    storage_per_gb_month: float = 0.023
    tags_per_10000_month: float = 0.01
    region: str = "us-east-1"
    storage_class: str = "STANDARD"


#: The price table the estimates use by default.
PRICES = S3Prices()


@dataclass(frozen=True)
class Workload:
    """Records stored and operations per day."""

    #: records stored, and the size of one as an object body
    records: int
    record_bytes: int = 1024
    #: object tags per record (the metadata the adapter also writes as tags)
    tags_per_record: int = 1
    #: operations per day
    creates_per_day: float = 0.0
    reads_per_day: float = 0.0
    updates_per_day: float = 0.0
    deletes_per_day: float = 0.0
    searches_per_day: float = 0.0
    #: the share of searches answered from the adapter's cache without GETs
    search_cache_hit_ratio: float = 0.0
    #: boto3's multipart settings: bodies from the threshold on are sent in parts
    multipart_threshold: int = 8 * 1024 * 1024
    multipart_chunksize: int = 8 * 1024 * 1024


@dataclass
class CostEstimate:
    """Monthly requests by class and the cost of each part, in US dollars."""

    put_class_requests: float
    get_class_requests: float
    storage_gb: float
    request_cost: float
    storage_cost: float
    tag_cost: float
    prices: S3Prices = field(default=PRICES)

    @property
    def monthly_cost(self) -> float:
        """Requests + storage + tags, per month."""
        return self.request_cost + self.storage_cost + self.tag_cost

    def table(self) -> str:
        """A small human-readable summary."""
        return "\n".join([
            f"PUT/LIST-class requests/month  {self.put_class_requests:>16,.0f}",
            f"GET-class requests/month       {self.get_class_requests:>16,.0f}",
            f"storage GB                     {self.storage_gb:>16,.3f}",
            f"requests  ${self.request_cost:,.2f}  storage  ${self.storage_cost:,.2f}  "
            f"tags  ${self.tag_cost:,.2f}  total  ${self.monthly_cost:,.2f}/month "
            f"({self.prices.storage_class}, {self.prices.region})",
        ])


def estimate_cost(workload: Workload, prices: S3Prices = PRICES) -> CostEstimate:
    """The monthly requests and cost of ``workload`` on this adapter."""
    w = workload
    if w.records < 0 or not 0.0 <= w.search_cache_hit_ratio <= 1.0:
        raise ValueError("records must be >= 0 and search_cache_hit_ratio within [0, 1]")
    per_write = 1.0
    if w.record_bytes > w.multipart_threshold:
        per_write = 2.0 + math.ceil(w.record_bytes / w.multipart_chunksize)
    list_pages = max(1, math.ceil(w.records / 1000))
    put_day = (w.creates_per_day * per_write + w.updates_per_day * per_write
               + w.deletes_per_day / 1000.0 + w.searches_per_day * list_pages)
    get_day = (w.reads_per_day + w.updates_per_day + w.deletes_per_day
               + w.searches_per_day * w.records * (1.0 - w.search_cache_hit_ratio))
    put_month, get_month = put_day * DAYS_PER_MONTH, get_day * DAYS_PER_MONTH
    storage_gb = w.records * w.record_bytes / GB
    return CostEstimate(
        put_class_requests=put_month,
        get_class_requests=get_month,
        storage_gb=storage_gb,
        request_cost=put_month / 1000 * prices.put_copy_post_list_per_1000
        + get_month / 1000 * prices.get_select_per_1000,
        storage_cost=storage_gb * prices.storage_per_gb_month,
        tag_cost=w.records * w.tags_per_record / 10_000 * prices.tags_per_10000_month,
        prices=prices,
    )


__all__ = ["PRICES", "CostEstimate", "S3Prices", "Workload", "estimate_cost"]
