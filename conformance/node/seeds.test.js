// The seed documents' Node examples, run through the official SDK (@larksuiteoapi/node-sdk)
// against larkfeed. Builders and values are the seeds'; only credentials, domain and ids change.
// Run with NODE_PATH pointing at the folder the SDK was installed into (scripts/test does).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const lark = require('@larksuiteoapi/node-sdk');
const {
  app, openId, clientFor, tenantToken, failure, seedFeedCard, seedChatButton, seedPatch, createChat,
  sendCard, baseUrl,
} = require('./harness');

test('seed 003: create an app feed card', async () => {
  const token = await tenantToken();
  const res = await clientFor().im.v2.appFeedCard.create(seedFeedCard([openId(0)]), lark.withTenantToken(token));
  assert.equal(res.code, 0);
  assert.equal(res.msg, 'success');
  assert.equal(res.data.biz_id, '096e2927-40a6-41a3-9562-314d641d09ae');
  assert.deepEqual(res.data.failed_cards, []);
});

test('seed 003: a duplicate card and a user outside availability are reported per user', async () => {
  const token = await tenantToken();
  const res = await clientFor().im.v2.appFeedCard.create(
    seedFeedCard([openId(0), openId(5)]),
    lark.withTenantToken(token),
  );
  assert.deepEqual(
    res.data.failed_cards.map((f) => [f.user_id, f.reason]),
    [[openId(5), 'NO_PERMISSION'], [openId(0), 'DUPLICATED']],
  );
});

test('seed 003: a title over 60 characters is 230001 naming the field', async () => {
  const token = await tenantToken();
  const body = await failure(
    clientFor().im.v2.appFeedCard.create(seedFeedCard([openId(0)], 'node-long', '题'.repeat(61)), lark.withTenantToken(token)),
  );
  assert.equal(body.code, 230001);
  assert.match(body.msg, /app_feed_card\.title/);
});

test('seed 000: update chat buttons', async () => {
  const chatId = await createChat(0, [openId(0), openId(1)]);
  const token = await tenantToken();
  const res = await clientFor().im.v2.chatButton.update(seedChatButton(chatId, [openId(0)]), lark.withTenantToken(token));
  assert.equal(res.code, 0);
  assert.deepEqual(res.data.failed_user_reasons, []);
});

test('seed 001: a user outside the chat is reported, a bot outside the chat is 230027', async () => {
  const chatId = await createChat(0, [openId(0)]);
  const token = await tenantToken();
  const res = await clientFor().im.v2.chatButton.update(seedChatButton(chatId, [openId(2)]), lark.withTenantToken(token));
  assert.equal(res.data.failed_user_reasons[0].user_id, openId(2));
  const foreign = await createChat(1, [openId(0, 1)]);
  const body = await failure(
    clientFor().im.v2.chatButton.update(seedChatButton(foreign, [openId(0)]), lark.withTenantToken(token)),
  );
  assert.equal(body.code, 230027);
});

test('seed 001: three buttons are 230001', async () => {
  const chatId = await createChat(0, [openId(0)]);
  const token = await tenantToken();
  const req = seedChatButton(chatId, [openId(0)]);
  const one = req.data.buttons.buttons[0];
  req.data.buttons.buttons = [one, one, one];
  const body = await failure(clientFor().im.v2.chatButton.update(req, lark.withTenantToken(token)));
  assert.equal(body.code, 230001);
  assert.match(body.msg, /buttons\.buttons\[2\]/);
});

test('seed 002: patch a card message', async () => {
  const messageId = await sendCard(0, openId(0));
  const token = await tenantToken();
  const res = await clientFor().im.v1.message.patch(seedPatch(messageId), lark.withTenantToken(token));
  assert.equal(res.code, 0);
  assert.equal(res.msg, 'ok');
});

test('seed 002: recalled (230011), not a card (230099), too long (230025), not the sender (230027)', async () => {
  const token = await tenantToken();
  const client = clientFor();
  const recalled = await sendCard(0, openId(0));
  await client.im.v1.message.delete({ path: { message_id: recalled } }, lark.withTenantToken(token));
  assert.equal((await failure(client.im.v1.message.patch(seedPatch(recalled), lark.withTenantToken(token)))).code, 230011);
  const live = await sendCard(0, openId(1));
  assert.equal((await failure(client.im.v1.message.patch(seedPatch(live, '{"x":1}'), lark.withTenantToken(token)))).code, 230099);
  const big = JSON.stringify({ elements: [{ tag: 'markdown', content: 'a'.repeat(31000) }] });
  assert.equal((await failure(client.im.v1.message.patch(seedPatch(live, big), lark.withTenantToken(token)))).code, 230025);
  const otherToken = await tenantToken(1);
  const other = await failure(clientFor(1).im.v1.message.patch(seedPatch(live), lark.withTenantToken(otherToken)));
  assert.equal(other.code, 230027);
});

test('the SDK fetches and uses its own token when the cache is on', async () => {
  const client = new lark.Client({ appId: app(0).app_id, appSecret: app(0).app_secret, domain: baseUrl() });
  const res = await client.im.v2.appFeedCard.create(seedFeedCard([openId(3)], 'node-cached-token'));
  assert.equal(res.code, 0);
});
