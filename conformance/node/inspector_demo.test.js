// The README's screenshots, made from a realistic demo in a real browser (Debian's Chromium with
// fonts-noto-cjk, so the Chinese is drawn): a feed with cards from two apps (status labels,
// buttons, an unread badge), a pinned group, and the bot's chat with a rendered card. They are
// written to docs/screenshots/ on every run, so they show the inspector as it is. Along the way:
// the request log's rows are table rows, a line break in card text is drawn, the chosen user
// survives a reload, an open chat has one message box, and a chat's entry shows its last
// message and an unread badge until the user opens it.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, app, clientFor, tenantToken } = require('./harness');

const CHROMIUM = process.env.LARKFEED_CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', '..', 'docs', 'screenshots');

async function call(a, method, pathAndQuery, body) {
  const res = await fetch(`${baseUrl()}${pathAndQuery}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await tenantToken(a)}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json();
  assert.equal(answer.code, 0, `${method} ${pathAndQuery}: ${JSON.stringify(answer)}`);
  return answer.data;
}

async function card(a, userId, appFeedCard) {
  return call(a, 'POST', '/open-apis/im/v2/app_feed_card?user_id_type=open_id',
    { app_feed_card: { link: { link: 'https://www.feishu.cn/' }, ...appFeedCard }, user_ids: [userId] });
}

test('the README screenshots come from a demo feed and chat', { timeout: 90_000 }, async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM}: install Debian's chromium (scripts/test does, as root) or set LARKFEED_CHROMIUM`);
    return;
  }
  const { chromium } = require('playwright-core');
  const alice = app(0).users[0];
  const bob = app(0).users[1];
  const aliceOther = app(1).users[0];

  // The demo: three cards from two apps, one with an unread notification; a pinned group; a
  // card message in the bot's chat.
  await card(0, alice.open_id, {
    biz_id: 'order-1024', title: '订单 1024 待发货', preview: '两件商品 · 明天送达',
    status_label: { text: '待发货', type: 'primary' },
    buttons: { buttons: [
      { action_type: 'webhook', text: { text: '发货' }, button_type: 'primary', action_map: { order: '1024' } },
      { action_type: 'url_page', text: { text: 'Open' }, button_type: 'default', multi_url: { url: 'https://example.com/orders/1024' } },
    ] },
  });
  await card(0, alice.open_id, {
    biz_id: 'invoice-88', title: 'Invoice 88', preview: '¥ 4,200 · due Friday',
    status_label: { text: 'Overdue', type: 'danger' },
  });
  await call(0, 'PUT', '/open-apis/im/v2/app_feed_card/batch?user_id_type=open_id', {
    feed_cards: [{ app_feed_card: { biz_id: 'invoice-88' }, user_id: alice.open_id, update_fields: ['103'] }],
  });
  await card(1, aliceOther.open_id, {
    biz_id: 'weekly', title: '周报已生成', preview: 'Week 49: 12 issues closed',
    status_label: { text: 'New', type: 'success' },
  });
  const group = await call(0, 'POST', '/open-apis/im/v1/chats?user_id_type=open_id',
    { name: '发布小组 Launch', user_id_list: [alice.open_id, bob.open_id] });
  await call(0, 'PATCH', `/open-apis/im/v2/feed_cards/${group.chat_id}?user_id_type=open_id`,
    { time_sensitive: true, user_ids: [alice.open_id] });
  const approval = {
    config: { update_multi: true },
    header: { template: 'orange', title: { tag: 'plain_text', content: '报销审批 · Expense claim' } },
    elements: [
      { tag: 'div', text: { tag: 'lark_md', content: '**Lin Mei** asks for **¥ 368**\nTaxi to the airport, 3 Dec' } },
      { tag: 'div', text: { tag: 'plain_text', content: '第一行\n第二行' } },
      { tag: 'hr' },
      { tag: 'action', actions: [
        { tag: 'button', text: { tag: 'plain_text', content: '同意 Approve' }, type: 'primary', value: { claim: '368' } },
        { tag: 'button', text: { tag: 'plain_text', content: 'Reject' }, type: 'danger', value: { claim: '368', no: true } },
      ] },
    ],
  };
  const token = await tenantToken(0);
  const sent = await clientFor(0).im.v1.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: alice.open_id, msg_type: 'interactive', content: JSON.stringify(approval) },
  }, lark.withTenantToken(token));
  assert.equal(sent.code, 0);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${baseUrl()}/_larkfeed/ui?user=${alice.user_id}`);
    await page.waitForSelector('#live.on');
    await page.locator('.card-entry[data-biz-id="weekly"]').waitFor();
    // One notification from the create, one from update_fields 103.
    assert.equal(await page.locator('.card-entry[data-biz-id="invoice-88"] .badge').textContent(), '2');
    assert.ok(await page.locator(`.chat-entry.pinned[data-chat-id="${group.chat_id}"]`).isVisible());
    // The bot's chat entry: its last message and an unread badge.
    const botEntry = page.locator(`.chat-entry[data-chat-id="${sent.data.chat_id}"]`);
    assert.equal(await botEntry.locator('.badge').textContent(), '1');
    assert.match(await botEntry.locator('.last-message').textContent(), /^Demo Bot: \[Card\] 报销审批/);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'inspector-feed.png') });

    // The bot's chat: the card drawn, its line breaks kept, and one message box on the page.
    // Opening it reads it: the badge goes, here and in the server's feed.
    await botEntry.click();
    await botEntry.locator('.badge').waitFor({ state: 'detached' });
    const feed = await (await fetch(`${baseUrl()}/_larkfeed/users/${alice.user_id}/feed`)).json();
    assert.equal(feed.data.entries.find((e) => e.chat_id === sent.data.chat_id).unread, 0);
    const message = page.locator(`[data-message-id="${sent.data.message_id}"]`);
    await message.locator('.card-header').waitFor();
    // The lines an inline element spans: the distinct tops of its boxes.
    const lines = (selector) => message.locator(selector).first()
      .evaluate((el) => new Set([...el.getClientRects()].map((r) => Math.round(r.top))).size);
    assert.equal(await lines('.md'), 2, 'lark_md draws its \\n');
    assert.equal(await lines('.plain'), 2, 'plain_text draws its \\n');
    assert.equal(await page.locator('#to-bot').isVisible(), false);
    assert.equal(await page.locator('form.send:visible').count(), 1);
    await page.screenshot({ path: path.join(SHOTS, 'inspector-chat.png') });

    // The request log's rows are table rows (a generic .row rule made them flex boxes).
    await page.locator('#tabs button[data-tab="requests"]').click();
    const row = page.locator('table.log tr.row').first();
    await row.waitFor();
    assert.equal(await row.evaluate((el) => getComputedStyle(el).display), 'table-row');

    // The chosen user is kept in the URL, so a reload shows the same one.
    await page.locator('#tabs button[data-tab="feed"]').click();
    await page.selectOption('#user', bob.user_id);
    assert.match(page.url(), new RegExp(`user=${bob.user_id}`));
    await page.reload();
    await page.waitForSelector('#live.on');
    assert.equal(await page.locator('#user').inputValue(), bob.user_id);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
