// The platform's side of the conversation, received by the Node SDK's own EventDispatcher and
// CardActionHandler behind a real HTTP server on loopback, with and without an encrypt key; a
// wrong encrypt key is refused by the SDK (the handler never runs).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, app, openId, sendCard } = require('./harness');

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

async function startApp(encryptKey, verificationToken) {
  const options = { autoChallenge: true };
  const seen = { clicks: [], messages: [] };
  const events = new lark.EventDispatcher({ encryptKey, verificationToken, logger: quiet }).register({
    'im.message.receive_v1': async (data) => { seen.messages.push(data); },
  });
  const cards = new lark.CardActionHandler({ encryptKey, verificationToken, logger: quiet }, async (data) => {
    seen.clicks.push(data);
    return { toast: { type: 'info', content: 'Seen by node' } };
  });
  const onEvents = lark.adaptDefault('/events', events, options);
  const onCards = lark.adaptDefault('/card', cards, options);
  const server = http.createServer((req, res) => (req.url === '/card' ? onCards : onEvents)(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const root = `http://127.0.0.1:${server.address().port}`;
  return { seen, server, options, events: `${root}/events`, card: `${root}/card` };
}

async function admin(method, path, body) {
  const res = await fetch(`${baseUrl()}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const clear = { event_url: null, callback_url: null, encrypt_key: null, verification_token: null };

for (const encryptKey of ['node-encrypt-key', '']) {
  test(`a click and a message reach the Node SDK's handlers (${encryptKey ? 'encrypted' : 'plain'})`, async () => {
    const a = await startApp(encryptKey, 'node-token');
    try {
      const set = await admin('PUT', `/_larkfeed/apps/${app(1).app_id}`, {
        event_url: a.events, callback_url: a.card, encrypt_key: encryptKey || null, verification_token: 'node-token',
      });
      assert.equal(set.status, 200, JSON.stringify(set.body));

      const messageId = await sendCard(1, openId(2, 1));
      const click = await admin('POST', '/_larkfeed/act/card_action', {
        user: openId(2, 1), message_id: messageId, action: { tag: 'button', value: { k: 'v' } },
      });
      assert.equal(click.status, 200, JSON.stringify(click.body));
      assert.equal(click.body.delivered, true, JSON.stringify(click.body));
      assert.deepEqual(click.body.applied.toast, { type: 'info', content: 'Seen by node' });
      const data = a.seen.clicks.at(-1);
      assert.equal(data.event_type, 'card.action.trigger');
      assert.equal(data.operator.open_id, openId(2, 1));
      assert.deepEqual(data.action.value, { k: 'v' });
      assert.equal(data.context.open_message_id, messageId);

      const sent = await admin('POST', '/_larkfeed/act/send_message', {
        user: openId(2, 1), to_app: app(1).app_id, msg_type: 'text', content: JSON.stringify({ text: 'hi node' }),
      });
      assert.equal(sent.body.delivered, true, JSON.stringify(sent.body));
      const msg = a.seen.messages.at(-1);
      assert.equal(msg.event_type, 'im.message.receive_v1');
      assert.equal(msg.sender.sender_id.open_id, openId(2, 1));
      assert.equal(JSON.parse(msg.message.content).text, 'hi node');
    } finally {
      await admin('PUT', `/_larkfeed/apps/${app(1).app_id}`, clear);
      a.server.close();
    }
  });
}

test('a wrong encrypt key is refused by the Node SDK: its handler never runs', async () => {
  const a = await startApp('the-right-key', 'node-token');
  try {
    let set = await admin('PUT', `/_larkfeed/apps/${app(1).app_id}`, {
      callback_url: a.card, encrypt_key: 'the-right-key', verification_token: 'node-token',
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    // The automatic challenge answer decrypts every body before the signature is checked, and
    // throws on one sealed under another key; with the URL checked, it is no longer needed.
    a.options.autoChallenge = false;
    set = await admin('PUT', `/_larkfeed/apps/${app(1).app_id}`, { encrypt_key: 'a-wrong-key' });
    assert.equal(set.status, 200);
    const messageId = await sendCard(1, openId(2, 1));
    const click = await admin('POST', '/_larkfeed/act/card_action', {
      user: openId(2, 1), message_id: messageId, action: { tag: 'button' },
    });
    assert.equal(click.status, 200);
    assert.equal(a.seen.clicks.length, 0, 'the SDK refused the signature');
    assert.equal(click.body.response, null, JSON.stringify(click.body));
    assert.equal(click.body.applied.toast, null);
  } finally {
    await admin('PUT', `/_larkfeed/apps/${app(1).app_id}`, clear);
    a.server.close();
  }
});
