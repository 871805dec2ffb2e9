// Replies through the official Node SDK: quoted and in a thread, as bots send them (BOTS.md,
// "Replies, threads, lists, edits").
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const lark = require('@larksuiteoapi/node-sdk');
const { openId, clientFor, tenantToken, failure, createChat } = require('./harness');

const text = (s) => JSON.stringify({ text: s });

async function firstMessage() {
  const chatId = await createChat(0, [openId(2)]);
  const token = await tenantToken();
  const res = await clientFor().im.v1.message.create(
    { params: { receive_id_type: 'chat_id' }, data: { receive_id: chatId, msg_type: 'text', content: text('what broke?') } },
    lark.withTenantToken(token),
  );
  assert.equal(res.code, 0);
  return [res.data.message_id, chatId];
}

test('a reply quotes its message; a thread reply opens a thread the next reply stays in', async () => {
  const [root, chatId] = await firstMessage();
  const token = await tenantToken();
  const quoted = await clientFor().im.v1.message.reply(
    { path: { message_id: root }, data: { msg_type: 'text', content: text('the disk') } },
    lark.withTenantToken(token),
  );
  assert.equal(quoted.code, 0);
  assert.deepEqual([quoted.data.chat_id, quoted.data.root_id, quoted.data.parent_id], [chatId, root, root]);
  const threaded = await clientFor().im.v1.message.reply(
    { path: { message_id: root }, data: { msg_type: 'text', content: text('here'), reply_in_thread: true } },
    lark.withTenantToken(token),
  );
  assert.equal(threaded.code, 0);
  assert.match(threaded.data.thread_id, /^omt_/);
  const inside = await clientFor().im.v1.message.reply(
    { path: { message_id: threaded.data.message_id }, data: { msg_type: 'text', content: text('ok') } },
    lark.withTenantToken(token),
  );
  assert.equal(inside.data.thread_id, threaded.data.thread_id);
});

test('a reply to an unknown message is 230001', async () => {
  const token = await tenantToken();
  const body = await failure(clientFor().im.v1.message.reply(
    { path: { message_id: 'om_nothing' }, data: { msg_type: 'text', content: text('x') } },
    lark.withTenantToken(token),
  ));
  assert.equal(body.code, 230001);
});
