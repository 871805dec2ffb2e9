"""The Python bot framework (lark-channel-sdk, `FeishuChannel`), unchanged, over the long
connection: it answers a user's question with a card that has a button, a user clicks it, the framework
hands the click to the bot's `cardAction` handler, and the bot updates the card (`update_card`).
Then a member takes the bot out of the group and the framework tells the bot (`botLeave`). Each
outcome is read back through the official lark-oapi client as the app."""

import asyncio
import json
import time
import urllib.request

import lark_oapi as lark
from lark_oapi.api.im.v1 import GetChatRequest, GetMessageRequest
from lark_channel import FeishuChannel

from test_long_connection import call, say, wait_connected


def card(text, button=None):
    elements = [{"tag": "markdown", "content": text}]
    if button:
        elements.append({"tag": "button", "text": {"tag": "plain_text", "content": button},
                         "behaviors": [{"type": "callback", "value": {"choice": "approve"}}]})
    return {"schema": "2.0", "config": {"update_multi": True}, "body": {"elements": elements}}


async def _until(check, seen, timeout=20):
    deadline = time.time() + timeout
    while not check() and not seen["failures"] and time.time() < deadline:
        await asyncio.sleep(0.05)


async def _run_bot(server, app, asker):
    channel = FeishuChannel(app_id=app["app_id"], app_secret=app["app_secret"], domain=server.base)
    seen = {"sent": [], "clicks": [], "updated": [], "left": [], "failures": []}

    async def on_message(msg):
        try:
            sent = await channel.send(msg.chat_id, {"card": card("Deploy to production?", "Approve")})
            seen["sent"].append(sent)
        except Exception as e:  # the test reports it
            seen["failures"].append(e)

    async def on_card_action(evt):
        try:
            seen["clicks"].append(evt)
            updated = await channel.update_card(evt.message_id, card(f"Approved by {evt.operator.open_id}"))
            seen["updated"].append(updated)
        except Exception as e:
            seen["failures"].append(e)

    async def on_bot_leave(evt):
        seen["left"].append(evt)

    channel.on("message", on_message)
    channel.on("cardAction", on_card_action)
    channel.on("botLeave", on_bot_leave)
    await channel.start_background(timeout=20)
    loop = asyncio.get_running_loop()

    def act(path, body):
        return call(server.base, "POST", path, body)

    client = lark.Client.builder().app_id(app["app_id"]).app_secret(app["app_secret"]) \
        .domain(server.base).log_level(lark.LogLevel.ERROR).build()

    def read(message_id):
        return client.im.v1.message.get(GetMessageRequest.builder().message_id(message_id).build())

    try:
        await loop.run_in_executor(None, wait_connected, server.base, app["app_id"])
        asked = await loop.run_in_executor(None, say, server.base, asker, app["app_id"], "can we deploy?")
        assert asked["delivered"] is True, asked
        await _until(lambda: seen["sent"], seen)
        assert seen["sent"] and seen["sent"][0].success, seen
        message_id = seen["sent"][0].message_id
        clicked = await loop.run_in_executor(None, lambda: act("/_larkfeed/act/card_action", {
            "user": asker, "message_id": message_id,
            "action": {"tag": "button", "value": {"choice": "approve"}}}))
        assert clicked["delivered"] is True, clicked
        await _until(lambda: seen["updated"], seen)
        seen["after_click"] = await loop.run_in_executor(None, read, message_id)
        # A group the app made, which a member then takes the bot out of.
        token = call(server.base, "POST", "/open-apis/auth/v3/tenant_access_token/internal",
                     {"app_id": app["app_id"], "app_secret": app["app_secret"]})["tenant_access_token"]
        req = urllib.request.Request(
            f"{server.base}/open-apis/im/v1/chats?user_id_type=open_id", method="POST",
            data=json.dumps({"name": "card actions", "user_id_list": [asker]}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req) as resp:
            chat_id = json.load(resp)["data"]["chat_id"]
        left = await loop.run_in_executor(None, lambda: act("/_larkfeed/act/remove_bot", {
            "user": asker, "chat_id": chat_id, "app_id": app["app_id"]}))
        assert left["delivered"] is True, left
        await _until(lambda: seen["left"], seen)
        return seen, chat_id, message_id, read
    finally:
        await channel.disconnect()


def test_a_feishu_channel_bot_updates_its_card_when_clicked_and_hears_it_left(server):
    app = server.other_app
    asker = server.open_id(3, app=1)
    seen, chat_id, message_id, read = asyncio.run(_run_bot(server, app, asker))
    assert seen["failures"] == []
    click = seen["clicks"][0]
    assert click.message_id == message_id and click.chat_id.startswith("oc_")
    assert click.operator.open_id == asker
    assert click.action.tag == "button" and click.action.value == {"choice": "approve"}
    assert seen["updated"][0].success, seen["updated"]
    assert seen["left"] and seen["left"][0].chat_id == chat_id
    assert seen["left"][0].operator.open_id == asker

    # Read back through lark-oapi as the app: the card is the one the bot wrote on the click.
    got = seen["after_click"]
    assert got.success(), got.msg
    message = got.data.items[0]
    assert message.updated is True and message.msg_type == "interactive"
    assert f"Approved by {asker}" in message.body.content
    assert "Deploy to production?" not in message.body.content
    # Out of the group, the bot reads the chat no more.
    client = lark.Client.builder().app_id(app["app_id"]).app_secret(app["app_secret"]) \
        .domain(server.base).log_level(lark.LogLevel.ERROR).build()
    gone = client.im.v1.chat.get(GetChatRequest.builder().chat_id(chat_id).build())
    assert gone.code == 232011, gone.msg


def test_the_name_lookup_the_framework_uses_reads_users_in_a_batch(server):
    """lark-channel-sdk names senders through `contact.v3.user.batch`; read here through lark-oapi."""
    from lark_oapi.api.contact.v3 import BatchUserRequest

    app = server.app
    client = lark.Client.builder().app_id(app["app_id"]).app_secret(app["app_secret"]) \
        .domain(server.base).log_level(lark.LogLevel.ERROR).build()
    ids = [server.open_id(1), server.open_id(0), "ou_nobody"]
    got = client.contact.v3.user.batch(
        BatchUserRequest.builder().user_ids(ids).user_id_type("open_id").build())
    assert got.success(), got.msg
    assert [u.open_id for u in got.data.items] == ids[:2]
    assert got.data.items[1].name == app["users"][0]["name"]
