"""Record ids to S3 object keys and back: the one key layout sync and async adapters share.

A record with id ``rid`` lives at ``<prefix><escaped rid>``. Escaping is percent-encoding of
every byte outside ``A-Z a-z 0-9 - _ .`` (UTF-8 first), plus a leading ``.``, so:

- a ``/`` in an id never creates a "folder" and never leaves the prefix (``../x`` becomes
  ``%2E.%2Fx``); ``.`` and ``..`` never appear as a key segment, which matters to servers
  that map keys to file paths (SeaweedFS's filer);
- spaces, unicode and control characters become ASCII, so keys survive every client, proxy
  and signature scheme;
- the mapping is reversible (``id_of(key_of(rid)) == rid``) and injective.

S3 keys are UTF-8 and hold at most 1,024 bytes. An id that cannot be a key raises
``InvalidRecordIdError`` (a ``ValidationError`` for writes, a ``QueryError`` for lookups)
naming the id and the reason, before any request: an id holding a lone surrogate (it has no
UTF-8 form), or one whose key would be longer than the limit (never truncated, never hashed,
so the key stays reversible).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

from ...domain.errors import ConfigurationError, InvalidRecordIdError
from ...domain.values import lone_surrogate

#: S3's limit on the length of a key, in UTF-8 bytes.
MAX_KEY_BYTES = 1024
_SAFE = "-_."  # with letters and digits, never escaped (quote never escapes them)


def escape_id(record_id: str) -> str:
    """The key segment of a record id (percent-encoded, reversible)."""
    # quote leaves "~" alone; escape it too so only [A-Za-z0-9._-%] ever appear
    escaped = quote(record_id, safe="", encoding="utf-8", errors="strict").replace("~", "%7E")
    if escaped.startswith("."):
        escaped = "%2E" + escaped[1:]
    return escaped


def unescape_id(segment: str) -> str:
    """The record id of a key segment made by ``escape_id``."""
    return unquote(segment, encoding="utf-8", errors="strict")


def normalize_prefix(prefix: str | None) -> str:
    """A key prefix ending in ``/`` (or empty); ``ConfigurationError`` for a prefix that is
    absolute, holds an empty, ``.`` or ``..`` segment, or is not a string."""
    if prefix is None or prefix == "":
        return ""
    if not isinstance(prefix, str):
        raise ConfigurationError(f"s3 prefix must be a string, got {type(prefix).__name__}")
    if prefix.startswith("/"):
        raise ConfigurationError(f"s3 prefix {prefix!r} must not start with '/'")
    if any(segment in ("", ".", "..") for segment in prefix.rstrip("/").split("/")):
        raise ConfigurationError(f"s3 prefix {prefix!r} holds an empty, '.' or '..' segment")
    if lone_surrogate(prefix) is not None:
        raise ConfigurationError(f"s3 prefix {prefix!r} holds a lone surrogate (keys are UTF-8)")
    return prefix if prefix.endswith("/") else prefix + "/"


@dataclass(frozen=True)
class S3KeyLayout:
    """Where the records of one database live: ``prefix`` (normalised to end in ``/``)."""

    prefix: str = ""
    max_key_bytes: int = MAX_KEY_BYTES

    @classmethod
    def for_prefix(cls, prefix: str | None, max_key_bytes: int = MAX_KEY_BYTES
                   ) -> S3KeyLayout:
        """The layout for a configured prefix (validated and normalised)."""
        return cls(normalize_prefix(prefix), max_key_bytes)

    def key_of(self, record_id: str) -> str:
        """The object key of a record id; ``InvalidRecordIdError`` for an id that has no
        UTF-8 form or whose key would be too long."""
        at = lone_surrogate(record_id)
        if at is not None:
            raise InvalidRecordIdError(
                record_id, f"lone surrogate {record_id[at]!r} at position {at} has no UTF-8 "
                "form, and S3 keys are UTF-8")
        key = self.prefix + escape_id(record_id)
        size = len(key.encode("utf-8"))
        if size > self.max_key_bytes:
            raise InvalidRecordIdError(
                record_id, f"{len(record_id)} characters make a key of {size} bytes; S3 keys "
                f"hold at most {self.max_key_bytes} bytes (prefix included)")
        return key

    def id_of(self, key: str) -> str | None:
        """The record id stored at ``key``, or None when the key is not one of this
        layout's record keys (outside the prefix, in a sub-"folder", or not an escape)."""
        if not key.startswith(self.prefix):
            return None
        segment = key[len(self.prefix):]
        if not segment or "/" in segment:
            return None
        try:
            rid = unescape_id(segment)
        except UnicodeDecodeError:
            return None
        return rid if escape_id(rid) == segment else None


__all__ = ["MAX_KEY_BYTES", "S3KeyLayout", "escape_id", "normalize_prefix", "unescape_id"]
