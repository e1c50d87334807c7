"""The fidelity suite on Elasticsearch (osmem-server, or ``DATAKNOBS_TEST_ES_URL``), sync and
async.

Each handle the suite opens is a new adapter with its own client on the test's own index,
so "reopening" reads every record back from the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dataknobs_data.adapters.elasticsearch import (
    AsyncElasticsearchDatabase,
    ElasticsearchDatabase,
)
from dataknobs_data.adapters.elasticsearch.serializer import (
    ID_FIELD,
    MAX_DEPTH,
    RECORD_FIELD,
    SHADOW_FIELD,
)
from dataknobs_data.domain.codec import DATETIME_TAG, OBJECT_TAG
from dataknobs_data.testing.fidelity import FidelitySuite

#: The document's fields, the keys of the record text (``d`` data, ``m`` metadata), the
#: typed-JSON tags, and Elasticsearch's own metadata fields.
ENVELOPE_NAMES = (ID_FIELD, RECORD_FIELD, SHADOW_FIELD, "d", "m", DATETIME_TAG, OBJECT_TAG,
                  "_id", "_source", "_seq_no")


class TestElasticsearchFidelity(FidelitySuite):
    fidelity_examples = 200
    envelope_names = ENVELOPE_NAMES
    max_depth = MAX_DEPTH

    @pytest.fixture
    def open_database(self, es_options: dict[str, Any]) -> Callable[[], Any]:
        return lambda: ElasticsearchDatabase(**es_options)


class TestAsyncElasticsearchFidelity(FidelitySuite):
    fidelity_examples = 100
    envelope_names = ENVELOPE_NAMES
    max_depth = MAX_DEPTH

    @pytest.fixture
    def open_database(self, es_options: dict[str, Any]) -> Callable[[], Any]:
        return lambda: AsyncElasticsearchDatabase(**es_options)
