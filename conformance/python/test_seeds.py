"""The seed documents' Python examples, run through the official SDK (lark-oapi) against larkfeed.
Builders and values are the seeds'; only credentials, domain and ids are changed."""

import json
import uuid

import lark_oapi as lark
import pytest
from lark_oapi.api.im.v1 import (
    CreateChatRequest, CreateChatRequestBody, CreateMessageRequest, CreateMessageRequestBody,
    DeleteMessageRequest, GetMessageRequest, PatchMessageRequest, PatchMessageRequestBody,
)
from lark_oapi.api.im.v2 import (
    AppFeedNotify, CreateAppFeedCardRequest, CreateAppFeedCardRequestBody, OpenAppFeedCard,
    OpenAppFeedCardButton, OpenAppFeedCardButtons, OpenAppFeedCardText, OpenAppFeedCardUrl,
    OpenAppFeedLink, OpenFeedStatusLabel, UpdateChatButtonRequest, UpdateChatButtonRequestBody,
)

SEED_CARD = "{\"elements\":[{\"tag\":\"div\",\"text\":{\"content\":\"This is the plain text\",\"tag\":\"plain_text\"}}],\"header\":{\"template\":\"blue\",\"title\":{\"content\":\"This is the title\",\"tag\":\"plain_text\"}}}"


def client_for(server, app=None):
    app = app or server.app
    return lark.Client.builder() \
        .app_id(app["app_id"]) \
        .app_secret(app["app_secret"]) \
        .domain(server.base) \
        .log_level(lark.LogLevel.DEBUG) \
        .build()


def seed_feed_card_request(user_ids, biz_id="096e2927-40a6-41a3-9562-314d641d09ae", title="主标题"):
    # Seed 003, Python SDK example.
    return CreateAppFeedCardRequest.builder() \
        .user_id_type("open_id") \
        .request_body(CreateAppFeedCardRequestBody.builder()
            .app_feed_card(OpenAppFeedCard.builder()
                .biz_id(biz_id)
                .title(title)
                .avatar_key("v3_0041_007bca9f-67ba-4199-bf00-4031b12cf226")
                .preview("预览信息")
                .status_label(OpenFeedStatusLabel.builder()
                    .text("标签文字")
                    .type("primary")
                    .build())
                .buttons(OpenAppFeedCardButtons.builder()
                    .buttons([OpenAppFeedCardButton.builder()
                        .multi_url(OpenAppFeedCardUrl.builder()
                            .url("https://www.feishu.cn/")
                            .android_url("https://www.feishu.cn/")
                            .ios_url("https://www.feishu.cn/")
                            .pc_url("https://www.feishu.cn/")
                            .build())
                        .action_type("url_page")
                        .text(OpenAppFeedCardText.builder()
                            .text("文本")
                            .build())
                        .button_type("default")
                        .action_map({"foo": "bar"})
                        .build()
                        ])
                    .build())
                .link(OpenAppFeedLink.builder()
                    .link("https://www.feishu.cn/")
                    .build())
                .time_sensitive(False)
                .notify(AppFeedNotify.builder()
                    .close_notify(True)
                    .custom_sound_text("您有新的订单")
                    .with_custom_sound(True)
                    .build())
                .build())
            .user_ids(user_ids)
            .build()) \
        .build()


def seed_chat_button_request(chat_id, user_ids):
    # Seeds 000/001, Python SDK example.
    return UpdateChatButtonRequest.builder() \
        .user_id_type("open_id") \
        .request_body(UpdateChatButtonRequestBody.builder()
            .user_ids(user_ids)
            .chat_id(chat_id)
            .buttons(OpenAppFeedCardButtons.builder()
                .buttons([OpenAppFeedCardButton.builder()
                    .multi_url(OpenAppFeedCardUrl.builder()
                        .url("https://www.feishu.cn/")
                        .android_url("https://www.feishu.cn/")
                        .ios_url("https://www.feishu.cn/")
                        .pc_url("https://www.feishu.cn/")
                        .build())
                    .action_type("url_page")
                    .text(OpenAppFeedCardText.builder()
                        .text("文本")
                        .build())
                    .button_type("default")
                    .action_map({"foo": "bar"})
                    .build()
                    ])
                .build())
            .build()) \
        .build()


def seed_patch_request(message_id, content=SEED_CARD):
    # Seed 002, Python SDK example.
    return PatchMessageRequest.builder() \
        .message_id(message_id) \
        .request_body(PatchMessageRequestBody.builder()
            .content(content)
            .build()) \
        .build()


def create_chat(client, user_ids):
    req = CreateChatRequest.builder().user_id_type("open_id") \
        .request_body(CreateChatRequestBody.builder().name("conformance").user_id_list(user_ids).build()).build()
    resp = client.im.v1.chat.create(req)
    assert resp.success(), resp.msg
    return resp.data.chat_id


def send_card(client, receive_id, receive_id_type="open_id", content=SEED_CARD):
    req = CreateMessageRequest.builder().receive_id_type(receive_id_type) \
        .request_body(CreateMessageRequestBody.builder()
                      .receive_id(receive_id).msg_type("interactive").content(content).build()).build()
    resp = client.im.v1.message.create(req)
    assert resp.success(), resp.msg
    return resp.data.message_id


# --- Seed 003: create an app feed card -----------------------------------------------------------

def test_seed_003_creates_an_app_feed_card(server):
    client = client_for(server)
    response = client.im.v2.app_feed_card.create(seed_feed_card_request([server.open_id(0)]))
    assert response.success(), response.msg
    assert response.code == 0
    assert response.data.biz_id == "096e2927-40a6-41a3-9562-314d641d09ae"
    assert not response.data.failed_cards
    assert response.get_log_id()


def test_seed_003_reports_per_user_failures(server):
    client = client_for(server)
    biz_id = str(uuid.uuid4())
    outside = server.open_id(5)  # outside the first app's availability
    response = client.im.v2.app_feed_card.create(seed_feed_card_request([server.open_id(1), outside], biz_id))
    assert response.success()
    assert [(f.user_id, f.reason) for f in response.data.failed_cards] == [(outside, "NO_PERMISSION")]
    again = client.im.v2.app_feed_card.create(seed_feed_card_request([server.open_id(1)], biz_id))
    assert [(f.user_id, f.reason) for f in again.data.failed_cards] == [(server.open_id(1), "DUPLICATED")]


def test_feed_card_validation_error_through_the_sdk(server):
    client = client_for(server)
    response = client.im.v2.app_feed_card.create(seed_feed_card_request([server.open_id(0)], str(uuid.uuid4()), "题" * 61))
    assert not response.success()
    assert response.code == 230001
    assert "app_feed_card.title" in response.msg
    assert json.loads(response.raw.content)["error"]["log_id"] == response.get_log_id()


def test_feed_card_too_many_users_through_the_sdk(server):
    client = client_for(server)
    response = client.im.v2.app_feed_card.create(seed_feed_card_request([f"ou_{i}" for i in range(21)]))
    assert response.code == 230001
    assert "user_ids" in response.msg


# --- Seeds 000/001: chat buttons -----------------------------------------------------------------

def test_seed_000_updates_chat_buttons(server):
    client = client_for(server)
    chat_id = create_chat(client, [server.open_id(0), server.open_id(1)])
    response = client.im.v2.chat_button.update(seed_chat_button_request(chat_id, [server.open_id(0)]))
    assert response.success(), response.msg
    assert not response.data.failed_user_reasons


def test_chat_button_reports_users_outside_the_chat(server):
    client = client_for(server)
    chat_id = create_chat(client, [server.open_id(0)])
    response = client.im.v2.chat_button.update(seed_chat_button_request(chat_id, [server.open_id(0), server.open_id(2)]))
    assert response.success()
    reasons = response.data.failed_user_reasons
    assert [r.user_id for r in reasons] == [server.open_id(2)]
    assert reasons[0].error_message == "The user is not in the chat"


def test_chat_button_bot_not_in_chat_is_230027(server):
    other = client_for(server, server.other_app)
    chat_id = create_chat(other, [server.open_id(0, app=1)])
    response = client_for(server).im.v2.chat_button.update(seed_chat_button_request(chat_id, [server.open_id(0)]))
    assert response.code == 230027


# --- Seed 002: patch a card message --------------------------------------------------------------

def test_seed_002_patches_a_card(server):
    client = client_for(server)
    message_id = send_card(client, server.open_id(0))
    new_card = json.dumps({"elements": [{"tag": "div", "text": {"content": "Patched", "tag": "plain_text"}}]})
    response = client.im.v1.message.patch(seed_patch_request(message_id, new_card))
    assert response.success(), response.msg
    got = client.im.v1.message.get(GetMessageRequest.builder().message_id(message_id).build())
    assert got.success()
    assert got.data.items[0].body.content == new_card
    assert got.data.items[0].updated is True


def test_patch_of_a_recalled_message_is_230011(server):
    client = client_for(server)
    message_id = send_card(client, server.open_id(0))
    recall = client.im.v1.message.delete(DeleteMessageRequest.builder().message_id(message_id).build())
    assert recall.success()
    response = client.im.v1.message.patch(seed_patch_request(message_id))
    assert response.code == 230011


def test_patch_by_another_app_and_of_a_bad_card(server):
    client = client_for(server)
    message_id = send_card(client, server.open_id(0))
    other = client_for(server, server.other_app).im.v1.message.patch(seed_patch_request(message_id))
    assert other.code == 230027
    bad = client.im.v1.message.patch(seed_patch_request(message_id, "{\"not\":\"a card\"}"))
    assert bad.code == 230099
    big = json.dumps({"elements": [{"tag": "markdown", "content": "a" * 31000}]})
    assert client.im.v1.message.patch(seed_patch_request(message_id, big)).code == 230025


# --- Tokens and limits ---------------------------------------------------------------------------

def test_a_wrong_secret_fails_the_token_fetch(server):
    # The SDK caches tokens per app_id, so use an app no other test has fetched a token for.
    app = dict(server.world["apps"][2], app_secret="wrong")
    with pytest.raises(Exception) as info:
        client_for(server, app).im.v2.app_feed_card.create(seed_feed_card_request([server.open_id(0)]))
    assert "10015" in str(info.value) or getattr(info.value, "code", None) == 10015


def test_the_rate_limit_reaches_the_sdk_as_99991400(limited_server):
    client = client_for(limited_server)
    codes = [client.im.v2.app_feed_card.create(seed_feed_card_request([limited_server.open_id(0)], f"rl-{i}")).code
             for i in range(25)]
    # 25 calls within a second or two: one second-window holds more than 10 of them.
    assert 0 in codes
    assert 99991400 in codes
