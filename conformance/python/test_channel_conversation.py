"""The Python bot framework (lark-channel-sdk, `FeishuChannel`), unchanged, over the long
connection, doing what an AI assistant does around its answers: it is told it joined a group; it
marks a user's message `Typing` while it works, replies in a thread, edits a draft, recalls a
slip, takes its reaction off. Each outcome is read back through the official lark-oapi client as
the app."""

import asyncio
import json
import time

import lark_oapi as lark
from lark_oapi.api.im.v1 import GetMessageRequest, ListMessageReactionRequest
from lark_channel import FeishuChannel

from test_long_connection import call, say, wait_connected


async def _run_bot(server, app, asker):
    channel = FeishuChannel(app_id=app["app_id"], app_secret=app["app_secret"], domain=server.base)
    seen = {"added": [], "done": [], "failures": []}

    async def on_bot_added(evt):
        seen["added"].append(evt)

    async def on_message(msg):
        try:
            reaction_id = await channel.add_typing_reaction(msg.message_id)
            reply = await channel.reply(msg, {"text": "Looking into it here."}, {"reply_in_thread": True})
            draft = await channel.send(msg.chat_id, {"text": "draft"})
            edited = await channel.edit_message(draft.message_id, {"text": "The final answer."})
            slip = await channel.send(msg.chat_id, {"text": "sent to the wrong chat"})
            recalled = await channel.recall_message(slip.message_id)
            removed = await channel.remove_typing_reaction(msg.message_id, reaction_id)
            seen["done"].append(dict(msg=msg, reaction_id=reaction_id, reply=reply, draft=draft,
                                     edited=edited, slip=slip, recalled=recalled, removed=removed))
        except Exception as e:  # the test reports it
            seen["failures"].append(e)

    channel.on("botAdded", on_bot_added)
    channel.on("message", on_message)
    await channel.start_background(timeout=20)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, wait_connected, server.base, app["app_id"])
        # Added to a group one of its members made.
        token = call(server.base, "POST", "/open-apis/auth/v3/tenant_access_token/internal",
                     {"app_id": server.app["app_id"], "app_secret": server.app["app_secret"]})["tenant_access_token"]
        import urllib.request
        req = urllib.request.Request(
            f"{server.base}/open-apis/im/v1/chats?user_id_type=open_id", method="POST",
            data=json.dumps({"name": "python conformance", "user_id_list": [server.open_id(0)]}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req) as resp:
            chat_id = json.load(resp)["data"]["chat_id"]
        added = await loop.run_in_executor(None, lambda: call(server.base, "POST", "/_larkfeed/act/add_bot", {
            "user": server.open_id(0), "chat_id": chat_id, "app_id": app["app_id"]}))
        assert added["delivered"] is True, added
        acted = await loop.run_in_executor(None, say, server.base, asker, app["app_id"], "why is the build red?")
        assert acted["delivered"] is True, acted
        deadline = time.time() + 20
        while (not seen["done"] or not seen["added"]) and not seen["failures"] and time.time() < deadline:
            await asyncio.sleep(0.05)
        return seen, chat_id
    finally:
        await channel.disconnect()


def test_a_feishu_channel_bot_reacts_replies_in_a_thread_edits_and_recalls(server):
    app = server.other_app
    seen, chat_id = asyncio.run(_run_bot(server, app, server.open_id(3, app=1)))
    assert seen["failures"] == []
    assert seen["added"] and seen["added"][0].chat_id == chat_id
    done = seen["done"][0]
    assert done["reaction_id"], "the Typing reaction has an id"
    assert done["reply"].success and done["edited"].success and done["recalled"].success, done
    assert done["removed"] is True

    client = lark.Client.builder().app_id(app["app_id"]).app_secret(app["app_secret"]) \
        .domain(server.base).log_level(lark.LogLevel.ERROR).build()

    def get(message_id):
        got = client.im.v1.message.get(GetMessageRequest.builder().message_id(message_id).build())
        assert got.success(), got.msg
        return got.data.items[0]

    reply = get(done["reply"].message_id)
    assert reply.thread_id.startswith("omt_")
    assert reply.parent_id == done["msg"].message_id
    draft = get(done["draft"].message_id)
    assert json.loads(draft.body.content)["text"] == "The final answer."
    assert draft.updated is True
    assert get(done["slip"].message_id).deleted is True
    reactions = client.im.v1.message_reaction.list(
        ListMessageReactionRequest.builder().message_id(done["msg"].message_id).build())
    assert reactions.success(), reactions.msg
    assert not reactions.data.items
