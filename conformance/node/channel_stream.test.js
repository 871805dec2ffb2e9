// The Node SDK's bot framework (createLarkChannel, @larksuiteoapi/node-sdk 1.74), unchanged, over
// the long connection to larkfeed: a user's message reaches the bot, which answers by streaming
// markdown into a CardKit card (create, send by card_id as a reply, content writes with a rising
// sequence, streaming off). The final message, read back through the official client as the
// app, holds the whole text.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, app, openId, clientFor, tenantToken, admin, until } = require('./harness');

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ANSWER = 'Streaming works: **larkfeed** took every write, in order, and the card reads back whole.';

test('a createLarkChannel bot streams its answer into a card, and the message reads back whole', async () => {
  const a = app(1);
  const channel = lark.createLarkChannel({
    appId: a.app_id, appSecret: a.app_secret, domain: baseUrl(), transport: 'websocket', logger: quiet,
  });
  const answered = [];
  const failures = [];
  channel.on('message', async (msg) => {
    try {
      // What an AI assistant does: the answer arrives in pieces and is streamed as it comes.
      const result = await channel.stream(msg.chatId, {
        markdown: async (ctl) => {
          for (const word of ANSWER.split(/(?<= )/)) {
            await ctl.append(word);
            await sleep(30);
          }
        },
      }, { replyTo: msg.messageId });
      answered.push({ question: msg, result });
    } catch (e) {
      failures.push(e);
    }
  });
  await channel.connect();
  try {
    const asked = await admin('POST', '/_larkfeed/act/send_message', {
      user: openId(2, 1), to_app: a.app_id, msg_type: 'text', content: JSON.stringify({ text: 'does streaming work?' }),
    });
    assert.equal(asked.delivered, true, JSON.stringify(asked));
    await until(() => answered.length > 0 || failures.length > 0, 'the streamed answer');
    assert.deepEqual(failures, []);
    const messageId = answered[0].result.messageId;
    assert.match(messageId, /^om_/);

    // Read back as the app, through the official client.
    const token = await tenantToken(1);
    const got = await clientFor(1).im.v1.message.get({ path: { message_id: messageId } }, lark.withTenantToken(token));
    assert.equal(got.code, 0);
    const item = got.data.items[0];
    assert.equal(item.msg_type, 'interactive');
    assert.equal(item.parent_id, answered[0].question.messageId, 'a reply to the question');
    const card = JSON.parse(item.body.content);
    const md = card.body.elements.find((e) => e.element_id === 'stream_md');
    assert.equal(md.content, ANSWER);
    assert.equal(card.config.streaming_mode, false, 'streaming was turned off at the end');

    // Every write went through, each with a higher sequence than the last.
    const log = await admin('GET', `/_larkfeed/requests?app_id=${a.app_id}&limit=200`);
    const writes = log.items
      .filter((r) => r.path.includes('/open-apis/cardkit/v1/cards/') && r.method !== 'POST')
      .reverse();
    assert.ok(writes.length >= 2, JSON.stringify(writes.map((w) => w.path)));
    assert.ok(writes.every((w) => w.code === 0), JSON.stringify(writes.filter((w) => w.code !== 0)));
    const sequences = writes.map((w) => w.request.sequence);
    assert.deepEqual(sequences, [...sequences].sort((x, y) => x - y));
    assert.equal(new Set(sequences).size, sequences.length);
  } finally {
    await channel.disconnect?.();
  }
});
