"""dataknobs-data 0.11's ``dataknobs_data.backends.elasticsearch``: ``SyncElasticsearchDatabase``
with 0.11's positional configuration dict (``{"host": "localhost", "port": 9200, "index":
"people"}``), over ``adapters.elasticsearch.ElasticsearchDatabase``. As in 0.11 the index
defaults to ``records``, and ``host`` with ``port`` names the one node. The client is
imported when the adapter first connects."""

from __future__ import annotations

from typing import Any, ClassVar

from ..adapters.elasticsearch import ElasticsearchDatabase
from ..domain.errors import ConfigurationError
from ._compat import CompatConstructor


class HostAndPort(CompatConstructor):
    """0.11's ``host`` and ``port`` options become ``hosts=["http://host:port"]``."""

    defaults: ClassVar[dict[str, Any]] = {"index": "records"}
    #: 0.11's values when neither ``hosts`` nor ``host`` is given (the sync class's)
    default_host: ClassVar[tuple[str | None, int | None]] = ("localhost", 9200)

    def _defaults(self, options: dict[str, Any]) -> dict[str, Any]:
        options = dict(options)
        host, port = options.pop("host", None), options.pop("port", None)
        if host is None and port is None:
            if options.get("hosts") is not None or self.default_host[0] is None:
                return options
            host, port = self.default_host
        if options.get("hosts") is not None:
            raise ConfigurationError("elasticsearch: give hosts, or host and port, not both")
        if not isinstance(host, str | None) or not isinstance(port, int | str | None):
            raise ConfigurationError(
                f"elasticsearch: host must be a string and port a number, got {host!r}, "
                f"{port!r}")
        host = host or "localhost"
        url = host if "://" in host else f"http://{host}"
        options["hosts"] = [f"{url}:{port or 9200}"]
        return options


class SyncElasticsearchDatabase(HostAndPort, ElasticsearchDatabase):
    """``ElasticsearchDatabase`` with 0.11's constructor."""


__all__ = ["HostAndPort", "SyncElasticsearchDatabase"]
