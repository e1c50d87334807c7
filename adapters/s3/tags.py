"""Record metadata as S3 object tags, within S3's limits, reversibly.

S3 allows at most 10 tags per object, keys of 1-128 and values of 0-256 characters drawn from
letters, digits, spaces and ``_ . : / = + - @``; keys starting with ``aws:`` are reserved.
Metadata is a dict of any storable values, so each entry is mapped to one tag:

- a key made only of ASCII letters, digits, spaces and ``_ . : / + - @`` (and not starting
  with ``aws:``) is used as is; any other key becomes ``=`` + URL-safe base64 of its UTF-8;
- a string value made of those characters is used as is; any other value (non-ASCII or
  punctuated strings, numbers, booleans, null, lists, objects, datetimes) becomes ``=`` +
  URL-safe base64 of its typed JSON (``domain/codec``), so ``1`` and ``"1"`` stay apart.

A leading ``=`` marks an encoded key or value, and plain text never starts with ``=``, so the
mapping is reversible. Metadata that cannot fit (more than 10 entries, or an entry longer
than the limits once encoded) raises ``ValidationError`` naming the key and the limit: it is
never truncated or dropped.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from ...domain import codec
from ...domain.errors import StorageError, ValidationError

MAX_TAGS = 10
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
_MARK = "="
_PLAIN = re.compile(r"[A-Za-z0-9 _.:/+\-@]*")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_key(key: str) -> str:
    """The tag key of a metadata key."""
    if key and _PLAIN.fullmatch(key) and not key.startswith(("aws:", _MARK)):
        return key
    return _MARK + _b64(key.encode("utf-8"))


def decode_key(tag_key: str) -> str:
    """The metadata key of a tag key made by ``encode_key``."""
    if tag_key.startswith(_MARK):
        return _unb64(tag_key[1:]).decode("utf-8")
    return tag_key


def encode_value(value: Any) -> str:
    """The tag value of a metadata value."""
    if type(value) is str and _PLAIN.fullmatch(value) and not value.startswith(_MARK):
        return value
    return _MARK + _b64(codec.dumps(value, separators=(",", ":")).encode("utf-8"))


def decode_value(tag_value: str) -> Any:
    """The metadata value of a tag value made by ``encode_value``."""
    if tag_value.startswith(_MARK):
        return codec.loads(_unb64(tag_value[1:]))
    return tag_value


def metadata_to_tags(metadata: Mapping[str, Any], record_id: str | None = None
                     ) -> list[tuple[str, str]]:
    """The tags of a record's metadata; ``ValidationError`` when they break S3's limits."""
    problems: list[str] = []
    if len(metadata) > MAX_TAGS:
        problems.append(f"metadata has {len(metadata)} keys; S3 allows at most {MAX_TAGS} "
                        f"tags per object ({sorted(metadata)[:12]})")
    tags: list[tuple[str, str]] = []
    for key, value in metadata.items():
        tag_key, tag_value = encode_key(key), encode_value(value)
        if len(tag_key) > MAX_TAG_KEY:
            problems.append(f"metadata key {key[:40]!r} is {len(tag_key)} characters as a "
                            f"tag key; S3 allows {MAX_TAG_KEY}")
        if len(tag_value) > MAX_TAG_VALUE:
            problems.append(f"metadata {key[:40]!r}: value is {len(tag_value)} characters as "
                            f"a tag value; S3 allows {MAX_TAG_VALUE}")
        tags.append((tag_key, tag_value))
    if problems:
        raise ValidationError(problems, record_id)
    return tags


def tags_to_metadata(tag_set: list[dict[str, str]]) -> dict[str, Any]:
    """Metadata from a ``GetObjectTagging`` tag set; ``StorageError`` for a foreign tag."""
    out: dict[str, Any] = {}
    for tag in tag_set:
        try:
            out[decode_key(tag["Key"])] = decode_value(tag["Value"])
        except (ValueError, KeyError) as err:
            raise StorageError(f"object tag {tag.get('Key')!r} is not one this store "
                               f"wrote: {err}") from err
    return out


__all__ = ["MAX_TAGS", "MAX_TAG_KEY", "MAX_TAG_VALUE", "decode_key", "decode_value",
           "encode_key", "encode_value", "metadata_to_tags", "tags_to_metadata"]
