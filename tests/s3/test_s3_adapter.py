"""S3-specific behaviour: keys, tags, cache, batches, multipart, retries, auth, secrets, cost.

Runs against moto's server and SeaweedFS (``s3_server``); the fault-injecting proxy sits in
front of the real server for the retry tests.
"""

from __future__ import annotations

import collections
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from dataknobs_data import Operator, Query, Record
from dataknobs_data.adapters.s3 import (
    AsyncS3Database,
    S3Database,
    S3KeyLayout,
    Workload,
    estimate_cost,
)
from dataknobs_data.adapters.s3.keys import escape_id, normalize_prefix
from dataknobs_data.adapters.s3.tags import (
    decode_key,
    decode_value,
    encode_key,
    encode_value,
    metadata_to_tags,
    tags_to_metadata,
)
from dataknobs_data.domain.errors import (
    BackendNotAvailableError,
    ConfigurationError,
    OperationalError,
    StorageError,
    ValidationError,
)
from dataknobs_data.testing.servers.s3 import FaultInjectingProxy, S3TestServer

TRICKY_IDS = ["../x", "a/b", "with space", "ünïcødé-名前", ".", "..", ".hidden", "~tilde",
              "%41", "a%2Fb", "tab\there", "q?x=1&y#z", "x" * 200]


class RequestCounter:
    """Counts S3 API calls by operation through botocore's event hooks."""

    def __init__(self, db: S3Database) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        db.client.meta.events.register("before-call.s3.*", self._seen)

    def _seen(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def reset(self) -> None:
        self.calls.clear()


@pytest.fixture
def db(s3_options: dict[str, Any]) -> Iterator[S3Database]:
    database = S3Database(**s3_options)
    yield database
    database.close()


# --- keys ------------------------------------------------------------------------------------
def test_tricky_ids_round_trip_and_stay_under_the_prefix(db: S3Database,
                                                         s3_server: S3TestServer) -> None:
    db.create_batch([Record({"i": i}, id=rid) for i, rid in enumerate(TRICKY_IDS)])
    assert sorted(r.id or "" for r in db.all()) == sorted(TRICKY_IDS)
    for i, rid in enumerate(TRICKY_IDS):
        got = db.read(rid)
        assert got is not None and got["i"] == i and got.id == rid
    # Check every object sits directly under the prefix, one segment, no dot segments
    listed = s3_server.client().list_objects_v2(Bucket=db.bucket, Prefix="")["Contents"]
    keys = [o["Key"] for o in listed if o["Key"].startswith(db.layout.prefix)]
    assert len(keys) == len(TRICKY_IDS)
    for key in keys:
        segment = key[len(db.layout.prefix):]
        assert "/" not in segment and not segment.startswith(".")
        assert db.layout.id_of(key) in TRICKY_IDS


def test_key_layout_is_reversible_and_injective() -> None:
    layout = S3KeyLayout.for_prefix("records")
    assert layout.prefix == "records/"
    keys = {layout.key_of(rid) for rid in TRICKY_IDS}
    assert len(keys) == len(TRICKY_IDS)
    for rid in TRICKY_IDS:
        assert layout.id_of(layout.key_of(rid)) == rid
    assert escape_id("../x") == "%2E.%2Fx"
    assert layout.id_of("records/sub/x") is None and layout.id_of("other/x") is None
    assert layout.id_of("records/%2e") is None  # not our escape: not a record


def test_too_long_id_is_rejected_clearly(db: S3Database) -> None:
    with pytest.raises(ValidationError, match="at most 1024 bytes"):
        db.create(Record({"v": 1}, id="é" * 200))
    # SeaweedFS's filer limits a key segment to 255 bytes; moto takes AWS's 1,024
    long_id = "x" * 600
    try:
        db.create(Record({"v": 1}, id=long_id))
        assert db.read(long_id) is not None
    except ValidationError as err:
        assert "too long for this server" in str(err)
        assert db.count() == 0


@pytest.mark.parametrize("prefix", ["/abs", "a//b", "a/../b", "./x"])
def test_bad_prefix_is_a_configuration_error(prefix: str) -> None:
    with pytest.raises(ConfigurationError, match="prefix"):
        normalize_prefix(prefix)


def test_prefixes_do_not_see_each_other(s3_options: dict[str, Any]) -> None:
    outer = S3Database(**s3_options)
    inner = S3Database(**{**s3_options, "prefix": s3_options["prefix"] + "inner/"})
    outer.create(Record({"v": 1}, id="a"))
    inner.create(Record({"v": 2}, id="a"))
    assert outer.count() == 1 and inner.count() == 1
    assert outer.clear() == 1 and inner.count() == 1


# --- tags --------------------------------------------------------------------------------------
def test_metadata_is_stored_as_object_tags(db: S3Database, s3_server: S3TestServer) -> None:
    metadata = {"source": "hr", "n": 3, "nested": {"a": [1, None]}, "ünï": "wert ä",
                "=eq": "=x", "aws:reserved": "v"}
    db.create(Record({"v": 1}, metadata=metadata, id="k"))
    tag_set = s3_server.client().get_object_tagging(
        Bucket=db.bucket, Key=db.layout.key_of("k"))["TagSet"]
    assert {"Key": "source", "Value": "hr"} in tag_set
    assert tags_to_metadata(tag_set) == metadata
    got = db.read("k")
    assert got is not None and got.metadata == metadata
    # Check the tags follow every write: replaced by an update, gone with the metadata
    db.update("k", Record({"v": 2}, metadata={"only": "this"}))
    tags = s3_server.client().get_object_tagging(Bucket=db.bucket, Key=db.layout.key_of("k"))
    assert tags["TagSet"] == [{"Key": "only", "Value": "this"}]
    db.upsert("k", Record({"v": 3}))
    tags = s3_server.client().get_object_tagging(Bucket=db.bucket, Key=db.layout.key_of("k"))
    assert tags["TagSet"] == []


def test_tag_encoding_is_reversible_and_within_the_allowed_set() -> None:
    import re

    allowed = re.compile(r"[A-Za-z0-9 _.:/=+\-@]*")
    for value in ["plain", "1", 1, 1.5, True, None, "", "=x", "ä", [1, "a"], {"$x": 1}]:
        encoded = encode_value(value)
        assert allowed.fullmatch(encoded), encoded
        back = decode_value(encoded)
        assert back == value and type(back) is type(value)
    for key in ["k", "aws:x", "=k", "ключ", "a,b", ""]:
        assert allowed.fullmatch(encode_key(key)) and decode_key(encode_key(key)) == key


def test_metadata_beyond_tag_limits_is_rejected_not_dropped(db: S3Database) -> None:
    with pytest.raises(ValidationError, match="at most 10 tags"):
        db.create(Record({"v": 1}, metadata={f"k{i}": i for i in range(11)}, id="many"))
    with pytest.raises(ValidationError, match="allows 256"):
        db.create(Record({"v": 1}, metadata={"long": "x" * 300}, id="long"))
    with pytest.raises(ValidationError, match="allows 128"):
        metadata_to_tags({"k" * 129: 1})
    assert db.count() == 0
    # within the limits: exactly ten tags, a 256-character value
    meta = {f"k{i}": i for i in range(9)} | {"long": "x" * 256}
    db.create(Record({"v": 1}, metadata=meta, id="ok"))
    got = db.read("ok")
    assert got is not None and got.metadata == meta


# --- construction, configuration, secrets --------------------------------------------------
def test_constructor_does_no_io() -> None:
    db = S3Database(bucket="b", endpoint_url="http://127.0.0.1:9", prefix="p")
    assert db._s3 is None and db._pool is None
    with pytest.raises(OperationalError, match="HeadBucket"):
        S3Database(bucket="b", endpoint_url="http://127.0.0.1:9", retry_attempts=1,
                   retry_botocore_attempts=1, connect_timeout=0.5).connect()


def test_seed_yaml_keys_and_empty_endpoint() -> None:
    db = S3Database.from_config({"name": "s3_storage", "backend": "s3", "bucket": "my-bucket",
                                 "prefix": "records/", "region": "us-west-2",
                                 "endpoint_url": ""})
    assert (db.bucket, db.layout.prefix, db.region, db.endpoint_url) == (
        "my-bucket", "records/", "us-west-2", None)
    with pytest.raises(ConfigurationError, match="'bucke' is not an option of s3"):
        S3Database.from_config({"bucke": "x"})
    adb = AsyncS3Database.from_config({"bucket": "b", "max_workers": 3, "batch_workers": 5})
    assert adb.sync.batch_workers == 5 and adb._max_workers == 3


def test_missing_boto3_raises_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    db = S3Database(bucket="b")
    with pytest.raises(BackendNotAvailableError, match=r"pip install 'dataknobs-data\[s3\]'"):
        db.read("x")


def test_secrets_never_in_repr_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    secret, token = "SECRETKEYabc123/+xyz", "SESSIONTOKENqwerty"
    db = S3Database(bucket="b", endpoint_url="http://127.0.0.1:9",
                    aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key=secret,
                    aws_session_token=token, retry_attempts=1, retry_botocore_attempts=1,
                    connect_timeout=0.3)
    adb = AsyncS3Database(bucket="b", aws_secret_access_key=secret)
    caplog.set_level(logging.DEBUG, logger="dataknobs_data")
    with pytest.raises(OperationalError) as info:
        db.read("x")
    for text in (repr(db), str(db), repr(adb), str(info.value), repr(info.value),
                 caplog.text, repr(vars(db))):
        assert secret not in text and token not in text


def test_credentials_from_environment_and_profile(
        s3_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    base = {k: v for k, v in s3_options.items() if not k.startswith("aws_")}
    # Check the default chain picks access keys and a session token from the environment
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    db = S3Database(**base)
    db.create(Record({"v": 1}, id="env"))
    assert db.client._request_signer._credentials.token == "token"
    # Check a named profile from a credentials file
    creds = tmp_path / "credentials"
    creds.write_text("[dk]\naws_access_key_id = prof\naws_secret_access_key = prof\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    by_profile = S3Database(profile="dk", **base)
    assert by_profile.read("env") is not None
    assert by_profile.client._request_signer._credentials.access_key == "prof"
    with pytest.raises(ConfigurationError, match="could not be created"):
        S3Database(profile="nope", **base).read("x")


def test_localstack_client_session_is_accepted(s3_options: dict[str, Any],
                                               s3_server: S3TestServer) -> None:
    db = S3Database(bucket=s3_options["bucket"], prefix=s3_options["prefix"],
                    session=s3_server.session())
    db.create(Record({"v": 1}, id="a"))
    assert db.read("a") is not None


# --- cache -------------------------------------------------------------------------------------
def test_warm_search_lists_only_and_sees_other_writers(s3_options: dict[str, Any]) -> None:
    db = S3Database(**s3_options)
    db.create_batch([Record({"v": i}, id=f"r{i:02d}") for i in range(30)])
    db.cache.clear()
    counter = RequestCounter(db)
    q = Query().filter("v", Operator.GTE, 10).sort("v", "desc")
    cold = db.search(q)
    assert counter.calls["GetObject"] == 30 and counter.calls["ListObjectsV2"] == 1
    counter.reset()
    assert [r.id for r in db.search(q)] == [r.id for r in cold]
    assert dict(counter.calls) == {"ListObjectsV2": 1}
    # Check the store's own writes keep the cache valid: no GET afterwards
    db.update("r29", Record({"v": 100}))
    db.delete("r28")
    counter.reset()
    ids = [r.id for r in db.search(q)]
    assert ids[0] == "r29" and "r28" not in ids and counter.calls["GetObject"] == 0
    # Check another writer's change is seen: its ETag differs, so exactly that object is read
    other = S3Database(**s3_options)
    other.update("r10", Record({"v": 1000}))
    counter.reset()
    got = db.search(q)
    assert got[0].id == "r10" and got[0]["v"] == 1000
    assert counter.calls["GetObject"] == 1
    # Check a single read revalidates: a conditional GET, new content after another write
    other.update("r11", Record({"v": 5}))
    rec = db.read("r11")
    assert rec is not None and rec["v"] == 5


def test_cache_switch_bypasses_it(s3_options: dict[str, Any]) -> None:
    db = S3Database(cache=False, **s3_options)
    db.create_batch([Record({"v": i}, id=f"r{i}") for i in range(5)])
    counter = RequestCounter(db)
    db.search(Query().filter("v", Operator.GTE, 0))
    db.search(Query().filter("v", Operator.GTE, 0))
    assert counter.calls["GetObject"] == 10 and len(db.cache) == 0


def test_cached_records_are_not_shared_with_callers(db: S3Database) -> None:
    db.create(Record({"v": {"n": 1}}, id="a"))
    got = db.read("a")
    assert got is not None
    got["v"]["n"] = 99
    again = db.search(Query())[0]
    assert again["v"] == {"n": 1}


def test_stream_read_pages_the_listing(s3_options: dict[str, Any]) -> None:
    db = S3Database(cache=False, **s3_options)
    db.create_batch([Record({"v": i % 7}, id=f"r{i:02d}") for i in range(40)])
    counter = RequestCounter(db)
    stream = db.stream_read(Query().filter("v", Operator.LT, 5), _config(4))
    first = next(stream)
    assert first.id == "r00" and counter.calls["GetObject"] <= 4
    rest = list(stream)
    assert [r.id for r in [first, *rest]] == [r.id for r in db.search(
        Query().filter("v", Operator.LT, 5))]
    sorted_q = Query().filter("v", Operator.LT, 5).sort("v", "desc").offset(3).limit(9)
    assert [r.id for r in db.stream_read(sorted_q, _config(5))] == [
        r.id for r in db.search(sorted_q)]


def _config(batch_size: int) -> Any:
    from dataknobs_data.ports.streaming import StreamConfig

    return StreamConfig(batch_size=batch_size)


# --- batches, multipart, conditional writes ----------------------------------------------------
def test_batches_use_pool_and_delete_objects_chunks(s3_options: dict[str, Any]) -> None:
    db = S3Database(batch_workers=24, **s3_options)
    assert db.client.meta.config.max_pool_connections >= 24
    ids = db.create_batch([Record({"v": i}, id=f"r{i:04d}") for i in range(1005)])
    counter = RequestCounter(db)
    assert db.delete_batch([*ids, "absent"]) == [True] * 1005 + [False]
    assert counter.calls["DeleteObjects"] == 2 and counter.calls["DeleteObject"] == 0
    assert db.count() == 0


def test_multipart_upload_above_threshold(s3_options: dict[str, Any],
                                          s3_server: S3TestServer) -> None:
    db = S3Database(multipart_threshold=1024, multipart_chunksize=5 * 1024 * 1024,
                    **s3_options)
    counter = RequestCounter(db)
    big = "é" * (3 * 1024 * 1024)  # 6 MiB of UTF-8: two parts
    db.create(Record({"big": big, "n": 1}, metadata={"m": "x"}, id="big"))
    assert counter.calls["UploadPart"] == 2 and counter.calls["CompleteMultipartUpload"] == 1
    db.cache.clear()
    got = db.read("big")
    assert got is not None and got["big"] == big and got.metadata == {"m": "x"}
    # Check a duplicate create of a multipart record is still refused
    with pytest.raises(Exception, match="already exists"):
        db.create(Record({"big": big}, id="big"))
    small = S3Database(**s3_options)
    small.create(Record({"n": 1}, id="small"))
    assert s3_server.client().head_object(
        Bucket=db.bucket, Key=db.layout.key_of("big"))["ETag"].endswith('-2"')


def test_emulated_conditional_writes(s3_options: dict[str, Any]) -> None:
    from dataknobs_data.domain.errors import ConcurrencyError, RecordExistsError

    db = S3Database(conditional_writes="emulated", **s3_options)
    db.create(Record({"v": 1}, id="k"))
    with pytest.raises(RecordExistsError):
        db.create(Record({"v": 2}, id="k"))
    v1 = db.get_version("k")
    db.update("k", Record({"v": 2}), expected_version=v1)
    with pytest.raises(ConcurrencyError):
        db.update("k", Record({"v": 3}), expected_version=v1)


def test_server_honours_conditional_puts(db: S3Database) -> None:
    # moto and SeaweedFS both honour If-None-Match and If-Match (docs/backends/s3.md)
    assert db._conditions_native() is True


# --- retries and faults ------------------------------------------------------------------------
def test_thousand_creates_through_faults_are_complete(s3_options: dict[str, Any],
                                                      s3_server: S3TestServer) -> None:
    with FaultInjectingProxy(s3_server.endpoint_url, rate=0.2, seed=11) as proxy:
        db = S3Database(**{**s3_options, "endpoint_url": proxy.endpoint_url},
                        retry_base_delay=0.001, retry_max_delay=0.02, retry_attempts=12,
                        batch_workers=16)
        records = [Record({"i": i, "s": f"v{i}"}, metadata={"n": i}, id=f"r{i:04d}")
                   for i in range(1000)]
        ids = db.create_batch(records)
        assert ids == [r.id for r in records]
        db.cache.clear()
        back = db.read_batch(ids)
        assert sum(proxy.faults.values()) > 200, proxy.faults
        assert all(proxy.faults[k] > 20 for k in proxy.KINDS), proxy.faults
    # Check on the server itself, past the proxy: every record once, exactly as written
    direct = S3Database(**s3_options)
    assert direct.count() == 1000
    assert [(r.id, r.data, r.metadata) for r in back if r is not None] == [
        (r.id, r.data, r.metadata) for r in records]
    assert [(r.id, r.data) for r in direct.all()] == [(r.id, r.data) for r in records]


def test_search_fails_loudly_when_a_get_keeps_failing(s3_options: dict[str, Any],
                                                      s3_server: S3TestServer) -> None:
    S3Database(**s3_options).create_batch([Record({"v": i}, id=f"r{i}") for i in range(5)])
    # every object GET answers 503 SlowDown (or drops); listings go through
    with FaultInjectingProxy(s3_server.endpoint_url, rate=1.0,
                             only=lambda method, path: method == "GET"
                             and "list-type" not in path) as proxy:
        db = S3Database(**{**s3_options, "endpoint_url": proxy.endpoint_url},
                        retry_attempts=3, retry_botocore_attempts=2, retry_base_delay=0.001,
                        read_timeout=5)
        with pytest.raises(StorageError, match="search could not read every record"):
            db.search(Query().filter("v", Operator.GTE, 0))
        with pytest.raises(OperationalError, match="GetObject"):
            db.read("r1")
        assert db.count() == 5  # a listing alone still works
        assert sum(proxy.faults.values()) >= 3 * 2


# --- cost ----------------------------------------------------------------------------------------
def test_cost_estimate_from_the_price_table() -> None:
    est = estimate_cost(Workload(records=100_000, record_bytes=2048, creates_per_day=1000,
                                 reads_per_day=10_000, searches_per_day=10,
                                 search_cache_hit_ratio=0.9))
    assert est.put_class_requests == pytest.approx((1000 + 10 * 100) * 30)
    assert est.get_class_requests == pytest.approx((10_000 + 10 * 100_000 * 0.1) * 30)
    assert est.monthly_cost == pytest.approx(
        est.request_cost + est.storage_cost + est.tag_cost)
    assert est.storage_cost == pytest.approx(100_000 * 2048 / 1024**3 * 0.023)
    assert "total" in est.table()
    with pytest.raises(ValueError):
        estimate_cost(Workload(records=1, search_cache_hit_ratio=2))


# --- wiring ------------------------------------------------------------------------------------
def test_seed_yaml_through_the_container(s3_options: dict[str, Any], tmp_path: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from dataknobs_data.containers import DatabasesContainer, database_factory

    yaml_text = """
databases:
  - name: s3_storage
    backend: s3
    bucket: ${S3_BUCKET:my-bucket}
    prefix: ${S3_PREFIX:records/}
    region: ${AWS_REGION:us-west-2}
    endpoint_url: ${S3_ENDPOINT:}
"""
    path = tmp_path / "config.yaml"
    path.write_text(yaml_text)
    environ = {"S3_BUCKET": s3_options["bucket"], "S3_PREFIX": s3_options["prefix"],
               "AWS_REGION": s3_options["region"], "S3_ENDPOINT": s3_options["endpoint_url"],
               "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, environ[name])
    container = DatabasesContainer.from_yaml(path, environ)
    db = container.s3_storage()
    assert isinstance(db, S3Database) and db.layout.prefix == s3_options["prefix"]
    db.create(Record({"v": 1}, id="wired"))
    made = database_factory.create(backend="s3", **{k: v for k, v in s3_options.items()
                                                     if not k.startswith("aws_")})
    assert isinstance(made, S3Database) and made.read("wired") is not None
    made_async = database_factory.create_async(backend="s3", bucket="b")
    assert isinstance(made_async, AsyncS3Database)
