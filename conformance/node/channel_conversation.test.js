// The Node SDK's bot framework (createLarkChannel, @larksuiteoapi/node-sdk 1.74), unchanged, over
// the long connection, doing what an AI assistant does around its answers: it is added to a group
// and reads the group's info; it marks a user's message with a `Typing` reaction while it works,
// replies in a thread, edits a draft, recalls a slip, takes its reaction off; it hears a user's
// reaction. Each outcome is read back through the official client as the app.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, app, openId, clientFor, tenantToken, createChat, admin, until } = require('./harness');

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

test('a createLarkChannel bot reacts, replies in a thread, edits, recalls and reads its group', async () => {
  const a = app(1);
  const channel = lark.createLarkChannel({
    appId: a.app_id, appSecret: a.app_secret, domain: baseUrl(), transport: 'websocket', logger: quiet,
  });
  const seen = { added: [], reactions: [], done: [], failures: [] };
  channel.on('botAdded', async (evt) => {
    try {
      seen.added.push({ evt, info: await channel.getChatInfo(evt.chatId) });
    } catch (e) { seen.failures.push(e); }
  });
  channel.on('reaction', (evt) => { seen.reactions.push(evt); });
  channel.on('message', async (msg) => {
    try {
      const reactionId = await channel.addReaction(msg.messageId, 'Typing');
      const reply = await channel.send(msg.chatId, { text: 'Looking into it here.' }, { replyTo: msg.messageId, replyInThread: true });
      const draft = await channel.send(msg.chatId, { text: 'draft' });
      await channel.editMessage(draft.messageId, 'The final answer.');
      const slip = await channel.send(msg.chatId, { text: 'sent to the wrong chat' });
      await channel.recallMessage(slip.messageId);
      const removed = await channel.removeReactionByEmoji(msg.messageId, 'Typing');
      seen.done.push({ msg, reactionId, reply, draft, slip, removed });
    } catch (e) { seen.failures.push(e); }
  });
  await channel.connect();
  try {
    // Added to a group by one of its members.
    const chatId = await createChat(0, [openId(0, 0), openId(1, 0)]);
    const added = await admin('POST', '/_larkfeed/act/add_bot', { user: openId(0, 0), chat_id: chatId, app_id: a.app_id });
    assert.equal(added.delivered, true, JSON.stringify(added));
    await until(() => seen.added.length > 0 || seen.failures.length > 0, 'the botAdded handler');
    assert.deepEqual(seen.failures, []);
    assert.equal(seen.added[0].evt.chatId, chatId);
    assert.equal(seen.added[0].info.chatType, 'group');
    assert.ok(seen.added[0].info.name, JSON.stringify(seen.added[0]));

    // A user's question, one-to-one.
    const asked = await admin('POST', '/_larkfeed/act/send_message', {
      user: openId(3, 1), to_app: a.app_id, msg_type: 'text', content: JSON.stringify({ text: 'why is the build red?' }),
    });
    assert.equal(asked.delivered, true, JSON.stringify(asked));
    await until(() => seen.done.length > 0 || seen.failures.length > 0, 'the bot to finish');
    assert.deepEqual(seen.failures, []);
    const done = seen.done[0];
    assert.equal(done.removed, true, 'the Typing reaction was found and taken off');

    const client = clientFor(1);
    const as = lark.withTenantToken(await tenantToken(1));
    const get = async (id) => {
      const r = await client.im.v1.message.get({ path: { message_id: id } }, as);
      assert.equal(r.code, 0, JSON.stringify(r));
      return r.data.items[0];
    };
    const reply = await get(done.reply.messageId);
    assert.match(reply.thread_id, /^omt_/);
    assert.equal(reply.parent_id, done.msg.messageId);
    const draft = await get(done.draft.messageId);
    assert.equal(JSON.parse(draft.body.content).text, 'The final answer.');
    assert.equal(draft.updated, true);
    assert.equal((await get(done.slip.messageId)).deleted, true);
    const reactions = await client.im.v1.messageReaction.list({ path: { message_id: done.msg.messageId } }, as);
    assert.equal(reactions.code, 0);
    assert.deepEqual(reactions.data.items, []);
    const history = await client.im.v1.message.list({
      params: { container_id_type: 'thread', container_id: reply.thread_id },
    }, as);
    assert.equal(history.code, 0, JSON.stringify(history));
    assert.deepEqual(history.data.items.map((m) => m.message_id), [done.msg.messageId, done.reply.messageId]);

    // A user reacts to the bot's reply: the bot hears it.
    const reacted = await admin('POST', '/_larkfeed/act/react', {
      user: openId(3, 1), message_id: done.reply.messageId, emoji_type: 'THUMBSUP',
    });
    assert.equal(reacted.delivered, true, JSON.stringify(reacted));
    await until(() => seen.reactions.length > 0, 'the reaction event');
    assert.equal(seen.reactions[0].emojiType, 'THUMBSUP');
    assert.equal(seen.reactions[0].messageId, done.reply.messageId);
    assert.equal(seen.reactions[0].action, 'added');
  } finally {
    await channel.disconnect?.();
  }
});
