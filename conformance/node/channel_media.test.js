// The Node SDK's bot framework (createLarkChannel 1.74), unchanged, with images: a user sends the
// bot an image; the bot reads its bytes through the message-resource API and sends the image back
// with `channel.send(chatId, {image: {source}})`, which uploads it. The bot's image is read back
// through the official client as the app.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, app, openId, clientFor, tenantToken, admin, until } = require('./harness');

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 1, 2, 3]);

async function bytesOf(resource) {
  const chunks = [];
  for await (const chunk of resource.getReadableStream()) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test('a createLarkChannel bot reads the image a user sent and sends one back', async () => {
  const a = app(1);
  const channel = lark.createLarkChannel({
    appId: a.app_id, appSecret: a.app_secret, domain: baseUrl(), transport: 'websocket', logger: quiet,
  });
  const seen = { done: [], failures: [] };
  channel.on('message', async (msg) => {
    try {
      const key = JSON.parse(msg.raw ? msg.raw.message.content : '{}').image_key
        || (msg.resources && msg.resources[0] && (msg.resources[0].fileKey || msg.resources[0].key));
      const got = await channel.rawClient.im.v1.messageResource.get({
        path: { message_id: msg.messageId, file_key: key }, params: { type: 'image' },
      });
      const image = await bytesOf(got);
      const sent = await channel.send(msg.chatId, { image: { source: image } }, { replyTo: msg.messageId });
      seen.done.push({ msg, key, image, sent });
    } catch (e) { seen.failures.push(e); }
  });
  await channel.connect();
  try {
    const up = await admin('POST', '/_larkfeed/act/upload', { user: openId(4, 1), type: 'image', data: PNG.toString('base64') });
    assert.match(up.image_key, /^img_/, JSON.stringify(up));
    const asked = await admin('POST', '/_larkfeed/act/send_message', {
      user: openId(4, 1), to_app: a.app_id, msg_type: 'image', content: JSON.stringify({ image_key: up.image_key }),
    });
    assert.equal(asked.delivered, true, JSON.stringify(asked));
    await until(() => seen.done.length > 0 || seen.failures.length > 0, 'the bot to answer');
    assert.deepEqual(seen.failures, []);
    const done = seen.done[0];
    assert.equal(done.key, up.image_key);
    assert.deepEqual(done.image, PNG, 'the bot read the bytes the user sent');

    const client = clientFor(1);
    const as = lark.withTenantToken(await tenantToken(1));
    const got = await client.im.v1.message.get({ path: { message_id: done.sent.messageId } }, as);
    assert.equal(got.code, 0, JSON.stringify(got));
    const item = got.data.items[0];
    assert.equal(item.msg_type, 'image');
    assert.equal(item.parent_id, done.msg.messageId);
    const botKey = JSON.parse(item.body.content).image_key;
    assert.notEqual(botKey, up.image_key, 'the bot uploaded its own copy');
    const back = await client.im.v1.image.get({ path: { image_key: botKey } }, as);
    assert.deepEqual(await bytesOf(back), PNG);
  } finally {
    await channel.disconnect?.();
  }
});
