"""The Python bot framework (lark-channel-sdk, `FeishuChannel`), unchanged, with images: a user
sends the bot an image; the bot downloads it (`download_resource` with the message, through the
message-resource API) and sends it back with `channel.reply(msg, {"image": {"source": bytes}})`,
which uploads it. The bot's image is read back through the official lark-oapi client as the app."""

import asyncio
import base64
import json
import time

import lark_oapi as lark
from lark_oapi.api.im.v1 import GetImageRequest, GetMessageRequest
from lark_channel import FeishuChannel

from test_long_connection import call, wait_connected

PNG = bytes([0x89, 0x50, 0x4E, 0x47, 13, 10, 26, 10, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 7, 7, 7])


async def _run_bot(server, app, user):
    channel = FeishuChannel(app_id=app["app_id"], app_secret=app["app_secret"], domain=server.base)
    seen = {"done": [], "failures": []}

    async def on_message(msg):
        try:
            key = msg.resources[0].file_key
            image = await channel.download_resource(key, "image", message_id=msg.message_id)
            sent = await channel.reply(msg, {"image": {"source": image}})
            seen["done"].append(dict(msg=msg, key=key, image=image, sent=sent))
        except Exception as e:  # the test reports it
            seen["failures"].append(e)

    channel.on("message", on_message)
    await channel.start_background(timeout=20)
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, wait_connected, server.base, app["app_id"])
        up = await loop.run_in_executor(None, lambda: call(server.base, "POST", "/_larkfeed/act/upload", {
            "user": user, "type": "image", "data": base64.b64encode(PNG).decode()}))
        assert up.get("image_key", "").startswith("img_"), up
        acted = await loop.run_in_executor(None, lambda: call(server.base, "POST", "/_larkfeed/act/send_message", {
            "user": user, "to_app": app["app_id"], "msg_type": "image",
            "content": json.dumps({"image_key": up["image_key"]})}))
        assert acted["delivered"] is True, acted
        deadline = time.time() + 20
        while not seen["done"] and not seen["failures"] and time.time() < deadline:
            await asyncio.sleep(0.05)
        return seen, up["image_key"]
    finally:
        await channel.disconnect()


def test_a_feishu_channel_bot_reads_a_users_image_and_sends_one_back(server):
    app = server.other_app
    seen, user_key = asyncio.run(_run_bot(server, app, server.open_id(4, app=1)))
    assert seen["failures"] == []
    done = seen["done"][0]
    assert done["key"] == user_key
    assert done["image"] == PNG, "the bot read the bytes the user sent"
    assert done["sent"].success, done["sent"]

    client = lark.Client.builder().app_id(app["app_id"]).app_secret(app["app_secret"]) \
        .domain(server.base).log_level(lark.LogLevel.ERROR).build()
    got = client.im.v1.message.get(GetMessageRequest.builder().message_id(done["sent"].message_id).build())
    assert got.success(), got.msg
    item = got.data.items[0]
    assert item.msg_type == "image"
    assert item.parent_id == done["msg"].message_id
    bot_key = json.loads(item.body.content)["image_key"]
    image = client.im.v1.image.get(GetImageRequest.builder().image_key(bot_key).build())
    assert image.success(), image.msg
    assert image.file.read() == PNG
