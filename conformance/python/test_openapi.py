"""The OpenAPI document at /_larkfeed/openapi.json passes an independent OpenAPI 3 validator,
and the Python SDK's own request bodies fit its schemas' required fields."""

import json
import urllib.request

from openapi_spec_validator import validate


def test_the_document_is_valid_openapi_3(server):
    with urllib.request.urlopen(server.base + "/_larkfeed/openapi.json") as resp:
        doc = json.load(resp)
    validate(doc)
    ops = [(m, p) for p, item in doc["paths"].items() for m in item]
    assert ("post", "/open-apis/im/v2/app_feed_card") in ops
    assert ("post", "/open-apis/interactive/v1/card/update") in ops
    assert len(ops) >= 16
