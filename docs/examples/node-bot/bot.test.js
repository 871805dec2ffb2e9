// The bot's tests on larkfeed-testing: each test has a tenant of its own, so they may run at
// once (`node --test --test-concurrency=4`) without seeing each other.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startLarkfeed, tenant } = require('larkfeed-testing');
const { withBot, fromBot } = require('./with-bot');

let server;
test.before(async () => { server = await startLarkfeed(); });
test.after(async () => { await server.stop(); });

test('the bot echoes', { concurrency: true }, () => withBot(async (t, client) => {
  const acted = await t.say('Alice Zhang', 'hello there');
  assert.equal(acted.delivered, true, JSON.stringify(acted));
  const reply = await t.waitFor('message.sent', fromBot(t));
  const list = await client.im.v1.message.list({ params: { container_id_type: 'chat', container_id: reply.data.chat_id } });
  assert.deepEqual(list.data.items.map((m) => JSON.parse(m.body.content).text), ['hello there', 'You said: hello there']);
}));

test('a click approves the deploy', () => withBot(async (t, client) => {
  await t.say('Alice Zhang', 'deploy');
  const card = await t.waitFor('message.sent', fromBot(t));
  const clicked = await t.click('Alice Zhang', card.data.message_id, { deploy: 'main' });
  assert.deepEqual(clicked.applied.toast, { type: 'success', content: 'Deploying' });
  const got = await client.im.v1.message.get({ path: { message_id: card.data.message_id } });
  assert.match(got.data.items[0].body.content, new RegExp(`Approved by ${t.user('Alice Zhang').open_id}`));
}));

test('each test has its own tenant, gone after it', async () => {
  const t = await tenant();
  try {
    assert.deepEqual(await t.requests(), []);
    assert.deepEqual(await t.deliveries(), []);
  } finally {
    await t.delete();
  }
  const listed = await server.request('GET', '/_larkfeed/tenants');
  assert.ok(!listed.items.some((x) => x.tenant_key === t.key), JSON.stringify(listed));
});
