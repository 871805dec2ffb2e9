// A bot on the Node SDK's long connection (WSClient) connected to larkfeed by domain: a message
// sent as a user reaches its im.message.receive_v1 handler, a click its card.action.trigger
// handler, and the handler's toast comes back to the user.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, app, openId, sendCard, admin, until } = require('./harness');

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

test('a WSClient bot gets messages and clicks over the long connection', async () => {
  const seen = { messages: [], clicks: [] };
  const dispatcher = new lark.EventDispatcher({ logger: quiet }).register({
    'im.message.receive_v1': async (data) => { seen.messages.push(data); },
    'card.action.trigger': async (data) => {
      seen.clicks.push(data);
      return { toast: { type: 'info', content: 'node over ws' } };
    },
  });
  const ws = new lark.WSClient({ appId: app(1).app_id, appSecret: app(1).app_secret, domain: baseUrl(), logger: quiet });
  ws.start({ eventDispatcher: dispatcher });
  try {
    await until(async () => (await admin('GET', `/_larkfeed/apps/${app(1).app_id}`)).connections.length > 0, 'the connection');
    const sent = await admin('POST', '/_larkfeed/act/send_message', {
      user: openId(3, 1), to_app: app(1).app_id, msg_type: 'text', content: JSON.stringify({ text: 'hi from node' }),
    });
    assert.equal(sent.delivered, true, JSON.stringify(sent));
    assert.equal(JSON.parse(seen.messages.at(-1).message.content).text, 'hi from node');
    assert.equal(seen.messages.at(-1).sender.sender_id.open_id, openId(3, 1));

    const messageId = await sendCard(1, openId(3, 1));
    const click = await admin('POST', '/_larkfeed/act/card_action', {
      user: openId(3, 1), message_id: messageId, action: { tag: 'button', value: { n: 1 } },
    });
    assert.equal(click.delivered, true, JSON.stringify(click));
    assert.deepEqual(click.applied.toast, { type: 'info', content: 'node over ws' });
    assert.deepEqual(seen.clicks.at(-1).action.value, { n: 1 });
    const records = await admin('GET', `/_larkfeed/deliveries?app_id=${app(1).app_id}&limit=1`);
    assert.equal(records.items[0].via, 'long_connection');
  } finally {
    ws.close();
  }
  await until(async () => (await admin('GET', `/_larkfeed/apps/${app(1).app_id}`)).connections.length === 0, 'the close');
});

test('a wrong secret is refused at the endpoint with the platform code', async () => {
  const res = await fetch(`${baseUrl()}/callback/ws/endpoint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ AppID: app(1).app_id, AppSecret: 'wrong' }),
  });
  const body = await res.json();
  assert.equal(body.code, 514);
  let failed;
  const ws = new lark.WSClient({
    appId: app(1).app_id, appSecret: 'wrong', domain: baseUrl(), logger: quiet, onError: (e) => { failed = e; },
  });
  ws.start({ eventDispatcher: new lark.EventDispatcher({ logger: quiet }) });
  try {
    await until(async () => failed !== undefined, 'the client to give up');
    assert.match(String(failed && (failed.message || failed)), /514/);
  } finally {
    ws.close();
  }
});
