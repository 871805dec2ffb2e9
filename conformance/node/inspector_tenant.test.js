// The inspector narrowed to a tenant made at run time (`/_larkfeed/ui?tenant=KEY`): the page
// shows the tenant's users, chats and messages, acts inside it, and shows nothing of the
// server's own tenant. Messages are sent through the official Node SDK with the tenant's app.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, admin, clientFor, tenantToken, app } = require('./harness');

const CHROMIUM = process.env.LARKFEED_CHROMIUM || '/usr/bin/chromium';
const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

test('the inspector shows one tenant when asked for it', { timeout: 90_000 }, async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM}: install Debian's chromium (scripts/test does, as root) or set LARKFEED_CHROMIUM`);
    return;
  }
  const { chromium } = require('playwright-core');
  const tenant = await admin('POST', '/_larkfeed/tenants');
  assert.ok(tenant.tenant_key, JSON.stringify(tenant));
  const key = tenant.tenant_key;
  const tapp = tenant.apps[0];
  const alice = tapp.users[0];
  // The tenant's app, through the SDK: it reaches its tenant by its credentials alone.
  const client = new lark.Client({ appId: tapp.app_id, appSecret: tapp.app_secret, domain: baseUrl(), logger: quiet });
  const sent = await client.im.v1.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: alice.open_id, msg_type: 'text', content: JSON.stringify({ text: 'Only in this tenant.' }) },
  });
  assert.equal(sent.code, 0, JSON.stringify(sent));
  // The server's own tenant has a message of its own.
  const own = await clientFor(0).im.v1.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: app(0).users[0].open_id, msg_type: 'text', content: JSON.stringify({ text: 'Only in the own tenant.' }) },
  }, lark.withTenantToken(await tenantToken(0)));
  assert.equal(own.code, 0, JSON.stringify(own));

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // The server's own page lists the tenant in its header; choosing it opens the page in it.
    await page.goto(`${baseUrl()}/_larkfeed/ui`);
    await page.waitForSelector('#live.on');
    await page.locator('#tenant').selectOption(key);
    await page.waitForURL(new RegExp(`tenant=${key}`));
    await page.waitForSelector('#live.on');
    assert.equal(await page.locator('#tenant').inputValue(), key);
    assert.equal(await page.locator('#user').inputValue(), alice.user_id);

    await page.goto(`${baseUrl()}/_larkfeed/ui?tenant=${key}&user=${alice.user_id}`);
    await page.waitForSelector('#live.on');
    assert.equal(await page.locator('.top .tenant select').inputValue(), key);
    await page.locator(`.chat-entry[data-chat-id="${sent.data.chat_id}"]`).click();
    const message = page.locator(`.msg[data-message-id="${sent.data.message_id}"]`);
    await message.waitFor();
    assert.match(await page.locator('#chat').textContent(), /Only in this tenant\./);
    assert.equal(await page.locator(`.chat-entry[data-chat-id="${own.data.chat_id}"]`).count(), 0);
    // The user reacts from the page: the tenant's app reads it.
    await message.locator('select.pick').selectOption('THUMBSUP');
    await message.getByRole('button', { name: 'React' }).click();
    await message.locator('.chip[data-emoji="THUMBSUP"]').waitFor();
    const reactions = await client.im.v1.messageReaction.list({ path: { message_id: sent.data.message_id } });
    assert.equal(reactions.code, 0, JSON.stringify(reactions));
    assert.equal(reactions.data.items[0].reaction_type.emoji_type, 'THUMBSUP');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await admin('DELETE', `/_larkfeed/tenants/${key}`);
  }
});
