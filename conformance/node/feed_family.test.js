// The rest of the app feed card family through the official Node SDK: batch update and delete,
// and the time-sensitive state of group and bot entries, checked in each user's feed.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const lark = require('@larksuiteoapi/node-sdk');
const { app, openId, clientFor, tenantToken, failure, seedFeedCard, createChat, feed } = require('./harness');

async function newCard(userIds, bizId) {
  const token = await tenantToken();
  const res = await clientFor().im.v2.appFeedCard.create(seedFeedCard(userIds, bizId), lark.withTenantToken(token));
  assert.equal(res.code, 0);
}

test('batch update changes only the named fields', async () => {
  await newCard([openId(0)], 'node-update');
  const token = await tenantToken();
  const res = await clientFor().im.v2.appFeedCardBatch.update({
    params: { user_id_type: 'open_id' },
    data: {
      feed_cards: [{
        app_feed_card: { biz_id: 'node-update', title: 'node title', preview: 'not named' },
        user_id: openId(0),
        update_fields: ['1', '103'],
      }, {
        app_feed_card: { biz_id: 'node-never', title: 'x' },
        user_id: openId(0),
        update_fields: ['1'],
      }],
    },
  }, lark.withTenantToken(token));
  assert.equal(res.code, 0);
  assert.deepEqual(res.data.failed_cards, [{ biz_id: 'node-never', user_id: openId(0), reason: 'NOT_CREATED' }]);
  const entry = (await feed(openId(0))).find((e) => e.biz_id === 'node-update');
  assert.equal(entry.card.title, 'node title');
  assert.equal(entry.card.preview, '预览信息');
  assert.equal(entry.unread_notifications, 1);
});

test('batch update with an unknown update_fields code is 230001', async () => {
  const token = await tenantToken();
  const body = await failure(clientFor().im.v2.appFeedCardBatch.update({
    data: { feed_cards: [{ app_feed_card: { biz_id: 'b' }, user_id: openId(0), update_fields: ['9'] }] },
  }, lark.withTenantToken(token)));
  assert.equal(body.code, 230001);
  assert.match(body.msg, /feed_cards\[0\]\.update_fields\[0\]/);
});

test('batch delete removes the card', async () => {
  await newCard([openId(1)], 'node-delete');
  const token = await tenantToken();
  const res = await clientFor().im.v2.appFeedCardBatch.delete({
    params: { user_id_type: 'open_id' },
    data: { feed_cards: [{ biz_id: 'node-delete', user_id: openId(1) }, { biz_id: 'node-delete', user_id: 'ou_nobody' }] },
  }, lark.withTenantToken(token));
  assert.equal(res.code, 0);
  assert.deepEqual(res.data.failed_cards, [{ biz_id: 'node-delete', user_id: 'ou_nobody', reason: 'NO_PERMISSION' }]);
  assert.equal((await feed(openId(1))).find((e) => e.biz_id === 'node-delete'), undefined);
});

test('feed_cards patch pins a group entry; a bot outside the chat is 230027', async () => {
  const chatId = await createChat(0, [openId(2), openId(3)]);
  const token = await tenantToken();
  const res = await clientFor().im.v2.feedCard.patch({
    path: { feed_card_id: chatId },
    params: { user_id_type: 'open_id' },
    data: { time_sensitive: true, user_ids: [openId(3)] },
  }, lark.withTenantToken(token));
  assert.equal(res.code, 0);
  assert.deepEqual(res.data.failed_user_reasons, []);
  const top = (await feed(openId(3)))[0];
  assert.deepEqual([top.chat_id, top.time_sensitive], [chatId, true]);

  const foreign = await createChat(1, [openId(0, 1)]);
  const body = await failure(clientFor().im.v2.feedCard.patch({
    path: { feed_card_id: foreign },
    params: { user_id_type: 'open_id' },
    data: { time_sensitive: true, user_ids: [openId(0)] },
  }, lark.withTenantToken(token)));
  assert.equal(body.code, 230027);
});

test('bot_time_sentive pins the bot chat', async () => {
  const token = await tenantToken();
  const res = await clientFor().im.v2.feedCard.botTimeSentive({
    params: { user_id_type: 'open_id' },
    data: { time_sensitive: true, user_ids: [openId(4)] },
  }, lark.withTenantToken(token));
  assert.equal(res.code, 0);
  const top = (await feed(openId(4)))[0];
  assert.deepEqual([top.chat_type, top.app_id, top.time_sensitive], ['p2p', app(0).app_id, true]);
  const body = await failure(clientFor().im.v2.feedCard.botTimeSentive({
    data: { time_sensitive: true, user_ids: [] },
  }, lark.withTenantToken(token)));
  assert.equal(body.code, 230001);
  assert.match(body.msg, /user_ids/);
});
