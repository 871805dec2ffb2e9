// The example bot (docs/examples/node-bot/bot.js) under jest: the helper is required as a user
// requires it, from node_modules; each test has a tenant of its own.
const { startLarkfeed, tenant } = require('larkfeed-testing');
const { withBot, fromBot } = require('./with-bot');

let server;
beforeAll(async () => { server = await startLarkfeed(); });
afterAll(async () => { await server.stop(); });

test('the bot echoes', () => withBot(async (t, client) => {
  await t.say(0, 'hello there');
  const reply = await t.waitFor('message.sent', fromBot(t));
  const list = await client.im.v1.message.list({ params: { container_id_type: 'chat', container_id: reply.data.chat_id } });
  expect(list.data.items.map((m) => JSON.parse(m.body.content).text)).toEqual(['hello there', 'You said: hello there']);
}));

test('a click approves the deploy', () => withBot(async (t, client) => {
  await t.say(0, 'deploy');
  const card = await t.waitFor('message.sent', fromBot(t));
  const clicked = await t.click(0, card.data.message_id, { deploy: 'main' });
  expect(clicked.applied.toast).toEqual({ type: 'success', content: 'Deploying' });
  const got = await client.im.v1.message.get({ path: { message_id: card.data.message_id } });
  expect(got.data.items[0].body.content).toContain(`Approved by ${t.user(0).open_id}`);
}));

test('two tenants do not see each other', async () => {
  const [a, b] = await Promise.all([tenant(), tenant()]);
  try {
    expect(a.app.app_id).not.toEqual(b.app.app_id);
    await a.say(0, 'only in a');
    await a.waitFor('message.sent');
    expect(await b.requests()).toEqual([]);
    const seenByB = b.seen.filter((c) => c.kind === 'message.sent');
    expect(seenByB).toEqual([]);
  } finally {
    await Promise.all([a.delete(), b.delete()]);
  }
});
