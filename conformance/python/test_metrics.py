"""GET /_larkfeed/metrics read by the Prometheus project's own Python parsers: the classic text
format (0.0.4) to a plain scrape, OpenMetrics to one that asks as Prometheus asks. The sample
values are those of the calls made here, through lark-oapi."""

import urllib.request

import lark_oapi as lark
from lark_oapi.api.im.v1 import CreateMessageRequest, CreateMessageRequestBody
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_classic

PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def scrape(server, accept=None):
    req = urllib.request.Request(server.base + "/_larkfeed/metrics")
    if accept:
        req.add_header("Accept", accept)
    with urllib.request.urlopen(req) as resp:
        return resp.headers["Content-Type"], resp.read().decode()


def sends(families):
    """The send endpoint's call counts by code, from the requests counter (absent before any call)."""
    family = families.get("larkfeed_requests")
    if family is None:
        return {}
    assert family.type == "counter"
    return {s.labels["code"]: s.value for s in family.samples
            if s.name == "larkfeed_requests_total" and s.labels["endpoint"] == "messages.send"}


def test_both_text_formats_parse_with_the_calls_made(server):
    before = sends({f.name: f for f in parse_openmetrics(scrape(server, PROMETHEUS_ACCEPT)[1])})
    client = lark.Client.builder().app_id(server.app["app_id"]).app_secret(server.app["app_secret"]) \
        .domain(server.base).log_level(lark.LogLevel.ERROR).build()
    for text in ("one", "two"):
        body = CreateMessageRequestBody.builder().receive_id(server.open_id(0)).msg_type("text") \
            .content('{"text": "%s"}' % text).build()
        resp = client.im.v1.message.create(
            CreateMessageRequest.builder().receive_id_type("open_id").request_body(body).build())
        assert resp.success(), resp.msg

    kind, text = scrape(server, PROMETHEUS_ACCEPT)
    assert kind.startswith("application/openmetrics-text")
    families = {f.name: f for f in parse_openmetrics(text)}
    assert sends(families).get("0", 0) == before.get("0", 0) + 2
    assert families["larkfeed_request_duration_seconds"].type == "histogram"
    assert families["larkfeed_database_up"].samples[0].value == 1

    kind, text = scrape(server)
    assert kind == "text/plain; version=0.0.4; charset=utf-8"
    classic = {f.name: f for f in parse_classic(text)}
    # The classic parser names a counter's family without `_total`, as the OpenMetrics one does.
    assert sends(classic) == sends(families)
    assert classic["larkfeed_long_connections"].type == "gauge"
    assert classic["larkfeed_request_duration_seconds"].type == "histogram"
