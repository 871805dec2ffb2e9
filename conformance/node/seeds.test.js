// The seed documents' Node examples, run through the official SDK (@larksuiteoapi/node-sdk)
// against larkfeed. Builders and values are the seeds'; only credentials, domain and ids change.
// Run with NODE_PATH pointing at the folder the SDK was installed into (scripts/test does).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const lark = require('@larksuiteoapi/node-sdk');

const SEED_CARD = '{"elements":[{"tag":"div","text":{"content":"This is the plain text","tag":"plain_text"}}],"header":{"template":"blue","title":{"content":"This is the title","tag":"plain_text"}}}';

let server;
let world;
let base;

test.before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'larkfeed-node-'));
  const bin = process.env.LARKFEED_BIN || 'target/debug/larkfeed';
  server = spawn(bin, ['serve', '--port', '0', '--database', path.join(dir, 'db.sqlite'), '--rate-limits', 'off'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const first = await new Promise((resolve, reject) => {
    readline.createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  assert.match(first, /^larkfeed listening on /);
  base = first.split(' ').pop();
  world = await (await fetch(`${base}/_larkfeed/world`)).json();
});

test.after(() => server && server.kill());

const app = (i = 0) => world.apps[i];
const openId = (user, a = 0) => world.apps[a].users[user].open_id;

function clientFor(a = 0) {
  return new lark.Client({
    appId: app(a).app_id,
    appSecret: app(a).app_secret,
    domain: base,
    disableTokenCache: true,
  });
}

async function tenantToken(a = 0) {
  const res = await clientFor(a).auth.tenantAccessToken.internal({
    data: { app_id: app(a).app_id, app_secret: app(a).app_secret },
  });
  assert.equal(res.code, 0);
  return res.tenant_access_token;
}

// Business errors come back as HTTP 400: axios throws, and the body is on e.response.data.
async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    if (e.response) return e.response.data;
    throw e;
  }
  throw new Error('expected the call to fail');
}

function seedFeedCard(userIds, bizId = '096e2927-40a6-41a3-9562-314d641d09ae', title = '主标题') {
  // Seed 003, Node SDK example.
  return {
    params: {
      user_id_type: 'open_id',
    },
    data: {
      app_feed_card: {
        biz_id: bizId,
        title,
        avatar_key: 'v3_0041_007bca9f-67ba-4199-bf00-4031b12cf226',
        preview: '预览信息',
        status_label: {
          text: '标签文字',
          type: 'primary',
        },
        buttons: {
          buttons: [
            {
              multi_url: {
                url: 'https://www.feishu.cn/',
                android_url: 'https://www.feishu.cn/',
                ios_url: 'https://www.feishu.cn/',
                pc_url: 'https://www.feishu.cn/',
              },
              action_type: 'url_page',
              text: {
                text: '文本',
              },
              button_type: 'default',
              action_map: new Map(),
            },
          ],
        },
        link: {
          link: 'https://www.feishu.cn/',
        },
        time_sensitive: false,
        notify: {
          close_notify: true,
          custom_sound_text: '您有新的订单',
          with_custom_sound: true,
        },
      },
      user_ids: userIds,
    },
  };
}

function seedChatButton(chatId, userIds) {
  // Seeds 000/001, Node SDK example.
  return {
    params: {
      user_id_type: 'open_id',
    },
    data: {
      user_ids: userIds,
      chat_id: chatId,
      buttons: {
        buttons: [
          {
            multi_url: {
              url: 'https://www.feishu.cn/',
              android_url: 'https://www.feishu.cn/',
              ios_url: 'https://www.feishu.cn/',
              pc_url: 'https://www.feishu.cn/',
            },
            action_type: 'url_page',
            text: {
              text: '文本',
            },
            button_type: 'default',
            action_map: new Map(),
          },
        ],
      },
    },
  };
}

function seedPatch(messageId, content = SEED_CARD) {
  // Seed 002, Node SDK example.
  return {
    path: {
      message_id: messageId,
    },
    data: {
      content,
    },
  };
}

async function createChat(a, userIds) {
  const token = await tenantToken(a);
  const res = await clientFor(a).im.v1.chat.create(
    { params: { user_id_type: 'open_id' }, data: { name: 'node conformance', user_id_list: userIds } },
    lark.withTenantToken(token),
  );
  assert.equal(res.code, 0);
  return res.data.chat_id;
}

async function sendCard(a, receiveId) {
  const token = await tenantToken(a);
  const res = await clientFor(a).im.v1.message.create(
    { params: { receive_id_type: 'open_id' }, data: { receive_id: receiveId, msg_type: 'interactive', content: SEED_CARD } },
    lark.withTenantToken(token),
  );
  assert.equal(res.code, 0);
  return res.data.message_id;
}

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
  const client = new lark.Client({ appId: app(0).app_id, appSecret: app(0).app_secret, domain: base });
  const res = await client.im.v2.appFeedCard.create(seedFeedCard([openId(3)], 'node-cached-token'));
  assert.equal(res.code, 0);
});
