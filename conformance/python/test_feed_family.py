"""The rest of the app feed card family through the official Python SDK (lark-oapi): batch update
and delete, and the time-sensitive state of group and bot entries, checked in each user's feed."""

import json
import urllib.request
import uuid

from lark_oapi.api.im.v1 import (
    CreateChatRequest, CreateChatRequestBody, GetChatRequest, IsInChatChatMembersRequest,
)
from lark_oapi.api.im.v2 import (
    BotTimeSentiveFeedCardRequest, BotTimeSentiveFeedCardRequestBody,
    DeleteAppFeedCardBatchRequest, DeleteAppFeedCardBatchRequestBody, OpenAppFeedCard,
    OpenFeedStatusLabel, PatchFeedCardRequest, PatchFeedCardRequestBody,
    UpdateAppFeedCardBatchRequest, UpdateAppFeedCardBatchRequestBody, UserOpenAppFeedCardDeleter,
    UserOpenAppFeedCardUpdater,
)

from test_seeds import client_for, seed_feed_card_request


def feed(server, user_id):
    with urllib.request.urlopen(f"{server.base}/_larkfeed/users/{user_id}/feed") as resp:
        return json.load(resp)["data"]["entries"]


def card_in_feed(server, user_id, biz_id):
    return next((e for e in feed(server, user_id) if e.get("biz_id") == biz_id), None)


def new_card(server, users):
    biz_id = str(uuid.uuid4())
    response = client_for(server).im.v2.app_feed_card.create(seed_feed_card_request(users, biz_id))
    assert response.success(), response.msg
    return biz_id


def update_request(user, card, fields):
    return UpdateAppFeedCardBatchRequest.builder() \
        .user_id_type("open_id") \
        .request_body(UpdateAppFeedCardBatchRequestBody.builder()
            .feed_cards([UserOpenAppFeedCardUpdater.builder()
                .app_feed_card(card)
                .user_id(user)
                .update_fields(fields)
                .build()])
            .build()) \
        .build()


def test_batch_update_changes_only_the_named_fields(server):
    user = server.open_id(0)
    biz_id = new_card(server, [user])
    card = OpenAppFeedCard.builder().biz_id(biz_id).title("已更新").preview("not named") \
        .status_label(OpenFeedStatusLabel.builder().text("完成").type("success").build()).build()
    response = client_for(server).im.v2.app_feed_card_batch.update(update_request(user, card, ["1", "10", "102"]))
    assert response.success(), response.msg
    assert not response.data.failed_cards
    entry = card_in_feed(server, user, biz_id)
    assert entry["card"]["title"] == "已更新"
    assert entry["card"]["preview"] == "预览信息"
    assert entry["card"]["status_label"] == {"text": "完成", "type": "success"}


def test_batch_update_of_a_missing_card_is_not_created(server):
    user = server.open_id(0)
    card = OpenAppFeedCard.builder().biz_id("never-created").title("x").build()
    response = client_for(server).im.v2.app_feed_card_batch.update(update_request(user, card, ["1"]))
    assert response.success()
    assert [(f.biz_id, f.user_id, f.reason) for f in response.data.failed_cards] == \
        [("never-created", user, "NOT_CREATED")]


def test_batch_update_rule_is_230001_through_the_sdk(server):
    card = OpenAppFeedCard.builder().biz_id("b").build()
    response = client_for(server).im.v2.app_feed_card_batch.update(update_request(server.open_id(0), card, ["7"]))
    assert response.code == 230001
    assert "feed_cards[0].update_fields[0]" in response.msg


def test_batch_delete_removes_the_card(server):
    user = server.open_id(1)
    biz_id = new_card(server, [user])
    request = DeleteAppFeedCardBatchRequest.builder() \
        .user_id_type("open_id") \
        .request_body(DeleteAppFeedCardBatchRequestBody.builder()
            .feed_cards([
                UserOpenAppFeedCardDeleter.builder().biz_id(biz_id).user_id(user).build(),
                UserOpenAppFeedCardDeleter.builder().biz_id("never-created").user_id(user).build(),
            ])
            .build()) \
        .build()
    response = client_for(server).im.v2.app_feed_card_batch.delete(request)
    assert response.success(), response.msg
    assert [(f.biz_id, f.reason) for f in response.data.failed_cards] == [("never-created", "NOT_CREATED")]
    assert card_in_feed(server, user, biz_id) is None


def test_feed_cards_patch_pins_a_group_entry(server):
    client = client_for(server)
    members = [server.open_id(2), server.open_id(3)]
    chat = client.im.v1.chat.create(CreateChatRequest.builder().user_id_type("open_id")
        .request_body(CreateChatRequestBody.builder().name("pinned").user_id_list(members).build()).build())
    assert chat.success(), chat.msg
    chat_id = chat.data.chat_id
    request = PatchFeedCardRequest.builder() \
        .feed_card_id(chat_id) \
        .user_id_type("open_id") \
        .request_body(PatchFeedCardRequestBody.builder()
            .time_sensitive(True)
            .user_ids([server.open_id(2), server.open_id(4)])
            .build()) \
        .build()
    response = client.im.v2.feed_card.patch(request)
    assert response.success(), response.msg
    assert [(f.user_id, f.error_message) for f in response.data.failed_user_reasons] == \
        [(server.open_id(4), "The user is not in the chat")]
    top = feed(server, server.open_id(2))[0]
    assert (top["chat_id"], top["time_sensitive"]) == (chat_id, True)


def test_chat_get_reads_the_chat_back(server):
    client = client_for(server)
    members = [server.open_id(2), server.open_id(3)]
    chat = client.im.v1.chat.create(CreateChatRequest.builder().user_id_type("open_id")
        .request_body(CreateChatRequestBody.builder().name("read back").description("d")
            .owner_id(server.open_id(2)).user_id_list(members).build()).build())
    assert chat.success(), chat.msg
    got = client.im.v1.chat.get(GetChatRequest.builder().chat_id(chat.data.chat_id)
        .user_id_type("open_id").build())
    assert got.success(), got.msg
    d = got.data
    assert (d.name, d.description, d.owner_id, d.owner_id_type) == \
        ("read back", "d", server.open_id(2), "open_id")
    assert (d.chat_mode, d.chat_type, d.external) == ("group", "private", False)
    assert (d.user_count, d.bot_count) == ("2", "1")
    missing = client.im.v1.chat.get(GetChatRequest.builder().chat_id("oc_missing").build())
    assert missing.code == 232006


def test_chat_members_is_in_chat_answers_for_the_calling_bot(server):
    chat = client_for(server).im.v1.chat.create(CreateChatRequest.builder().user_id_type("open_id")
        .request_body(CreateChatRequestBody.builder().name("who is in")
            .user_id_list([server.open_id(2)]).build()).build())
    assert chat.success(), chat.msg
    ask = IsInChatChatMembersRequest.builder().chat_id(chat.data.chat_id).build()
    inside = client_for(server).im.v1.chat_members.is_in_chat(ask)
    assert inside.success(), inside.msg
    assert inside.data.is_in_chat is True
    outside = client_for(server, server.other_app).im.v1.chat_members.is_in_chat(ask)
    assert outside.success(), outside.msg
    assert outside.data.is_in_chat is False
    missing = client_for(server).im.v1.chat_members.is_in_chat(
        IsInChatChatMembersRequest.builder().chat_id("oc_missing").build())
    assert missing.code == 232006


def test_feed_cards_patch_by_a_bot_outside_the_chat_is_230027(server):
    other = client_for(server, server.other_app)
    chat = other.im.v1.chat.create(CreateChatRequest.builder().user_id_type("open_id")
        .request_body(CreateChatRequestBody.builder().name("theirs")
            .user_id_list([server.open_id(0, app=1)]).build()).build())
    assert chat.success(), chat.msg
    request = PatchFeedCardRequest.builder().feed_card_id(chat.data.chat_id).user_id_type("open_id") \
        .request_body(PatchFeedCardRequestBody.builder().time_sensitive(True)
            .user_ids([server.open_id(0)]).build()).build()
    response = client_for(server).im.v2.feed_card.patch(request)
    assert response.code == 230027


def test_bot_time_sentive_pins_the_bot_chat(server):
    user = server.open_id(4)
    request = BotTimeSentiveFeedCardRequest.builder() \
        .user_id_type("open_id") \
        .request_body(BotTimeSentiveFeedCardRequestBody.builder()
            .time_sensitive(True)
            .user_ids([user, "ou_nobody"])
            .build()) \
        .build()
    response = client_for(server).im.v2.feed_card.bot_time_sentive(request)
    assert response.success(), response.msg
    assert [f.user_id for f in response.data.failed_user_reasons] == ["ou_nobody"]
    top = feed(server, user)[0]
    assert (top["chat_type"], top["app_id"], top["time_sensitive"]) == ("p2p", server.app["app_id"], True)
