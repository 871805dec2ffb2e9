"""The platform's side of the conversation, received by lark-oapi's own EventDispatcherHandler
running as a real app on loopback: card clicks (p2 card.action.trigger) and messages users send
(p2 im.message.receive_v1), with and without an encrypt key; a wrong key or token is refused by
the SDK; the delayed card update with the callback's token."""

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lark_oapi as lark
import pytest
from lark_oapi.api.im.v1 import (
    CreateMessageRequest, CreateMessageRequestBody, GetMessageRequest,
)
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse

CARD = {"config": {"update_multi": True},
        "header": {"title": {"tag": "plain_text", "content": "Order 42"}},
        "elements": [{"tag": "action", "actions": [
            {"tag": "button", "text": {"tag": "plain_text", "content": "Approve"},
             "type": "primary", "value": {"order": "42"}}]}]}


class App:
    """An app built on lark-oapi: the SDK's handler behind a plain HTTP server on a free port."""

    def __init__(self, encrypt_key, verification_token):
        self.clicks, self.messages = [], []
        self.handler = lark.EventDispatcherHandler.builder(encrypt_key, verification_token) \
            .register_p2_card_action_trigger(self.on_click) \
            .register_p2_im_message_receive_v1(self.on_message) \
            .build()
        handler = self.handler

        class Http(BaseHTTPRequestHandler):
            def do_POST(self):
                req = lark.RawRequest()
                req.uri = self.path
                req.body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                req.headers = {k: v for k, v in self.headers.items()}
                resp = handler.do(req)
                self.send_response(resp.status_code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(resp.content or b"")

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Http)
        self.url = f"http://127.0.0.1:{self.http.server_port}/webhook"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def on_click(self, data):
        self.clicks.append(data)
        return P2CardActionTriggerResponse({
            "toast": {"type": "success", "content": "Approved"},
            "card": {"type": "raw", "data": {
                "config": {"update_multi": True},
                "elements": [{"tag": "div", "text": {"tag": "plain_text", "content": "Approved by you"}}]}},
        })

    def on_message(self, data):
        self.messages.append(data)

    def stop(self):
        self.http.shutdown()


def admin(server, method, path, body=None):
    req = urllib.request.Request(server.base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def client_for(server, app):
    return lark.Client.builder().app_id(app["app_id"]).app_secret(app["app_secret"]) \
        .domain(server.base).log_level(lark.LogLevel.ERROR).build()


def send_card(client, open_id):
    resp = client.im.v1.message.create(CreateMessageRequest.builder()
        .receive_id_type("open_id")
        .request_body(CreateMessageRequestBody.builder()
            .receive_id(open_id).msg_type("interactive").content(json.dumps(CARD)).build())
        .build())
    assert resp.success(), resp.msg
    return resp.data.message_id


@pytest.fixture(params=["encrypted", "plain"])
def app(request, server):
    key = "an-encrypt-key" if request.param == "encrypted" else ""
    a = App(key, "a-verification-token")
    status, body = admin(server, "PUT", f"/_larkfeed/apps/{server.app['app_id']}", {
        "callback_url": a.url, "event_url": a.url,
        "encrypt_key": key or None, "verification_token": "a-verification-token"})
    assert status == 200, body
    yield a
    admin(server, "PUT", f"/_larkfeed/apps/{server.app['app_id']}",
          {"callback_url": None, "event_url": None, "encrypt_key": None, "verification_token": None})
    a.stop()


def test_a_click_reaches_the_sdk_handler_and_its_card_replaces_the_message(server, app):
    client = client_for(server, server.app)
    alice = server.open_id(0)
    message_id = send_card(client, alice)
    status, acted = admin(server, "POST", "/_larkfeed/act/card_action", {
        "user": alice, "message_id": message_id,
        "action": {"tag": "button", "value": {"order": "42"}}})
    assert status == 200, acted
    assert acted["delivered"] is True and acted["status"] == 200, acted
    assert acted["applied"]["toast"] == {"type": "success", "content": "Approved"}
    assert acted["applied"]["card_updated"] is True
    click = app.clicks[-1]
    assert click.header.event_type == "card.action.trigger"
    assert click.header.app_id == server.app["app_id"]
    assert click.event.operator.open_id == alice
    assert click.event.operator.union_id == server.app["users"][0]["union_id"]
    assert click.event.action.value == {"order": "42"} and click.event.action.tag == "button"
    assert click.event.host == "im_message"
    assert click.event.context.open_message_id == message_id
    assert click.event.token.startswith("c-")
    # The delivery log shows what was sent, but not the app's verification token or key.
    status, log = admin(server, "GET", f"/_larkfeed/deliveries?app_id={server.app['app_id']}&limit=10")
    text = json.dumps(log)
    assert log["items"] and "a-verification-token" not in text and "an-encrypt-key" not in text
    got = client.im.v1.message.get(GetMessageRequest.builder().message_id(message_id).build())
    assert got.success(), got.msg
    assert got.data.items[0].updated is True
    assert "Approved by you" in got.data.items[0].body.content

    # The delayed update with the callback's token: twice, then the token is used up.
    update = lark.BaseRequest.builder().http_method(lark.HttpMethod.POST) \
        .uri("/open-apis/interactive/v1/card/update") \
        .token_types({lark.AccessTokenType.TENANT})
    for n in range(2):
        resp = client.request(update.body({"token": click.event.token, "card": {
            "open_ids": [alice], "config": {"update_multi": True},
            "elements": [{"tag": "div", "text": {"tag": "plain_text", "content": f"later {n}"}}]}}).build())
        assert resp.code == 0, resp.msg
    resp = client.request(update.body({"token": click.event.token, "card": {
        "open_ids": [alice], "elements": []}}).build())
    assert resp.code == 300040, resp.msg
    got = client.im.v1.message.get(GetMessageRequest.builder().message_id(message_id).build())
    assert "later 1" in got.data.items[0].body.content


def test_a_message_to_the_bot_reaches_the_sdk_handler(server, app):
    alice = server.open_id(0)
    status, acted = admin(server, "POST", "/_larkfeed/act/send_message", {
        "user": alice, "to_app": server.app["app_id"], "msg_type": "text",
        "content": json.dumps({"text": "hello bot"})})
    assert status == 200, acted
    assert acted["delivered"] is True, acted
    event = app.messages[-1]
    assert event.header.event_type == "im.message.receive_v1"
    assert event.event.sender.sender_id.open_id == alice
    assert event.event.sender.sender_type == "user"
    assert event.event.message.chat_type == "p2p"
    assert event.event.message.message_type == "text"
    assert json.loads(event.event.message.content) == {"text": "hello bot"}
    assert event.event.message.message_id == acted["applied"]["message_id"]
    # The app reads it back through the messages API, sent by the user.
    got = client_for(server, server.app).im.v1.message.get(
        GetMessageRequest.builder().message_id(event.event.message.message_id).build())
    assert got.success(), got.msg
    assert got.data.items[0].sender.sender_type == "user"
    assert got.data.items[0].sender.id == alice


@pytest.mark.parametrize("setting", ["encrypt_key", "verification_token"])
def test_a_wrong_key_or_token_is_refused_by_the_sdk(server, setting):
    a = App("the-right-key", "the-right-token")
    app_id = server.app["app_id"]
    try:
        status, body = admin(server, "PUT", f"/_larkfeed/apps/{app_id}", {
            "callback_url": a.url, "encrypt_key": "the-right-key",
            "verification_token": "the-right-token"})
        assert status == 200, body
        # Change only the key or token on the platform's side (no URL change, so no URL check).
        status, body = admin(server, "PUT", f"/_larkfeed/apps/{app_id}", {setting: "a-wrong-one"})
        assert status == 200, body
        client = client_for(server, server.app)
        message_id = send_card(client, server.open_id(0))
        status, acted = admin(server, "POST", "/_larkfeed/act/card_action", {
            "user": server.open_id(0), "message_id": message_id, "action": {"tag": "button"}})
        assert status == 200, acted
        assert acted["delivered"] is False and acted["status"] == 500, acted
        assert acted["applied"]["toast"]["type"] == "error"
        assert a.clicks == []
    finally:
        admin(server, "PUT", f"/_larkfeed/apps/{app_id}", {
            "callback_url": None, "encrypt_key": None, "verification_token": None})
        a.stop()


def test_a_url_that_does_not_echo_the_challenge_is_refused(server):
    a = App("k", "the-token")  # the SDK refuses a challenge carrying another token
    try:
        status, body = admin(server, "PUT", f"/_larkfeed/apps/{server.app['app_id']}", {
            "event_url": a.url, "encrypt_key": "k", "verification_token": "not-the-token"})
        assert status == 400 and body["code"] == 230001, body
        assert "url_verification" in body["msg"] and "event_url" in body["msg"], body
        status, now = admin(server, "GET", f"/_larkfeed/apps/{server.app['app_id']}")
        assert now["event_url"] is None, "nothing was stored"
    finally:
        a.stop()
