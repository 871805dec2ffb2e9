"""The bot's tests, on pytest-larkfeed: each test has a tenant of its own, so they run in
parallel (`pytest -n 4`) without seeing each other."""

import json

import pytest
from lark_oapi.api.im.v1 import GetMessageRequest, ListMessageRequest

from bot import Bot


@pytest.fixture
def bot(tenant, lark_client):
    bot = Bot(lark_client)
    tenant.point_app_at(bot.url)
    yield bot
    bot.stop()


def messages_in(lark_client, chat_id):
    answer = lark_client.im.v1.message.list(
        ListMessageRequest.builder().container_id_type("chat").container_id(chat_id).build())
    assert answer.success(), answer.msg
    return answer.data.items


def test_the_bot_echoes(bot, tenant, lark_client):
    acted = tenant.say("Alice Zhang", "hello there")
    assert acted["delivered"] is True, acted
    reply = tenant.wait_for("message.sent", lambda c: c.get("app_id") == tenant.app["app_id"])
    chat_id = reply["data"]["chat_id"]
    texts = [json.loads(m.body.content).get("text") for m in messages_in(lark_client, chat_id)]
    assert texts == ["hello there", "You said: hello there"]


def test_a_click_approves_the_deploy(bot, tenant, lark_client):
    tenant.say("Alice Zhang", "deploy")
    card = tenant.wait_for("message.sent", lambda c: c.get("app_id") == tenant.app["app_id"])
    message_id = card["data"]["message_id"]
    clicked = tenant.click("Alice Zhang", message_id, {"deploy": "main"})
    assert clicked["applied"]["toast"] == {"type": "success", "content": "Deploying"}
    got = lark_client.im.v1.message.get(GetMessageRequest.builder().message_id(message_id).build())
    assert "Approved by " + tenant.user("Alice Zhang")["open_id"] in got.data.items[0].body.content


def test_each_test_has_its_own_tenant(tenant, lark_client):
    # Nothing another test did shows here.
    assert tenant.requests() == []
    assert tenant.deliveries() == []


@pytest.mark.parametrize("text", ["one", "two", "three"])
def test_echoes_in_parallel(bot, tenant, lark_client, text):
    tenant.say("Bob Li", text)
    reply = tenant.wait_for("message.sent", lambda c: c.get("app_id") == tenant.app["app_id"])
    assert json.loads(reply["request"]["content"]) == {"text": f"You said: {text}"}
