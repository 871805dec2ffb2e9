// Two tenants made at run time (through larkfeed-testing), each with a bot on the Node SDK's long
// connection (WSClient, by domain only): each bot hears its own tenant's users and nobody else's,
// and answers a click in its own tenant.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const lark = require('@larksuiteoapi/node-sdk');
const { startLarkfeed, tenant } = require('larkfeed-testing');

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

async function until(check, what, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function bot(server, t) {
  const heard = [];
  const dispatcher = new lark.EventDispatcher({ logger: quiet }).register({
    'im.message.receive_v1': async (data) => { heard.push(JSON.parse(data.message.content).text); },
    'card.action.trigger': async () => ({ toast: { type: 'info', content: `clicked in ${t.key}` } }),
  });
  const ws = new lark.WSClient({ appId: t.app.app_id, appSecret: t.app.app_secret, domain: server.baseUrl, logger: quiet });
  ws.start({ eventDispatcher: dispatcher });
  return { ws, heard };
}

test('bots of two tenants on the long connection each hear only their own tenant', async () => {
  const server = await startLarkfeed();
  const tenants = await Promise.all([tenant(), tenant()]);
  const bots = tenants.map((t) => bot(server, t));
  try {
    for (const t of tenants) {
      await until(async () => (await t.call('GET', `/_larkfeed/apps/${t.app.app_id}`)).connections.length > 0, `${t.key}'s connection`);
    }
    // The server's own tenant does not know their apps.
    const own = await server.request('GET', `/_larkfeed/apps/${tenants[0].app.app_id}`);
    assert.ok(own.code !== undefined && own.code !== 0, JSON.stringify(own));

    const said = await Promise.all(tenants.map((t, i) => t.say(0, `hello ${i}`)));
    said.forEach((s) => assert.equal(s.delivered, true, JSON.stringify(s)));
    assert.deepEqual(bots[0].heard, ['hello 0']);
    assert.deepEqual(bots[1].heard, ['hello 1']);

    // A click on a card the tenant's app sent is answered by that tenant's bot.
    const [t] = tenants;
    const client = t.client(t.app, { logger: quiet });
    const card = { schema: '2.0', body: { elements: [{ tag: 'button', text: { tag: 'plain_text', content: 'Go' }, behaviors: [{ type: 'callback', value: { go: 1 } }] }] } };
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: t.users[0].open_id, msg_type: 'interactive', content: JSON.stringify(card) },
    });
    assert.equal(sent.code, 0, sent.msg);
    const clicked = await t.click(0, sent.data.message_id, { go: 1 });
    assert.equal(clicked.delivered, true, JSON.stringify(clicked));
    assert.deepEqual(clicked.applied.toast, { type: 'info', content: `clicked in ${t.key}` });
    const records = await t.deliveries(1);
    assert.equal(records[0].via, 'long_connection');
  } finally {
    bots.forEach((b) => b.ws.close());
    await Promise.all(tenants.map((t) => t.delete()));
    await server.stop();
  }
});
