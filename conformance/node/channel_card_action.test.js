// The Node SDK's bot framework (createLarkChannel, @larksuiteoapi/node-sdk 1.74), unchanged, over
// the long connection: it answers a user's question with a card that has a button; the user
// clicks it; the framework hands the click to the bot's `cardAction` handler, which updates the
// card (`updateCard`). The card is read back through the official client as the app.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, app, openId, clientFor, tenantToken, admin, until } = require('./harness');

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

const card = (text, button) => ({
  schema: '2.0',
  config: { update_multi: true },
  body: {
    elements: [
      { tag: 'markdown', content: text },
      ...(button ? [{ tag: 'button', text: { tag: 'plain_text', content: button }, behaviors: [{ type: 'callback', value: { choice: 'approve' } }] }] : []),
    ],
  },
});

test('a createLarkChannel bot updates its card when a user clicks it', async () => {
  const a = app(1);
  const channel = lark.createLarkChannel({
    appId: a.app_id, appSecret: a.app_secret, domain: baseUrl(), transport: 'websocket', logger: quiet,
  });
  const seen = { sent: [], clicks: [], updated: 0, failures: [] };
  channel.on('message', async (msg) => {
    try {
      seen.sent.push(await channel.send(msg.chatId, { card: card('Deploy to production?', 'Approve') }));
    } catch (e) { seen.failures.push(e); }
  });
  channel.on('cardAction', async (evt) => {
    try {
      seen.clicks.push(evt);
      await channel.updateCard(evt.messageId, card(`Approved by ${evt.operator.openId}`));
      seen.updated += 1;
    } catch (e) { seen.failures.push(e); }
  });
  await channel.connect();
  try {
    const asker = openId(3, 1);
    const asked = await admin('POST', '/_larkfeed/act/send_message', {
      user: asker, to_app: a.app_id, msg_type: 'text', content: JSON.stringify({ text: 'can we deploy?' }),
    });
    assert.equal(asked.delivered, true, JSON.stringify(asked));
    await until(() => seen.sent.length > 0 || seen.failures.length > 0, 'the card to be sent');
    assert.deepEqual(seen.failures, []);
    const messageId = seen.sent[0].messageId;
    assert.ok(messageId, JSON.stringify(seen.sent[0]));
    const clicked = await admin('POST', '/_larkfeed/act/card_action', {
      user: asker, message_id: messageId, action: { tag: 'button', value: { choice: 'approve' } },
    });
    assert.equal(clicked.delivered, true, JSON.stringify(clicked));
    await until(() => seen.updated > 0 || seen.failures.length > 0, 'the card to be updated');
    assert.deepEqual(seen.failures, []);
    const click = seen.clicks[0];
    assert.equal(click.messageId, messageId);
    assert.equal(click.operator.openId, asker);
    assert.deepEqual(click.action.value, { choice: 'approve' });

    const got = await clientFor(1).im.v1.message.get({ path: { message_id: messageId } }, lark.withTenantToken(await tenantToken(1)));
    assert.equal(got.code, 0, JSON.stringify(got));
    const message = got.data.items[0];
    assert.equal(message.msg_type, 'interactive');
    assert.equal(message.updated, true);
    assert.match(message.body.content, new RegExp(`Approved by ${asker}`));
    assert.doesNotMatch(message.body.content, /Deploy to production\?/);
  } finally {
    await channel.disconnect();
  }
});
