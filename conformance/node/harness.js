// Shared by the conformance tests: starts a real larkfeed server (LARKFEED_BIN) on port 0 with a
// fresh database, and the helpers that call it through the official Node SDK.
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
  // A SQLite file, or with LARKFEED_TEST_BACKEND=postgres a schema of its own on the test
  // PostgreSQL (scripts/test drops the lf_t_ schemas after the run).
  let database = path.join(dir, 'db.sqlite');
  if (process.env.LARKFEED_TEST_BACKEND === 'postgres') {
    const url = process.env.LARKFEED_TEST_POSTGRES || 'postgres://postgres@127.0.0.1:5432/test';
    database = `${url}${url.includes('?') ? '&' : '?'}schema=lf_t_${require('node:crypto').randomUUID().replace(/-/g, '')}`;
  }
  server = spawn(bin, ['serve', '--port', '0', '--database', database, '--rate-limits', 'off'], {
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

// The SDK logs every failed request as an error. Tests that expect a failure take theirs back
// through failure(); any other is printed when the test ends, so nothing unexpected is hidden.
let sdkErrors = [];
const sdkLogger = {
  error: (...msg) => sdkErrors.push(msg),
  warn: (...msg) => console.warn('[sdk warn]', ...msg),
  info: () => {},
  debug: () => {},
  trace: () => {},
};
test.afterEach(() => {
  for (const msg of sdkErrors) console.error('[sdk error]', ...msg);
  sdkErrors = [];
});

function clientFor(a = 0) {
  return new lark.Client({
    appId: app(a).app_id,
    appSecret: app(a).app_secret,
    domain: base,
    disableTokenCache: true,
    logger: sdkLogger,
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
  const before = sdkErrors.length;
  try {
    await promise;
  } catch (e) {
    if (e.response) {
      sdkErrors.length = before; // the failure this test expects: not worth printing
      return e.response.data;
    }
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


// One user's feed as larkfeed's admin API shows it.
async function feed(userId) {
  const res = await (await fetch(`${base}/_larkfeed/users/${userId}/feed`)).json();
  assert.equal(res.code, 0);
  return res.data.entries;
}

const baseUrl = () => base;

// larkfeed's own API (/_larkfeed/…): the answer's JSON.
async function admin(method, urlPath, body) {
  const res = await fetch(`${base}${urlPath}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

// Waits until `check()` is true, polling every 50 ms for up to 15 s.
async function until(check, what) {
  for (let i = 0; i < 300; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

module.exports = {
  baseUrl,
  SEED_CARD, app, openId, clientFor, tenantToken, failure, seedFeedCard, seedChatButton, seedPatch,
  createChat, sendCard, feed, admin, until,
};
