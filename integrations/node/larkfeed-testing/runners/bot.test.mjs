// The example bot (docs/examples/node-bot/bot.js) under vitest: the helper is imported as a user
// imports it, from node_modules, and the tests run at once, each on a tenant of its own.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLarkfeed, tenant } from 'larkfeed-testing';
import { withBot, fromBot } from './with-bot.js';

let server;
beforeAll(async () => { server = await startLarkfeed(); });
afterAll(async () => { await server.stop(); });

for (const n of [1, 2, 3, 4]) {
  test.concurrent(`the bot echoes, tenant ${n} of 4 at once`, () => withBot(async (t, client) => {
    await t.say(0, `hello ${n}`);
    const reply = await t.waitFor('message.sent', fromBot(t));
    const list = await client.im.v1.message.list({ params: { container_id_type: 'chat', container_id: reply.data.chat_id } });
    expect(list.data.items.map((m) => JSON.parse(m.body.content).text)).toEqual([`hello ${n}`, `You said: hello ${n}`]);
    // Only this tenant's calls are in its log: one list and one reply, nothing of the others.
    const mine = (await t.requests()).filter((r) => r.app_id === t.app.app_id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(new Set((await t.requests()).map((r) => r.app_id))).toEqual(new Set([t.app.app_id]));
  }));
}

test('a click approves the deploy', () => withBot(async (t, client) => {
  await t.say(0, 'deploy');
  const card = await t.waitFor('message.sent', fromBot(t));
  const clicked = await t.click(0, card.data.message_id, { deploy: 'main' });
  expect(clicked.applied.toast).toEqual({ type: 'success', content: 'Deploying' });
  const got = await client.im.v1.message.get({ path: { message_id: card.data.message_id } });
  expect(got.data.items[0].body.content).toContain(`Approved by ${t.user(0).open_id}`);
}));

test('waitFor fails with what it saw instead of hanging', async () => {
  const t = await tenant();
  try {
    await expect(t.waitFor('message.sent', () => true, 300)).rejects.toThrow(/no "message.sent" change within 300 ms/);
  } finally {
    await t.delete();
  }
});
