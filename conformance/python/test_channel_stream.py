"""The Python bot framework (lark-channel-sdk, `FeishuChannel`), unchanged, over the long
connection to larkfeed: a user's message reaches the bot, which answers by streaming markdown into
a CardKit card as a reply. The final message, read back through the official lark-oapi client as
the app, holds the whole text, and every CardKit write went through with a rising sequence."""

import asyncio
import json
import time

import lark_oapi as lark
from lark_oapi.api.im.v1 import GetMessageRequest
from lark_channel import FeishuChannel

from test_long_connection import call, say, wait_connected

ANSWER = "Streaming from Python: **larkfeed** kept every write in order, and the card reads back whole."


async def _run_bot(server, app, asked_by):
    channel = FeishuChannel(app_id=app["app_id"], app_secret=app["app_secret"], domain=server.base)
    answered, failures = [], []

    async def on_message(msg):
        try:
            async def producer(ctl):
                for word in ANSWER.split(" "):
                    await ctl.append(word + " ")
                    await asyncio.sleep(0.03)

            result = await channel.stream(msg.chat_id, {"markdown": producer},
                                          {"reply_to": msg.message_id})
            answered.append((msg, result))
        except Exception as e:  # the test reports it
            failures.append(e)

    channel.on("message", on_message)
    await channel.start_background(timeout=20)
    try:
        await asyncio.get_running_loop().run_in_executor(
            None, wait_connected, server.base, app["app_id"])
        acted = await asyncio.get_running_loop().run_in_executor(
            None, say, server.base, asked_by, app["app_id"], "does streaming work from python?")
        assert acted["delivered"] is True, acted
        deadline = time.time() + 20
        while not answered and not failures and time.time() < deadline:
            await asyncio.sleep(0.05)
        return answered, failures
    finally:
        await channel.disconnect()


def test_a_feishu_channel_bot_streams_its_answer_into_a_card(server):
    app = server.other_app
    answered, failures = asyncio.run(_run_bot(server, app, server.open_id(2, app=1)))
    assert failures == []
    assert answered, "the bot answered"
    question, result = answered[0]
    assert result.success, result
    message_id = result.message_id
    assert message_id.startswith("om_")

    client = lark.Client.builder().app_id(app["app_id"]).app_secret(app["app_secret"]) \
        .domain(server.base).log_level(lark.LogLevel.ERROR).build()
    got = client.im.v1.message.get(GetMessageRequest.builder().message_id(message_id).build())
    assert got.success(), got.msg
    item = got.data.items[0]
    assert item.msg_type == "interactive"
    assert item.parent_id == question.message_id, "a reply to the question"
    card = json.loads(item.body.content)
    texts = [e.get("content", "") for e in card["body"]["elements"] if e.get("tag") == "markdown"]
    assert any(t.strip() == ANSWER for t in texts), texts
    assert card["config"]["streaming_mode"] is False

    log = call(server.base, "GET", f"/_larkfeed/requests?app_id={app['app_id']}&limit=300")["items"]
    writes = [r for r in reversed(log)
              if "/open-apis/cardkit/v1/cards/" in r["path"] and r["method"] != "POST"]
    assert len(writes) >= 2, [w["path"] for w in writes]
    assert all(w["code"] == 0 for w in writes), [w for w in writes if w["code"] != 0]
    sequences = [w["request"]["sequence"] for w in writes]
    assert sequences == sorted(set(sequences)), sequences
