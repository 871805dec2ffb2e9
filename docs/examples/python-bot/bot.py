"""A small Feishu bot on the official SDK (lark-oapi): it echoes what a user writes, answers
"deploy" with a card that has an Approve button, and turns the card into "Approved" when the
button is clicked. It serves the platform's events and card callbacks over HTTP."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lark_oapi as lark
from lark_oapi.api.im.v1 import ReplyMessageRequest, ReplyMessageRequestBody
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse


def deploy_card(state, who=None):
    text = "Deploy **main** to production?" if state == "asking" else f"Approved by {who}"
    elements = [{"tag": "markdown", "content": text}]
    if state == "asking":
        elements.append({"tag": "button", "text": {"tag": "plain_text", "content": "Approve"},
                         "type": "primary", "behaviors": [{"type": "callback", "value": {"deploy": "main"}}]})
    return {"schema": "2.0", "config": {"update_multi": True}, "body": {"elements": elements}}


class Bot:
    def __init__(self, client, encrypt_key="", verification_token=""):
        self.client = client
        self.handler = (lark.EventDispatcherHandler.builder(encrypt_key, verification_token)
                        .register_p2_im_message_receive_v1(self.on_message)
                        .register_p2_card_action_trigger(self.on_click)
                        .build())
        handler = self.handler

        class Http(BaseHTTPRequestHandler):
            def do_POST(self):
                req = lark.RawRequest()
                req.uri = self.path
                req.body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                req.headers = dict(self.headers.items())
                resp = handler.do(req)
                self.send_response(resp.status_code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(resp.content or b"")

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Http)
        self.url = f"http://127.0.0.1:{self.http.server_port}/feishu"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def reply(self, message_id, msg_type, content):
        answer = self.client.im.v1.message.reply(
            ReplyMessageRequest.builder().message_id(message_id)
            .request_body(ReplyMessageRequestBody.builder().msg_type(msg_type)
                          .content(json.dumps(content)).build())
            .build())
        if not answer.success():
            raise RuntimeError(f"reply failed: {answer.code} {answer.msg}")

    def on_message(self, data):
        message = data.event.message
        text = json.loads(message.content).get("text", "")
        if text.strip().lower() == "deploy":
            self.reply(message.message_id, "interactive", deploy_card("asking"))
        else:
            self.reply(message.message_id, "text", {"text": f"You said: {text}"})

    def on_click(self, data):
        who = data.event.operator.open_id
        return P2CardActionTriggerResponse({
            "toast": {"type": "success", "content": "Deploying"},
            "card": {"type": "raw", "data": deploy_card("approved", who)},
        })

    def stop(self):
        self.http.shutdown()
