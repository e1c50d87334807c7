"""The S3 adapter: one JSON object per record under a prefix, metadata as object tags.

Each record is the object ``<prefix><escaped id>`` (``keys.S3KeyLayout``) holding typed JSON
``{"id", "data", "metadata", "write"}`` (``domain/codec``); its metadata is also written as
the object's tags in the same PUT (``tags``), within S3's tag limits. ``write`` is a random
token per write: every write changes the ETag (the record's version) even when the content
is the same, and a write retried after a lost response recognises itself.

Queries list the prefix and evaluate with the shared reference matcher, so the semantics are
exactly the memory adapter's. The listing's ETags validate the client-side cache (``cache``):
records already held at their current ETag are never fetched again. docs/backends/s3.md
describes the options, the request costs and the consistency model.
"""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlencode

from ...domain import codec
from ...domain.errors import (
    BackendNotAvailableError,
    BatchOperationError,
    ConcurrencyError,
    ConfigurationError,
    DataknobsError,
    InvalidRecordIdError,
    OperationalError,
    RecordExistsError,
    SerializationError,
    StorageError,
)
from ...domain.matcher import compile_query, page, select, window
from ...domain.query import Query
from ...domain.records import Record
from ...domain.schema import Schema
from ...domain.values import check_texts
from ...ports.capabilities import Capabilities
from ...ports.database import SyncDatabase, check_version
from ...ports.secrets import Secret
from ...ports.streaming import StreamConfig
from .cache import RecordCache
from .keys import MAX_KEY_BYTES, S3KeyLayout
from .redaction import REDACTOR, Registration
from .redaction import install as install_redaction
from .retry import RetryPolicy, error_code, http_status
from .tags import MAX_TAG_VALUE, metadata_to_tags

log = logging.getLogger(__name__)
T = TypeVar("T")

INSTALL_HINT = "the s3 backend needs boto3: pip install 'dataknobs-data[s3]'"
DELETE_CHUNK = 1000  # DeleteObjects takes at most 1,000 keys
MIB = 1024 * 1024
_CONDITION_MODES = ("auto", "native", "emulated")
#: Where the conditional-write probe writes its scratch object, under the prefix: a record
#: key never holds a "/" after the prefix nor starts with ".", so this is never a record.
PROBE_FOLDER = ".dataknobs-probe/"


class _ConditionsNotImplemented(Exception):
    """The server answered a conditional PUT with 501 Not Implemented."""


class _PreconditionFailed(Exception):
    """A conditional PUT was refused (412) and the stored object is not our write."""


def _answered(status: int, *codes: str) -> Callable[[BaseException], bool]:
    """A test of a botocore error: whether it answers ``status`` (by status or error code)."""
    return lambda err: error_code(err) in (str(status), *codes) or http_status(err) == status


_is_missing = _answered(404, "NoSuchKey", "NotFound")
_is_precondition = _answered(412, "PreconditionFailed")
_is_not_modified = _answered(304, "NotModified")


def encode_body(record_id: str, record: Record, write_token: str) -> bytes:
    """The stored form of a record (typed JSON, UTF-8); ``SerializationError`` naming the
    record and the path of a string or key that has no UTF-8 form (a lone surrogate)."""
    text = codec.dumps({"id": record_id, "data": record.data, "metadata": record.metadata,
                        "write": write_token}, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # JSON could carry a lone surrogate as a \u escape, but not exactly: a high and a
        # low surrogate written apart come back joined as one character. Refuse, and find
        # where (only on this path, so valid records pay nothing for the search).
        try:
            check_texts(record.data, "data")
            check_texts(record.metadata, "metadata")
        except SerializationError as err:
            raise SerializationError(f"record {record_id!r}: {err}") from None
        raise SerializationError(f"record {record_id!r}: the id has no UTF-8 form") from None


def decode_body(key: str, body: bytes) -> tuple[Record, str | None]:
    """The record stored in an object body and its write token; ``StorageError`` naming the
    key when the body is not one this adapter wrote."""
    try:
        doc = codec.loads(body)
        data, metadata = doc["data"], doc.get("metadata") or {}
        if not isinstance(data, dict) or not isinstance(metadata, dict):
            raise TypeError("data and metadata must be objects")
        return Record(data, metadata, id=str(doc["id"])), doc.get("write")
    except (ValueError, KeyError, TypeError) as err:
        raise StorageError(f"object {key!r} does not hold a record: {err}") from err


class S3Database(SyncDatabase):
    """Records as objects in ``bucket`` under ``prefix`` (see docs/backends/s3.md).

    ``bucket``, ``prefix``, ``region`` and ``endpoint_url`` are the seed configuration keys.
    Credentials come from boto3's default chain unless ``profile`` or the
    ``aws_access_key_id``/``aws_secret_access_key``/``aws_session_token`` options are given;
    ``session`` accepts a ready boto3-style session (for example a ``localstack_client``
    session). ``batch_workers`` threads run batch and search I/O; the connection pool has at
    least that many connections. Records above ``multipart_threshold`` bytes are uploaded in
    ``multipart_chunksize`` parts. ``cache`` (with ``cache_size`` entries kept at most
    ``cache_ttl`` seconds) switches the ETag-validated record cache. ``conditional_writes`` is
    ``auto`` (probe the server once), ``native`` (If-Match/If-None-Match) or ``emulated``
    (HEAD before the write). The ``retry_*`` options configure ``retry.RetryPolicy``."""

    backend_name = "s3"
    capabilities = Capabilities(persistent=True, conditional_writes=True,
                                metadata_value_chars=MAX_TAG_VALUE)

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str | None = "",
        region: str | None = None,
        endpoint_url: str | None = None,
        profile: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        session: Any = None,
        batch_workers: int = 16,
        max_pool_connections: int | None = None,
        multipart_threshold: int = 8 * MIB,
        multipart_chunksize: int = 8 * MIB,
        cache: bool = True,
        cache_size: int = 10_000,
        cache_ttl: float = 300.0,
        conditional_writes: str = "auto",
        retry_mode: str = "standard",
        retry_botocore_attempts: int = 3,
        retry_attempts: int = 6,
        retry_base_delay: float = 0.05,
        retry_max_delay: float = 2.0,
        retry_deadline: float = 60.0,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        addressing_style: str | None = None,
        checksums: str = "when_required",
        max_key_bytes: int = MAX_KEY_BYTES,
        schema: Schema | Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(schema=schema)
        if not bucket or not isinstance(bucket, str):
            raise ConfigurationError("s3 needs a 'bucket' (a non-empty string)")
        if conditional_writes not in _CONDITION_MODES:
            raise ConfigurationError(f"conditional_writes {conditional_writes!r} is not one of "
                                     f"{', '.join(_CONDITION_MODES)}")
        if batch_workers < 1:
            raise ConfigurationError("batch_workers must be at least 1")
        if multipart_chunksize < 5 * MIB:
            raise ConfigurationError("multipart_chunksize must be at least 5 MiB (S3's "
                                     "smallest part)")
        if multipart_threshold < 1:
            raise ConfigurationError("multipart_threshold must be positive")
        if checksums not in ("when_required", "when_supported"):
            raise ConfigurationError("checksums must be 'when_required' or 'when_supported'")
        self.bucket = bucket
        self.layout = S3KeyLayout.for_prefix(prefix, max_key_bytes)
        self.region = region or None
        self.endpoint_url = endpoint_url or None
        self.profile = profile or None
        self._access_key = Secret(aws_access_key_id)
        self._secret_key = Secret(aws_secret_access_key)
        self._session_token = Secret(aws_session_token)
        self._session = session
        self.batch_workers = batch_workers
        self.max_pool_connections = max(max_pool_connections or 0, batch_workers + 4)
        self.multipart_threshold = multipart_threshold
        self.multipart_chunksize = multipart_chunksize
        self.cache = RecordCache(cache_size, cache_ttl, enabled=cache)
        self.conditional_mode = conditional_writes
        self._native_conditions: bool | None = {"native": True, "emulated": False}.get(
            conditional_writes)
        self.retry = RetryPolicy(retry_attempts, retry_base_delay, retry_max_delay,
                                 retry_deadline, retry_mode, retry_botocore_attempts)
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.addressing_style = addressing_style or ("path" if self.endpoint_url else "auto")
        self.checksums = checksums
        self._s3: Any = None
        self._redacted: Registration | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.RLock()

    # -- connection -------------------------------------------------------------------------
    def _once(self, name: str, make: Callable[[], T]) -> T:
        """The attribute ``name``, made by ``make`` on first use (once, whatever the threads)."""
        value = getattr(self, name)
        if value is None:
            with self._lock:
                value = getattr(self, name)
                if value is None:
                    value = make()
                    setattr(self, name, value)
        return value

    @property
    def client(self) -> Any:
        """The boto3 S3 client (created on first use; thread-safe)."""
        return self._once("_s3", self._make_client)

    def _make_client(self) -> Any:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as err:
            raise BackendNotAvailableError(INSTALL_HINT) from err
        config = Config(
            region_name=self.region, retries=self.retry.botocore_retries(),
            max_pool_connections=self.max_pool_connections,
            connect_timeout=self.connect_timeout, read_timeout=self.read_timeout,
            s3={"addressing_style": self.addressing_style},
            request_checksum_calculation=self.checksums,
            response_checksum_validation=self.checksums)
        try:
            session = self._session
            if session is not None:
                client = session.client("s3", config=config)
            else:
                session = boto3.session.Session(
                    profile_name=self.profile,
                    aws_access_key_id=self._access_key.reveal(),
                    aws_secret_access_key=self._secret_key.reveal(),
                    aws_session_token=self._session_token.reveal(),
                    region_name=self.region,
                )
                client = session.client("s3", endpoint_url=self.endpoint_url, config=config)
        except Exception as err:  # botocore ProfileNotFound, bad endpoint, ...
            raise ConfigurationError(
                f"s3 client for bucket {self.bucket!r} could not be created: "
                f"{type(err).__name__}: {self._scrub(str(err))}") from None
        self._hide_credentials(session)
        return client

    def _hide_credentials(self, session: Any) -> None:
        """Mask this client's secret key and session token in botocore's logs (its
        DEBUG records print request headers), wherever the credentials came from."""
        secrets = [self._secret_key.reveal(), self._session_token.reveal()]
        try:
            found = session.get_credentials()  # resolved (and cached) by client creation
            frozen = found.get_frozen_credentials() if found is not None else None
        except Exception:  # a session without credentials API: the options still count
            frozen = None
        if frozen is not None:
            secrets += [frozen.secret_key, frozen.token]
        if self._redacted is not None:  # a client made again (after close)
            REDACTOR.unregister(self._redacted)
        self._redacted = REDACTOR.register(secrets)
        install_redaction()

    def _executor(self) -> ThreadPoolExecutor:
        return self._once("_pool", lambda: ThreadPoolExecutor(self.batch_workers,
                                                              thread_name_prefix="dk-s3"))

    def _connect(self) -> None:
        self._call("HeadBucket", self.bucket, lambda: self.client.head_bucket(Bucket=self.bucket))

    def _close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            client, self._s3 = self._s3, None
        if pool is not None:
            pool.shutdown(wait=True)
        if client is not None and hasattr(client, "close"):
            client.close()
        if self._redacted is not None:
            REDACTOR.unregister(self._redacted)
            self._redacted = None

    # -- error translation --------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        for secret in (self._secret_key, self._session_token, self._access_key):
            value = secret.reveal()
            if value:
                text = text.replace(value, "***")
        return text

    def _call(self, operation: str, key: str, fn: Callable[[], T]) -> T:
        """Run one S3 operation with retries; translate what is left into domain errors
        (404 and 412 stay botocore errors for the caller to interpret)."""
        try:
            return self.retry.call(fn)
        except DataknobsError:
            raise
        except Exception as err:
            from botocore.exceptions import ClientError

            if (isinstance(err, ClientError) and error_code(err) != "NoSuchBucket"
                    and (_is_missing(err) or _is_precondition(err) or _is_not_modified(err))):
                raise
            code = error_code(err) or type(err).__name__
            if code == "KeyTooLongError":
                # AWS allows 1,024 bytes; some servers less (SeaweedFS: 255 per segment)
                raise InvalidRecordIdError(
                    self.layout.id_of(key) or key,
                    f"its key of {len(key.encode())} bytes is too long for this server "
                    f"({self._scrub(str(err))}); use shorter ids") from None
            raise OperationalError(
                f"s3 {operation} of {key!r} in bucket {self.bucket!r} failed after retries: "
                f"{code}: {self._scrub(str(err))}") from None

    # -- objects --------------------------------------------------------------------------------
    def _head(self, key: str) -> str | None:
        """The object's ETag, or None when absent."""
        from botocore.exceptions import ClientError

        try:
            out = self._call("HeadObject", key,
                             lambda: self.client.head_object(Bucket=self.bucket, Key=key))
        except ClientError as err:
            if _is_missing(err):
                return None
            raise self._unexpected("HeadObject", key, err) from None
        return str(out["ETag"])

    def _unexpected(self, operation: str, key: str, err: BaseException) -> OperationalError:
        return OperationalError(f"s3 {operation} of {key!r} in bucket {self.bucket!r}: "
                                f"{error_code(err)}: {self._scrub(str(err))}")

    def _get(self, key: str, if_none_match: str | None = None
             ) -> tuple[str, Record, str | None] | None:
        """(etag, record, write token) of the object, None when absent; raises
        ``_NotModified`` when ``if_none_match`` still holds."""
        from botocore.exceptions import ClientError

        def fetch() -> tuple[str, bytes]:
            extra = {"IfNoneMatch": if_none_match} if if_none_match else {}
            out = self.client.get_object(Bucket=self.bucket, Key=key, **extra)
            with out["Body"] as body:
                return str(out["ETag"]), body.read()

        try:
            etag, raw = self._call("GetObject", key, fetch)
        except ClientError as err:
            if _is_missing(err):
                return None
            if _is_not_modified(err):
                raise _NotModified from None
            raise self._unexpected("GetObject", key, err) from None
        record, token = decode_body(key, raw)
        return etag, record, token

    def _load(self, key: str) -> tuple[str, Record] | None:
        """The current (etag, record) of ``key`` through the cache (conditional GET)."""
        cached_etag = self.cache.etag_of(key)
        try:
            got = self._get(key, if_none_match=cached_etag)
        except _NotModified:
            cached = self.cache.get(key, cached_etag)
            if cached is not None and cached_etag is not None:
                return cached_etag, cached
            got = self._get(key)
        return self._cached(key, got)

    def _cached(self, key: str, got: tuple[str, Record, Any] | None
                ) -> tuple[str, Record] | None:
        """A GET's (etag, record), now in the cache; None (and out of it) when gone."""
        if got is None:
            self.cache.invalidate(key)
            return None
        etag, record, _ = got
        self.cache.put(key, etag, record)
        return etag, record

    def _conditions_native(self) -> bool:
        """Whether the server honours If-None-Match/If-Match on PUT (probed once)."""
        return self._once("_native_conditions", self._probe_conditions)

    def _probe_conditions(self) -> bool:
        """Whether the server honours If-None-Match and If-Match on PUT, found with PUTs to
        a fresh scratch object that is then deleted (every version of it).

        The scratch key ``<prefix>.dataknobs-probe/<uuid>`` is outside the record
        namespace (a record key is one segment that never starts with ``.``), so listings,
        counts and ``clear`` never see it. The probe is idempotent under retries: its key is
        unique, so a 412 to the first PUT (If-None-Match) can only answer a retry whose
        first attempt landed and lost its reply, which is itself proof that the condition
        is honoured; the other PUTs expect 412 whether or not they are retried."""
        key = f"{self.layout.prefix}{PROBE_FOLDER}{uuid.uuid4().hex}"
        try:
            self._probe_put(key, b"1", IfNoneMatch="*")  # creates it (or did, unheard)
            return (self._probe_put(key, b"2", IfNoneMatch="*")
                    and self._probe_put(key, b"2", IfMatch='"0"'))
        except _ConditionsNotImplemented:
            return False
        finally:
            self._delete_probe(key)

    def _probe_put(self, key: str, body: bytes, **condition: str) -> bool:
        """Whether the server refused one conditional probe PUT with 412."""
        from botocore.exceptions import ClientError

        try:
            self._call("PutObject", key, functools.partial(
                self.client.put_object, Bucket=self.bucket, Key=key, Body=body, **condition))
        except ClientError as err:
            if _is_precondition(err):
                return True
            if error_code(err) in ("NotImplemented", "501"):
                raise _ConditionsNotImplemented from None
            raise self._unexpected("PutObject", key, err) from None
        return False

    def _delete_probe(self, key: str) -> None:
        """Delete the scratch object with retries (DELETE is idempotent); when the bucket
        keeps versions (the reply names a delete marker) delete every version and marker of
        the key too. A failure is logged as a warning naming the key; nothing reads it."""
        s3 = self.client
        try:
            out = self._call("DeleteObject", key,
                             lambda: s3.delete_object(Bucket=self.bucket, Key=key))
            if out.get("DeleteMarker") or out.get("VersionId") not in (None, "", "null"):
                listed = self._call("ListObjectVersions", key, lambda: s3.list_object_versions(
                    Bucket=self.bucket, Prefix=key))
                for item in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]:
                    if item.get("Key") == key:
                        self._call("DeleteObject", key, functools.partial(
                            s3.delete_object, Bucket=self.bucket, Key=key,
                            VersionId=item["VersionId"]))
        except Exception as err:  # the probe's answer stands; only the scratch object stays
            log.warning("s3: could not delete the conditional-write probe object %r in "
                        "bucket %r (%s); it is not a record, delete it at will", key,
                        self.bucket, type(err).__name__)

    def _put(self, key: str, record_id: str, record: Record, *, if_none_match: bool = False,
             if_match: str | None = None) -> str:
        """Write the record; return its new ETag. ``_PreconditionFailed`` when a condition
        (native only) refuses it."""
        from botocore.exceptions import ClientError

        token = uuid.uuid4().hex
        body = encode_body(record_id, record, token)  # first: it refuses text tags cannot hold
        tags = metadata_to_tags(record.metadata, record_id)
        extra: dict[str, Any] = {"ContentType": "application/json"}
        if tags:
            extra["Tagging"] = urlencode(tags)
        cond: dict[str, Any] = {"IfNoneMatch": "*"} if if_none_match else {}
        if if_match is not None:
            cond["IfMatch"] = if_match
        try:
            if len(body) > self.multipart_threshold:
                etag = self._multipart(key, body, extra, cond)
            else:
                out = self._call("PutObject", key, lambda: self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=body, **extra, **cond))
                etag = str(out["ETag"])
        except ClientError as err:
            if not (_is_precondition(err) or (cond and _is_missing(err))):
                raise self._unexpected("PutObject", key, err) from None
            # A retried PUT whose first attempt landed is refused by its own condition:
            # the stored write token tells.
            got = self._get(key) if _is_precondition(err) else None
            if got is not None and got[2] == token:
                etag = got[0]
            else:
                self.cache.invalidate(key)
                raise _PreconditionFailed from None
        self.cache.put(key, etag, record.copy())
        return etag

    def _multipart(self, key: str, body: bytes, extra: dict[str, Any], cond: dict[str, Any]
                   ) -> str:
        s3 = self.client
        upload = self._call("CreateMultipartUpload", key, lambda: s3.create_multipart_upload(
            Bucket=self.bucket, Key=key, **extra))
        upload_id = upload["UploadId"]
        try:
            parts = []
            size = self.multipart_chunksize
            for number, start in enumerate(range(0, len(body), size), 1):
                piece = body[start:start + size]
                out = self._call("UploadPart", key, functools.partial(
                    s3.upload_part, Bucket=self.bucket, Key=key, UploadId=upload_id,
                    PartNumber=number, Body=piece))
                parts.append({"ETag": out["ETag"], "PartNumber": number})
            done = self._call("CompleteMultipartUpload", key,
                              lambda: s3.complete_multipart_upload(
                                  Bucket=self.bucket, Key=key, UploadId=upload_id,
                                  MultipartUpload={"Parts": parts}, **cond))
            return str(done["ETag"])
        except BaseException:
            try:
                s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except Exception:
                log.debug("s3: abort of multipart upload failed for %s", key)
            raise

    def _delete_keys(self, keys: Sequence[str]) -> dict[str, BaseException]:
        """Delete keys with DeleteObjects, 1,000 per call; the keys that failed."""
        failed: dict[str, BaseException] = {}
        for start in range(0, len(keys), DELETE_CHUNK):
            chunk = list(keys[start:start + DELETE_CHUNK])
            try:
                out = self._call("DeleteObjects", chunk[0], functools.partial(
                    self.client.delete_objects, Bucket=self.bucket, Delete={
                        "Objects": [{"Key": k} for k in chunk], "Quiet": True}))
            except OperationalError as err:
                failed.update(dict.fromkeys(chunk, err))
                continue
            for item in out.get("Errors", []):
                failed[item["Key"]] = StorageError(
                    f"s3 could not delete {item['Key']!r}: {item.get('Code')}: "
                    f"{item.get('Message')}")
            for key in chunk:
                self.cache.invalidate(key)
        return failed

    # -- listing --------------------------------------------------------------------------------
    def _list_pages(self) -> Iterator[list[tuple[str, str, str]]]:
        """Pages of (record id, key, etag) under the prefix, as S3 lists them."""
        token: str | None = None
        prefix = self.layout.prefix
        while True:
            after = {"ContinuationToken": token} if token else {}
            out = self._call("ListObjectsV2", prefix, functools.partial(
                self.client.list_objects_v2, Bucket=self.bucket, Prefix=prefix, Delimiter="/",
                MaxKeys=1000, **after))
            ids = ((self.layout.id_of(obj["Key"]), obj) for obj in out.get("Contents", []))
            yield [(rid, obj["Key"], str(obj.get("ETag"))) for rid, obj in ids if rid is not None]
            if not out.get("IsTruncated"):
                return
            token = out.get("NextContinuationToken")
            if not token:
                raise StorageError(f"s3 listing of {prefix!r} was truncated without a "
                                   "continuation token")

    def _listing(self) -> list[tuple[str, str, str]]:
        """Every (record id, key, etag) under the prefix, in id order."""
        entries = [e for chunk in self._list_pages() for e in chunk]
        entries.sort(key=lambda e: e[0])
        return entries

    def _fetch_many(self, entries: Sequence[tuple[str, str, str]]
                    ) -> list[tuple[str, Record]]:
        """The records of listed entries (cache first, parallel GETs for the rest), in
        order; those deleted since the listing are left out. A GET that still fails after
        retries fails the whole call: a search never returns a silently shorter result."""
        results = [self.cache.get(key, etag) for _, key, etag in entries]
        missing = [i for i, cached in enumerate(results) if cached is None]
        if missing:
            def fetch(i: int) -> Record | None:
                fresh = self._cached(entries[i][1], self._get(entries[i][1]))
                return None if fresh is None else fresh[1]

            fetched = (map(fetch, missing) if len(missing) == 1
                       else self._executor().map(fetch, missing))
            try:
                for i, rec in zip(missing, fetched, strict=True):
                    results[i] = rec
            except OperationalError as err:
                raise StorageError(f"s3 search could not read every record: {err}") from err
        return [(entries[i][0], rec) for i, rec in enumerate(results) if rec is not None]

    # -- hooks: single records ------------------------------------------------------------------
    def _create(self, record_id: str, record: Record) -> None:
        key = self.layout.key_of(record_id)
        native = self._conditions_native()
        if not native and self._head(key) is not None:
            raise RecordExistsError(record_id)
        try:
            self._put(key, record_id, record, if_none_match=native)
        except _PreconditionFailed:
            raise RecordExistsError(record_id) from None

    def _read(self, record_id: str) -> Record | None:
        got = self._load(self.layout.key_of(record_id))
        return got[1].copy() if got is not None else None

    def _get_version(self, record_id: str) -> str | None:
        return self._head(self.layout.key_of(record_id))

    def _write_if(self, record_id: str, record: Record, expected_version: str) -> None:
        """Write only if the stored ETag is ``expected_version`` (else ConcurrencyError)."""
        key = self.layout.key_of(record_id)
        native = self._conditions_native()
        if not native:
            check_version(record_id, expected_version, self._head(key))
        try:
            self._put(key, record_id, record, if_match=expected_version if native else None)
        except _PreconditionFailed:
            raise ConcurrencyError(record_id, expected_version, self._head(key)) from None

    def _update(self, record_id: str, record: Record, expected_version: str | None) -> bool:
        if expected_version is not None:
            self._write_if(record_id, record, expected_version)
            return True
        key = self.layout.key_of(record_id)
        native = self._conditions_native()
        for _ in range(8):
            current = self._head(key)
            if current is None:
                return False
            try:
                # If-Match keeps a concurrent delete from being undone by this update
                self._put(key, record_id, record, if_match=current if native else None)
                return True
            except _PreconditionFailed:
                continue
        raise ConcurrencyError(record_id, None, self._head(key))

    def _delete(self, record_id: str, expected_version: str | None) -> bool:
        key = self.layout.key_of(record_id)
        current = self._head(key)
        if expected_version is not None:
            check_version(record_id, expected_version, current)
        if current is not None:
            self._call("DeleteObject", key,
                       lambda: self.client.delete_object(Bucket=self.bucket, Key=key))
        self.cache.invalidate(key)
        return current is not None

    def _upsert(self, record_id: str, record: Record, expected_version: str | None) -> None:
        if expected_version is not None:
            self._write_if(record_id, record, expected_version)
            return
        self._put(self.layout.key_of(record_id), record_id, record)

    # -- hooks: batches ---------------------------------------------------------------------------
    def _parallel(self, fn: Callable[[Any], T], items: Sequence[Any]
                  ) -> tuple[dict[int, T], dict[int, BaseException]]:
        """Run ``fn`` over items in the worker pool; results and failures by index."""
        def guarded(i: int) -> tuple[bool, Any]:
            try:
                return True, fn(items[i])
            except DataknobsError as err:
                return False, err

        done: dict[int, T] = {}
        failed: dict[int, BaseException] = {}
        pairs = (self._executor().map(guarded, range(len(items))) if len(items) > 1
                 else map(guarded, range(len(items))))
        for i, (ok, value) in enumerate(pairs):
            (done if ok else failed)[i] = value
        return done, failed

    def _each(self, operation: str, fn: Callable[[Any], T], items: Sequence[Any]) -> list[T]:
        """``fn`` of every item, in order; ``BatchOperationError`` when any fails."""
        done, failed = self._parallel(fn, items)
        if failed:
            raise BatchOperationError(operation, done, failed)
        return [done[i] for i in range(len(items))]

    def _create_batch(self, records: list[Record]) -> dict[int, BaseException]:
        self._conditions_native()  # probe once, before the workers start
        _, failed = self._parallel(lambda r: self._create(r.id, r), records)
        return failed

    def _read_batch(self, record_ids: list[str]) -> list[Record | None]:
        return self._each("read_batch", self._read, record_ids)

    def _update_batch(self, updates: list[tuple[str, Record]]) -> list[bool]:
        return self._each("update_batch", lambda u: self._update(u[0], u[1], None), updates)

    def _upsert_batch(self, records: list[Record]) -> None:
        done, failed = self._parallel(lambda r: self._upsert(r.id, r, None), records)
        if failed:
            raise BatchOperationError("upsert_batch", {i: records[i].id for i in done}, failed)

    def _delete_batch(self, record_ids: list[str]) -> list[bool]:
        keys = [self.layout.key_of(rid) for rid in record_ids]
        heads, failed = self._parallel(self._head, keys)
        stored = sorted({keys[i] for i, etag in heads.items() if etag is not None})
        key_failures = self._delete_keys(stored)
        failed.update({i: key_failures[key] for i, key in enumerate(keys) if key in key_failures})
        result = [heads.get(i) is not None for i in range(len(keys))]
        if failed:
            raise BatchOperationError("delete_batch", {
                i: ok for i, ok in enumerate(result) if i not in failed}, failed)
        return result

    # -- hooks: queries ---------------------------------------------------------------------------
    @staticmethod
    def _out(record: Record, query: Query) -> Record:
        return record.project(query.fields) if query.fields else record.copy()

    def _search(self, query: Query) -> list[Record]:
        if not query.filters and not query.sort_specs:
            # id order and no condition: page the listing, fetch only the window
            rows = self._fetch_many(page(self._listing(), query))
        else:
            rows = select(self._fetch_many(self._listing()), query)
        return [self._out(rec, query) for _, rec in rows]

    def _count(self, query: Query) -> int:
        if not query.filters:
            return sum(len(chunk) for chunk in self._list_pages())
        matches = compile_query(query)
        return sum(1 for rid, rec in self._fetch_many(self._listing()) if matches(rec.data, rid))

    def _clear(self) -> int:
        keys = [key for _, key, _ in self._listing()]
        failed = self._delete_keys(keys)
        self.cache.clear()
        if failed:
            first = next(iter(failed.items()))
            raise StorageError(f"s3 clear could not delete {len(failed)} of {len(keys)} "
                               f"objects; first {first[0]!r}: {first[1]}")
        return len(keys)

    def _stream_read(self, query: Query, config: StreamConfig) -> Iterator[Record]:
        # Only the listing (ids, keys, ETags) is held; records are fetched a batch at a
        # time. With sort keys a first pass keeps just the sort fields of the matches.
        entries = self._listing()
        size = max(1, config.batch_size)
        pred = compile_query(query)

        def fetched(chosen: list[Any]) -> Iterator[tuple[str, Record]]:
            for start in range(0, len(chosen), size):
                yield from self._fetch_many(chosen[start:start + size])

        if not query.sort_specs:  # id order: the listing's, so matches stream in order
            matching = (rec for rid, rec in fetched(entries) if pred(rec.data, rid))
            for rec in window(matching, query):
                yield self._out(rec, query)
            return
        sort_fields = [spec.field for spec in query.sort_specs]
        keyed = [(rid, rec.project(sort_fields)) for rid, rec in fetched(entries)
                 if pred(rec.data, rid)]
        where = {e[0]: e for e in entries}
        chosen = [where[rid] for rid, _ in select(keyed, query, matched=True)]
        del keyed
        for _, rec in fetched(chosen):
            yield self._out(rec, query)

    def __repr__(self) -> str:
        endpoint = f", endpoint_url={self.endpoint_url!r}" if self.endpoint_url else ""
        profile = f", profile={self.profile!r}" if self.profile else ""
        return (f"S3Database(bucket={self.bucket!r}, prefix={self.layout.prefix!r}, "
                f"region={self.region!r}{endpoint}{profile})")


class _NotModified(Exception):
    """A conditional GET found the object unchanged (304)."""


__all__ = ["INSTALL_HINT", "S3Database", "decode_body", "encode_body"]
