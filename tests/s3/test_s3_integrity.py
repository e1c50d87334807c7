"""S3 integrity: text S3 cannot hold is refused by path, the conditional-write probe survives
lost replies and leaves nothing behind, and credentials never reach botocore's DEBUG logs.

Every test runs against moto's server and SeaweedFS; where a fault is needed, a proxy in front
of the real server adds it (a reply lost after the server acted), nothing replaces the server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from dataknobs_data import Operator, Query, Record
from dataknobs_data.adapters.s3 import S3Database
from dataknobs_data.adapters.s3.database import PROBE_FOLDER
from dataknobs_data.adapters.s3.redaction import MASK, SecretRedactingFilter
from dataknobs_data.domain.errors import (
    BatchOperationError,
    InvalidRecordIdError,
    SerializationError,
)
from dataknobs_data.testing.servers.s3 import FaultInjectingProxy, S3TestServer


def _all_keys(server: S3TestServer, bucket: str, prefix: str) -> list[str]:
    """Every key under ``prefix``, sub-"folders" included (no delimiter)."""
    out = server.client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in out.get("Contents", []))


@pytest.fixture
def db(s3_options: dict[str, Any]) -> Iterator[S3Database]:
    with S3Database(**s3_options) as database:
        yield database


# --- text S3 cannot hold -------------------------------------------------------------------
SURROGATE_RECORDS = [
    (Record({"a": "x\ud800y"}, id="value"), "data.a: lone surrogate '\\ud800' at position 1"),
    (Record({"k\udfff": 1}, id="key"), "data: key 'k\\udfff'"),
    (Record({"n": [{"deep": ["\ud800"]}]}, id="nested"), "data.n[0].deep[0]"),
    (Record({"a": 1}, metadata={"m": "\udc00"}, id="meta"), "metadata.m"),
    (Record({"a": 1}, metadata={"\ud800": 1}, id="meta-key"), "metadata: key"),
    # a high and a low surrogate written apart: JSON would join them into one character
    (Record({"a": "\ud83d\ude00"}, id="split-pair"), "data.a"),
]


@pytest.mark.parametrize(("record", "path"), SURROGATE_RECORDS,
                         ids=[r.id for r, _ in SURROGATE_RECORDS])
def test_lone_surrogates_in_values_and_keys_are_refused_by_path(
        db: S3Database, record: Record, path: str) -> None:
    # Check create and upsert refuse with the record and the path, and store nothing
    with pytest.raises(SerializationError, match=f"record '{record.id}': ") as info:
        db.create(record)
    assert path in str(info.value) and "UTF-8" in str(info.value)
    with pytest.raises(SerializationError, match="UTF-8"):
        db.upsert(record)
    assert db.count() == 0 and not db.exists(record.id or "")
    # Check an update of a stored record is refused and leaves the stored one as it was
    db.create(Record({"a": "kept"}, metadata={"m": "kept"}, id=record.id))
    with pytest.raises(SerializationError, match=path.split(":")[0].split("[")[0]):
        db.update(record.id or "", record)
    got = db.read(record.id or "")
    assert got is not None and got.data == {"a": "kept"} and got.metadata == {"m": "kept"}


def test_lone_surrogate_ids_are_refused_for_writes_and_lookups(db: S3Database) -> None:
    bad = "id\ud800"
    for write in (lambda: db.create(Record({"v": 1}, id=bad)),
                  lambda: db.upsert(bad, Record({"v": 1})),
                  lambda: db.update(bad, Record({"v": 1}))):
        with pytest.raises(InvalidRecordIdError, match=r"record id 'id\\ud800': lone surrogate"):
            write()
    for lookup in (db.read, db.exists, db.delete, db.get_version):
        with pytest.raises(InvalidRecordIdError, match="S3 keys are UTF-8"):
            lookup(bad)
    assert db.count() == 0


def test_batches_refuse_only_the_records_s3_cannot_hold(db: S3Database) -> None:
    records = [Record({"v": 0}, id="r0"), Record({"v": "\ud800"}, id="r1"),
               Record({"v": 2}, id="r2\udfff"), Record({"v": 3}, id="r3")]
    with pytest.raises(BatchOperationError) as info:
        db.create_batch(records)
    assert sorted(info.value.failed) == [1, 2] and info.value.succeeded == {0: "r0", 3: "r3"}
    assert isinstance(info.value.failed[1], SerializationError)
    assert "record 'r1': data.v" in str(info.value.failed[1])
    assert isinstance(info.value.failed[2], InvalidRecordIdError)
    assert [r.id for r in db.all()] == ["r0", "r3"]
    # Check upsert_batch and update_batch refuse the bad record, write the good ones
    with pytest.raises(BatchOperationError) as info:
        db.upsert_batch([Record({"v": 10}, id="r0"), Record({"w": ["\udfff"]}, id="u1")])
    assert list(info.value.failed) == [1] and "data.w[0]" in str(info.value.failed[1])
    with pytest.raises(BatchOperationError) as info:
        db.update_batch([("r0", Record({"v": 11})), ("r3", Record({"\ud800": 1}))])
    assert list(info.value.failed) == [1]
    assert [(r.id, r.data) for r in db.all()] == [("r0", {"v": 11}), ("r3", {"v": 3})]


def test_surrogate_operands_query_and_valid_hostile_text_round_trips(
        s3_options: dict[str, Any]) -> None:
    db = S3Database(**s3_options)
    hostile = "nul\x00 cr\r\n emoji\U0001f600 combining e\u0301 bom\ufeff"
    db.create(Record({hostile: hostile, "s": "x"}, metadata={hostile: hostile}, id=hostile))
    # Check queries with operands no record can hold answer (nothing matches), never raise
    assert db.search(Query().filter("s", Operator.EQ, "x\ud800")) == []
    assert db.search(Query().filter("s\ud800", Operator.EXISTS)) == []
    assert db.count(Query().filter("s", Operator.IN, ["\udfff", "x"])) == 1
    reopened = S3Database(**s3_options)
    got = reopened.read(hostile)
    assert got is not None and got.id == hostile
    assert got.data == {hostile: hostile, "s": "x"} and got.metadata == {hostile: hostile}
    assert [r.id for r in reopened.search(Query().filter(hostile, Operator.EQ, hostile))] == [
        hostile]


# --- the conditional-write probe -----------------------------------------------------------
class _FirstProbePut:
    """``only`` for the proxy: true for the first PUT of a probe object, once."""

    def __init__(self) -> None:
        self.seen = 0
        self._lock = threading.Lock()

    def __call__(self, method: str, path: str) -> bool:
        with self._lock:
            if method == "PUT" and PROBE_FOLDER in path and self.seen == 0:
                self.seen += 1
                return True
            return False


class _LostReplies(FaultInjectingProxy):
    """The proxy with one kind of fault: the server acts, its reply never arrives."""

    KINDS = ("drop_after",)


def test_probe_whose_first_reply_is_lost_proves_support_and_cleans_up(
        s3_options: dict[str, Any], s3_server: S3TestServer) -> None:
    first_put = _FirstProbePut()
    with _LostReplies(s3_server.endpoint_url, rate=1.0, only=first_put) as proxy:
        db = S3Database(**{**s3_options, "endpoint_url": proxy.endpoint_url},
                        retry_base_delay=0.001)
        # the probe's first PUT lands, its reply is lost, the retry gets 412: support
        assert db.create(Record({"v": 1}, id="first")) == "first"
        assert first_put.seen == 1 and proxy.faults["drop_after"] == 1
        assert db._native_conditions is True
        with pytest.raises(Exception, match="already exists"):
            db.create(Record({"v": 2}, id="first"))
    # Check the probe left nothing under the prefix, not even in its sub-"folder"
    assert _all_keys(s3_server, db.bucket, db.layout.prefix) == [db.layout.key_of("first")]


def test_fresh_instances_behind_a_proxy_losing_replies_all_start(
        s3_options: dict[str, Any], s3_server: S3TestServer) -> None:
    # 30 % of replies lost after the server acted, on every request: probes and writes
    with _LostReplies(s3_server.endpoint_url, rate=0.3, seed=3) as proxy:
        for i in range(20):
            db = S3Database(**{**s3_options, "endpoint_url": proxy.endpoint_url},
                            retry_base_delay=0.001, retry_max_delay=0.01, retry_attempts=10,
                            retry_botocore_attempts=1, batch_workers=1)
            assert db.create(Record({"i": i}, id=f"r{i:02d}")) == f"r{i:02d}"
            assert db._native_conditions is True
            db.close()
        assert proxy.faults["drop_after"] > 20, proxy.faults
    direct = S3Database(**s3_options)
    assert [(r.id, r["i"]) for r in direct.all()] == [(f"r{i:02d}", i) for i in range(20)]
    assert _all_keys(s3_server, direct.bucket, direct.layout.prefix) == [
        direct.layout.key_of(f"r{i:02d}") for i in range(20)]


def test_probe_leaves_no_version_in_a_versioned_bucket(s3_server: S3TestServer) -> None:
    bucket = s3_server.new_bucket("dk-versioned")
    client = s3_server.client()
    client.put_bucket_versioning(Bucket=bucket,
                                 VersioningConfiguration={"Status": "Enabled"})
    db = S3Database(bucket=bucket, prefix="p/", **s3_server.options())
    assert db._conditions_native() is True
    out = client.list_object_versions(Bucket=bucket, Prefix="p/")
    assert out.get("Versions", []) == [] and out.get("DeleteMarkers", []) == []


# --- credentials in logs -------------------------------------------------------------------
SECRET = "sEcReTkEy-4f1c9b0e2d7a46a8b3c1e5f7a9d0b2c4"
TOKEN = "SeSsIoNtOkEn/IQoJb3JpZ2luX2VjEHMaCXVzLWVhc3QtMSJHMEUCIQD+x=="


def _run_and_capture(db: S3Database, caplog: pytest.LogCaptureFixture) -> str:
    caplog.set_level(logging.DEBUG)  # the root logger: what a user's basicConfig does
    db.create(Record({"v": 1}, metadata={"m": "x"}, id="a"))
    db.cache.clear()
    db.read("a")
    db.read("absent")  # a 404 reply is logged too
    db.search(Query().filter("v", Operator.EQ, 1))
    db.delete("a")
    return caplog.text


def test_session_token_and_secret_key_never_reach_debug_logs(
        s3_options: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    options = {**s3_options, "aws_secret_access_key": SECRET, "aws_session_token": TOKEN}
    text = _run_and_capture(S3Database(**options), caplog)
    # the records that used to carry the token were captured, with the token masked
    assert "botocore.endpoint" in {r.name for r in caplog.records}
    assert f"x-amz-security-token:{MASK}" in text.lower()
    for secret in (SECRET, TOKEN, TOKEN.split("/")[1][:20]):
        assert secret not in text


def test_credentials_from_the_environment_are_masked_too(
        s3_options: dict[str, Any], caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    options = {k: v for k, v in s3_options.items() if not k.startswith("aws_")}
    text = _run_and_capture(S3Database(**options), caplog)
    assert "botocore.auth" in {r.name for r in caplog.records}
    assert SECRET not in text and TOKEN not in text


def test_redacting_filter_masks_every_form_of_the_token() -> None:
    redactor = SecretRedactingFilter()
    forms = ["x-amz-security-token:VAL/ue+1==\nhost:h",
             "{'X-Amz-Security-Token': b'VAL/ue+1=='}",
             '{"x-amz-security-token": "VAL/ue+1=="}',
             "https://h/k?X-Amz-Security-Token=VAL%2Fue%2B1%3D%3D&X-Amz-Date=1"]
    for form in forms:
        redacted = redactor.redact(form)
        assert "VAL" not in redacted and MASK in redacted, form
    held = redactor.register(["s3cr3t-value", None, ""])
    record = logging.LogRecord("botocore.auth", logging.DEBUG, __file__, 1,
                               "signing with %s", ("s3cr3t-value",), None)
    assert redactor.filter(record) and record.getMessage() == f"signing with {MASK}"
    redactor.unregister(held)
    assert redactor.redact("s3cr3t-value") == "s3cr3t-value"
