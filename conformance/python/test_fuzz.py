"""Property-based fuzzing of every Open API route with hypothesis: well-formed requests with
random values, bodies of random JSON, raw bytes, odd query strings. Whatever arrives, the server
answers with the envelope (a JSON object with an integer `code`) and an X-Tt-Logid header, never
a 5xx, and is still up afterwards. Bounded to well under a minute."""

import json
import urllib.error
import urllib.request

import pytest
from conftest import Server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROUTES = [
    ("POST", "/open-apis/auth/v3/tenant_access_token/internal"),
    ("POST", "/open-apis/auth/v3/app_access_token/internal"),
    ("POST", "/open-apis/im/v2/app_feed_card"),
    ("PUT", "/open-apis/im/v2/app_feed_card/batch"),
    ("DELETE", "/open-apis/im/v2/app_feed_card/batch"),
    ("PATCH", "/open-apis/im/v2/feed_cards/oc_x"),
    ("PATCH", "/open-apis/im/v2/feed_cards/bot_time_sentive"),
    ("PUT", "/open-apis/im/v2/chat_button"),
    ("POST", "/open-apis/im/v1/messages"),
    ("GET", "/open-apis/im/v1/messages/om_x"),
    ("PATCH", "/open-apis/im/v1/messages/om_x"),
    ("DELETE", "/open-apis/im/v1/messages/om_x"),
    ("POST", "/open-apis/im/v1/chats"),
    ("POST", "/open-apis/im/v1/chats/oc_x/members"),
    ("GET", "/open-apis/im/v1/chats/oc_x/members"),
    ("GET", "/open-apis/im/v1/chats/oc_x"),
    ("POST", "/_larkfeed/clock"),
    ("GET", "/_larkfeed/users/x/feed"),
]

FIELDS = ["app_feed_card", "user_ids", "feed_cards", "biz_id", "title", "preview", "link",
          "buttons", "status_label", "update_fields", "time_sensitive", "chat_id", "receive_id",
          "msg_type", "content", "uuid", "name", "id_list", "app_id", "app_secret", "set_ms",
          "advance_ms", "frozen", "notify", "user_id"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**63 - 1)
    | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), children, max_size=5),
    max_leaves=20,
)
bodies = (
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6).map(lambda d: json.dumps(d).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
    | st.text(max_size=100).map(str.encode)
)
queries = st.dictionaries(
    st.sampled_from(["user_id_type", "receive_id_type", "member_id_type", "page_size", "page_token"]),
    st.sampled_from(["open_id", "union_id", "user_id", "chat_id", "email", "app_id", "0", "101", "x", "%zz", ""]),
    max_size=3,
)


def send(server, token, method, path, query, body):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    req = urllib.request.Request(server.base + path + ("?" + qs if qs else ""), data=body, method=method)
    req.add_header("Content-Type", "application/json; charset=utf-8")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def fuzzed():
    """A server of its own: the fuzzing moves its clock and fills its tables."""
    s = Server("off")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def token(fuzzed):
    server = fuzzed
    req = urllib.request.Request(
        server.base + "/open-apis/auth/v3/tenant_access_token/internal",
        data=json.dumps({"app_id": server.app["app_id"], "app_secret": server.app["app_secret"]}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(req) as r:
        return json.load(r)["tenant_access_token"]


@settings(max_examples=2000, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), query=queries, body=bodies, with_token=st.booleans())
def test_any_request_gets_the_envelope_and_never_a_5xx(fuzzed, token, route, query, body, with_token):
    method, path = route
    status, headers, raw = send(fuzzed, token if with_token else None, method, path, query, body)
    assert status < 500, (status, raw)
    assert headers.get("X-Tt-Logid"), (status, raw)
    answer = json.loads(raw)
    assert isinstance(answer, dict), raw
    if status == 200 and path.startswith("/_larkfeed/"):
        return  # larkfeed's own admin answers have their own shape; their errors do not
    assert isinstance(answer.get("code"), int), raw
    if status != 200:
        assert answer["code"] != 0, raw


def test_the_server_is_alive_after_the_fuzzing(fuzzed):
    with urllib.request.urlopen(fuzzed.base + "/_larkfeed/health") as r:
        assert r.status == 200
