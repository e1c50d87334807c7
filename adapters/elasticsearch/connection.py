"""Connection settings, clients, the index mapping and error translation.

``ConnectionSettings`` holds what configuration gives (hosts or cloud id, API key, basic
auth, CA certificates, timeouts, the compatibility mode) with secrets kept out of reprs and
messages; it builds the keyword arguments of ``Elasticsearch`` / ``AsyncElasticsearch``.

Compatibility: client 8.x/9.x sends ``application/vnd.elasticsearch+json;
compatible-with=N`` media types, which OpenSearch and OpenSearch-compatible servers answer
with 406. With ``compatibility="opensearch"`` the client's HTTP node is a subclass that
turns those headers back into plain ``application/json`` / ``application/x-ndjson`` just
before they are sent (the client offers no switch for it: ``headers=`` given by the caller
are rewritten as well).

The async client's aiohttp node hands aiohttp the request URL as text, which aiohttp
normalizes: the path segment of a record id ``.`` or ``..`` was dropped, so reading record
``..`` asked for the index itself. ``encoded_url_node_class`` sends the URL the client
already percent-encoded exactly as it is; the async adapter always uses it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from ...domain.errors import (
    BackendNotAvailableError,
    ConfigurationError,
    DataError,
    OperationalError,
    QueryError,
    StorageError,
)
from ...ports.secrets import Secret
from .serializer import ID_FIELD, RECORD_FIELD, SHADOW_FIELD, VECTOR_FIELD

INSTALL_HINT = ("the elasticsearch backend needs the elasticsearch client: "
                "pip install 'dataknobs-data[elasticsearch]'")
COMPATIBILITY_MODES = ("elasticsearch", "opensearch")
_COMPAT_MEDIA = re.compile(r"application/vnd\.elasticsearch\+([\w.-]+)\s*;\s*compatible-with=\d+")
_INDEX_FORBIDDEN = set('\\/*?"<>| ,#:')


def import_client() -> Any:
    """The ``elasticsearch`` module, or ``BackendNotAvailableError`` with the install hint."""
    try:
        import elasticsearch
    except ImportError as err:
        raise BackendNotAvailableError(INSTALL_HINT) from err
    return elasticsearch


def redact_url(url: str) -> str:
    """A URL without user and password (``http://***@host:9200``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<url>"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, "***@" + host, parts.path, parts.query, parts.fragment))


def split_userinfo(url: str) -> tuple[str | None, str | None, str]:
    """``(user, password, url without them)``; user None when the URL carries none."""
    try:
        parts = urlsplit(url)
        user, secret = parts.username, parts.password
    except ValueError:
        return None, None, url
    if user is None:
        return None, None, url
    host = parts.netloc.rpartition("@")[2]
    return (unquote(user), unquote(secret) if secret is not None else None,
            urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment)))


def check_index_name(name: object) -> str:
    """An index name Elasticsearch accepts, or ``ConfigurationError`` saying why."""
    if not isinstance(name, str) or not name:
        raise ConfigurationError("elasticsearch needs an 'index' (a non-empty string)")
    problem = None
    if name != name.lower():
        problem = "must be lowercase"
    elif name in (".", ".."):
        problem = "must not be '.' or '..'"
    elif name[0] in "-_+":
        problem = "must not start with '-', '_' or '+'"
    elif _INDEX_FORBIDDEN & set(name):
        problem = f"must not contain any of {''.join(sorted(_INDEX_FORBIDDEN))!r} or spaces"
    elif len(name.encode("utf-8")) > 255:
        problem = "must be at most 255 bytes"
    if problem:
        raise ConfigurationError(f"elasticsearch index name {name!r} {problem}")
    return name


def index_body(settings: Mapping[str, Any] | None = None, *,
               text_subfield: bool = True) -> dict[str, Any]:
    """Settings and mapping of a records index (see ``serializer`` for the fields).

    With ``text_subfield`` each string keyword (``<path>.s``) also has an analysed ``text``
    subfield (``<path>.s.text``) for full-text queries sent to the index directly; the
    adapter's own queries never use it (every operator is exact).
    """
    sub_types = {"o": "byte", "b": "boolean", "n": "keyword", "s": "keyword",
                 "sf": "keyword", "sl": "boolean", "d": "keyword", "h": "keyword"}
    templates: list[dict[str, Any]] = []
    for sub, kind in sub_types.items():
        mapping: dict[str, Any] = {"type": kind}
        if sub == "s" and text_subfield:
            mapping["fields"] = {"text": {"type": "text"}}
        templates.append({f"dataknobs_{sub}": {"path_match": f"{SHADOW_FIELD}.*.{sub}",
                                               "mapping": mapping}})
    return {
        "settings": {"index.mapping.total_fields.limit": 20000, **(settings or {})},
        "mappings": {
            "dynamic": "strict",
            "_source": {"excludes": [SHADOW_FIELD, VECTOR_FIELD]},
            "dynamic_templates": templates,
            "properties": {
                ID_FIELD: {"type": "keyword"},
                RECORD_FIELD: {"type": "keyword", "index": False, "doc_values": False},
                SHADOW_FIELD: {"type": "object", "dynamic": True},
            },
        },
    }


def _plain_media(headers: Any) -> Any:
    """A copy of request headers with ``compatible-with`` media types made plain JSON."""
    if headers is None:
        return headers
    fixed = headers.copy()
    for name in ("accept", "content-type"):
        value = fixed.get(name)
        if value:
            fixed[name] = _COMPAT_MEDIA.sub(r"application/\1", value)
    return fixed


def compat_node_class(base: type, asynchronous: bool) -> type:
    """A subclass of an elastic-transport node that sends plain JSON media types."""
    if asynchronous:
        async def perform_async(self: Any, method: str, target: str, body: Any = None,
                                headers: Any = None, **kwargs: Any) -> Any:
            return await base.perform_request(  # type: ignore[attr-defined]
                self, method, target, body=body, headers=_plain_media(headers), **kwargs)

        return type(f"OpenSearchCompatible{base.__name__}", (base,),
                    {"perform_request": perform_async})

    def perform(self: Any, method: str, target: str, body: Any = None, headers: Any = None,
                **kwargs: Any) -> Any:
        return base.perform_request(  # type: ignore[attr-defined]
            self, method, target, body=body, headers=_plain_media(headers), **kwargs)

    return type(f"OpenSearchCompatible{base.__name__}", (base,), {"perform_request": perform})


class EncodedUrlSession:
    """An aiohttp session whose ``request`` sends a URL as given (already percent-encoded
    by the client) instead of normalizing it; everything else is the session's own."""

    def __init__(self, session: Any) -> None:
        self.wrapped = session

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        import yarl

        if isinstance(url, str):
            url = yarl.URL(url, encoded=True)
        return self.wrapped.request(method, url, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def encoded_url_node_class(base: type) -> type:
    """A subclass of elastic-transport's aiohttp node (or of one derived from it) whose
    session sends URLs without normalizing away ``.`` and ``..`` path segments."""

    def create_session(self: Any) -> None:
        base._create_aiohttp_session(self)  # type: ignore[attr-defined]
        self.session = EncodedUrlSession(self.session)

    return type(f"EncodedUrl{base.__name__}", (base,),
                {"_create_aiohttp_session": create_session})


@dataclass
class ConnectionSettings:
    """Where and how to connect; secrets are ``Secret`` objects."""

    hosts: list[str] = field(default_factory=list)
    cloud_id: Secret = field(default_factory=lambda: Secret(None))
    api_key: Secret = field(default_factory=lambda: Secret(None))
    username: str | None = None
    password: Secret = field(default_factory=lambda: Secret(None))
    ca_certs: str | None = None
    verify_certs: bool | None = None
    compatibility: str = "elasticsearch"
    request_timeout: float = 30.0
    max_retries: int = 3

    @classmethod
    def build(
        cls,
        hosts: str | Sequence[str] | None,
        cloud_id: str | None,
        api_key: str | Sequence[str] | None,
        basic_auth: Sequence[str] | None,
        username: str | None,
        password: str | None,
        ca_certs: str | None,
        verify_certs: bool | None,
        compatibility: str,
        request_timeout: float,
        max_retries: int,
    ) -> ConnectionSettings:
        """Check and normalise the connection options (no I/O)."""
        if isinstance(hosts, str):
            host_list = [h.strip() for h in hosts.split(",") if h.strip()]
        else:
            host_list = [str(h) for h in (hosts or []) if str(h).strip()]
        # credentials in a URL move to basic auth, so the kept URLs hold no secret
        for i, host in enumerate(host_list):
            user, secret, bare = split_userinfo(host)
            if user is not None:
                host_list[i] = bare
                if basic_auth is None and not username:
                    username, password = user, secret
        if not host_list and not cloud_id:
            raise ConfigurationError("elasticsearch needs 'hosts' (for example "
                                     "http://127.0.0.1:9200) or a 'cloud_id'")
        if compatibility not in COMPATIBILITY_MODES:
            raise ConfigurationError(
                f"compatibility {compatibility!r} is not one of {', '.join(COMPATIBILITY_MODES)}")
        if basic_auth is not None:
            if isinstance(basic_auth, str) or len(basic_auth) != 2:
                raise ConfigurationError("basic_auth must be a [username, password] pair")
            username, password = basic_auth[0], basic_auth[1]
        if password and not username:
            raise ConfigurationError("elasticsearch 'password' needs a 'username'")
        key: Any = api_key
        if api_key is not None and not isinstance(api_key, str):
            if len(api_key) != 2:
                raise ConfigurationError("api_key must be a string or an [id, key] pair")
            key = (str(api_key[0]), str(api_key[1]))
        if key and username:
            raise ConfigurationError("give either api_key or basic auth, not both")
        if request_timeout <= 0:
            raise ConfigurationError("request_timeout must be positive")
        if max_retries < 0:
            raise ConfigurationError("max_retries must be >= 0")
        return cls(host_list, Secret(cloud_id), Secret(key), username or None, Secret(password),
                   ca_certs or None, verify_certs, compatibility, request_timeout, max_retries)

    @property
    def where(self) -> str:
        """The server as shown in messages (no credentials)."""
        if self.hosts:
            return ", ".join(redact_url(h) for h in self.hosts)
        return "elastic cloud (cloud_id)"

    def client_kwargs(self, asynchronous: bool) -> dict[str, Any]:
        """Keyword arguments for ``Elasticsearch`` / ``AsyncElasticsearch``."""
        kwargs: dict[str, Any] = {"request_timeout": self.request_timeout,
                                  "max_retries": self.max_retries,
                                  "retry_on_timeout": True}
        if self.cloud_id:
            kwargs["cloud_id"] = self.cloud_id.reveal()
        else:
            kwargs["hosts"] = list(self.hosts)
        if self.api_key:
            kwargs["api_key"] = self.api_key.reveal()
        if self.username:
            kwargs["basic_auth"] = (self.username, self.password.reveal() or "")
        if self.ca_certs:
            kwargs["ca_certs"] = self.ca_certs
        if self.verify_certs is not None:
            kwargs["verify_certs"] = self.verify_certs
        import elastic_transport

        base: type = (elastic_transport.AiohttpHttpNode if asynchronous
                      else elastic_transport.Urllib3HttpNode)
        if self.compatibility == "opensearch":
            base = compat_node_class(base, asynchronous)
        if asynchronous:
            base = encoded_url_node_class(base)
        if base is not elastic_transport.Urllib3HttpNode:
            kwargs["node_class"] = base
        return kwargs

    def describe(self) -> str:
        """The settings for ``repr`` (secrets as ``***``)."""
        auth = "api_key" if self.api_key else ("basic" if self.username else "none")
        parts = [f"hosts={self.where!r}", f"auth={auth!r}"]
        if self.cloud_id:
            parts.append("cloud_id='***'")
        if self.compatibility != "elasticsearch":
            parts.append(f"compatibility={self.compatibility!r}")
        return ", ".join(parts)


# -- errors -------------------------------------------------------------------------------------
def status_of(err: BaseException) -> int | None:
    """The HTTP status of a client error, if it has one."""
    meta = getattr(err, "meta", None)
    status = getattr(meta, "status", None)
    if isinstance(status, int):
        return status
    status = getattr(err, "status_code", None)
    return status if isinstance(status, int) else None


def _body_error(err: BaseException) -> Any:
    """The ``error`` of a client error's response body (a dict or a string), or None."""
    body = getattr(err, "body", None)
    return body.get("error") if isinstance(body, dict) else None


def error_type(err: BaseException) -> str:
    """The Elasticsearch error type (``version_conflict_engine_exception``, ...) or ''."""
    error = _body_error(err)
    if isinstance(error, dict):
        return str(error.get("type") or "")
    if isinstance(error, str):
        return error
    return str(getattr(err, "error", "") or "")


def error_reason(err: BaseException) -> str:
    """A short reason from an error body (no request data, no credentials)."""
    error = _body_error(err)
    if isinstance(error, dict):
        reason = error.get("reason") or error.get("type") or ""
        caused = error.get("caused_by")
        if isinstance(caused, dict) and caused.get("reason"):
            reason = f"{reason}: {caused.get('reason')}"
        return str(reason)[:500]
    if error:
        return str(error)[:500]
    return type(err).__name__


def translate_error(err: BaseException, where: str, action: str) -> Exception:
    """A domain error for a client error raised while doing ``action``."""
    es = import_client()
    status = status_of(err)
    kind = error_type(err)
    reason = error_reason(err)
    if isinstance(err, es.ConnectionError | es.ConnectionTimeout) or (
            status is None and isinstance(err, es.TransportError)):
        return OperationalError(f"elasticsearch at {where} could not be reached while "
                                f"{action}: {type(err).__name__}")
    if status in (401, 403):
        return OperationalError(f"elasticsearch at {where} refused {action}: "
                                f"authentication or permission failure ({status})")
    if status == 413:
        return DataError(f"{action}: the request is too large for the server (413)")
    if kind in ("mapper_parsing_exception", "document_parsing_exception",
                "strict_dynamic_mapping_exception", "illegal_argument_exception") and \
            action.startswith(("writing", "creating", "updating")):
        return DataError(f"{action}: elasticsearch refused the document: {reason}")
    if status == 400 and action.startswith(("searching", "counting")):
        return QueryError(f"{action}: elasticsearch refused the query: {reason}")
    if (status is not None and status >= 500) or status == 429:
        return OperationalError(f"elasticsearch at {where} failed while {action} "
                                f"({status}): {reason}")
    return StorageError(f"elasticsearch at {where} failed while {action} ({status}): {reason}")
