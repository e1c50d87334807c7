"""The fidelity suite on Elasticsearch (osmem-server, or ``DATAKNOBS_TEST_ES_URL``), sync and
async.

Each handle the suite opens is a new adapter with its own client on the test's own index,
so "reopening" reads every record back from the server."""

from __future__ import annotations

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


class TestElasticsearchFidelity(FidelitySuite):
    adapter = ElasticsearchDatabase
    fidelity_examples = 200
    #: The document's fields, the keys of the record text (``d`` data, ``m`` metadata), the
    #: typed-JSON tags, and Elasticsearch's own metadata fields.
    envelope_names = (ID_FIELD, RECORD_FIELD, SHADOW_FIELD, "d", "m", DATETIME_TAG,
                      OBJECT_TAG, "_id", "_source", "_seq_no")
    max_depth = MAX_DEPTH


class TestAsyncElasticsearchFidelity(TestElasticsearchFidelity):
    adapter = AsyncElasticsearchDatabase
    fidelity_examples = 100
