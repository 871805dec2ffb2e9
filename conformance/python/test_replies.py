"""Replies through the official Python SDK (lark-oapi): quoted and in a thread, as bots send them
(BOTS.md, "Replies, threads, lists, edits")."""

import json

from lark_oapi.api.im.v1 import (
    CreateChatRequest, CreateChatRequestBody, CreateMessageRequest, CreateMessageRequestBody,
    GetMessageRequest, ReplyMessageRequest, ReplyMessageRequestBody,
)

from test_seeds import client_for


def text(s):
    return json.dumps({"text": s})


def first_message(server):
    client = client_for(server)
    chat = client.im.v1.chat.create(CreateChatRequest.builder().user_id_type("open_id")
        .request_body(CreateChatRequestBody.builder().name("replies")
            .user_id_list([server.open_id(2)]).build()).build())
    assert chat.success(), chat.msg
    sent = client.im.v1.message.create(CreateMessageRequest.builder().receive_id_type("chat_id")
        .request_body(CreateMessageRequestBody.builder().receive_id(chat.data.chat_id)
            .msg_type("text").content(text("what broke?")).build()).build())
    assert sent.success(), sent.msg
    return sent.data.message_id, chat.data.chat_id


def reply(server, message_id, body):
    return client_for(server).im.v1.message.reply(
        ReplyMessageRequest.builder().message_id(message_id).request_body(body).build())


def test_a_reply_quotes_its_message_and_a_thread_reply_opens_a_thread(server):
    root, chat_id = first_message(server)
    quoted = reply(server, root, ReplyMessageRequestBody.builder()
        .msg_type("text").content(text("the disk")).build())
    assert quoted.success(), quoted.msg
    assert (quoted.data.chat_id, quoted.data.root_id, quoted.data.parent_id) == (chat_id, root, root)
    assert quoted.data.thread_id is None
    threaded = reply(server, root, ReplyMessageRequestBody.builder()
        .msg_type("text").content(text("here")).reply_in_thread(True).uuid("py-thread-1").build())
    assert threaded.success(), threaded.msg
    assert threaded.data.thread_id.startswith("omt_")
    again = reply(server, root, ReplyMessageRequestBody.builder()
        .msg_type("text").content(text("here")).reply_in_thread(True).uuid("py-thread-1").build())
    assert again.data.message_id == threaded.data.message_id, "one message per uuid"
    read = client_for(server).im.v1.message.get(GetMessageRequest.builder().message_id(root).build())
    assert read.success(), read.msg
    assert read.data.items[0].thread_id == threaded.data.thread_id


def test_a_reply_to_an_unknown_message_is_230001(server):
    missing = reply(server, "om_nothing", ReplyMessageRequestBody.builder()
        .msg_type("text").content(text("x")).build())
    assert missing.code == 230001
    assert "message_id" in missing.msg or "message_id" in json.dumps(missing.raw.content.decode())
