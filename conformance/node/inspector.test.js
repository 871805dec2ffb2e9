// The inspector in a real browser (Debian's Chromium driven by playwright-core): a user's feed
// updates live, a webhook button's toast shows, a card click's answered card replaces the old
// one in place with its header colour, and a title carrying HTML stays text, a javascript: link
// is never a link. Screenshots go to
// target/inspector/.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, app, openId, clientFor, tenantToken } = require('./harness');

const CHROMIUM = process.env.LARKFEED_CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', '..', 'target', 'inspector');
const XSS = '<img src=x onerror="window.__xss=1">Order 7';

// The app: answers a feed-card button with a toast, and a card click with a toast and a new card.
function startApp() {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const data = JSON.parse(body || '{}');
      res.setHeader('content-type', 'application/json');
      if (data.type === 'url_verification') return res.end(JSON.stringify({ challenge: data.challenge }));
      if (data.event && data.event.host === 'app_feed_card') {
        return res.end(JSON.stringify({ toast: { type: 'success', content: 'Feed button seen' } }));
      }
      return res.end(JSON.stringify({
        toast: { type: 'success', content: 'Approved!' },
        card: { type: 'raw', data: {
          config: { update_multi: true },
          header: { template: 'green', title: { tag: 'plain_text', content: 'Approved' } },
          elements: [{ tag: 'markdown', content: '**Done** by the app' }],
        } },
      }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('the inspector shows the feed live and acts as the user', { timeout: 90_000 }, async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM}: install Debian's chromium (scripts/test does, as root) or set LARKFEED_CHROMIUM`);
    return;
  }
  const { chromium } = require('playwright-core');
  fs.mkdirSync(SHOTS, { recursive: true });
  const appServer = await startApp();
  const appUrl = `http://127.0.0.1:${appServer.address().port}/`;
  const set = await fetch(`${baseUrl()}/_larkfeed/apps/${app(0).app_id}`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ callback_url: appUrl }),
  });
  assert.equal(set.status, 200);
  const alice = app(0).users[0];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // No network here: pages the inspector opens are answered locally, so their URL can be read.
    await context.route('https://example.com/**', (route) => route.fulfill({ contentType: 'text/html', body: 'opened' }));
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${baseUrl()}/_larkfeed/ui?user=${alice.user_id}`);
    await page.waitForSelector('#live.on');

    // A card made through the API appears without a reload; its HTML title stays text.
    const token = await tenantToken(0);
    const created = await clientFor(0).im.v2.appFeedCard.create({
      params: { user_id_type: 'open_id' },
      data: {
        user_ids: [alice.open_id],
        app_feed_card: {
          biz_id: 'inspector-1', title: XSS, preview: 'Two items, ready to ship',
          status_label: { text: 'Ready', type: 'success' },
          link: { link: 'https://www.feishu.cn/' },
          buttons: { buttons: [
            { action_type: 'webhook', text: { text: 'Ship it' }, button_type: 'primary', action_map: { order: '7' } },
            { action_type: 'url_page', text: { text: 'Open' }, button_type: 'default', multi_url: { url: 'https://example.com/m/7', pc_url: 'https://example.com/orders/7' } },
          ] },
        },
      },
    }, lark.withTenantToken(token));
    assert.equal(created.code, 0);
    const entry = page.locator('.card-entry[data-biz-id="inspector-1"]');
    await entry.waitFor();
    assert.equal(await entry.locator('.entry-title').textContent(), XSS);
    assert.equal(await entry.locator('img').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    assert.equal(await entry.locator('.label-success').textContent(), 'Ready');
    await page.screenshot({ path: path.join(SHOTS, 'feed.png') });

    // The webhook button sends the click to the app, whose toast shows.
    await entry.getByRole('button', { name: 'Ship it' }).click();
    await page.getByText('Feed button seen').waitFor();
    // A url_page button opens its PC URL in a new tab.
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      entry.getByRole('button', { name: 'Open' }).click(),
    ]);
    await popup.waitForLoadState();
    assert.equal(popup.url(), 'https://example.com/orders/7');
    await popup.close();

    // A card message: open the bot's chat, see the card with its header colour, click its button.
    const card = {
      config: { update_multi: true },
      header: { template: 'red', title: { tag: 'plain_text', content: 'Approve order 7?' } },
      elements: [
        { tag: 'div', text: { tag: 'lark_md', content: 'Total **42** yuan, see [the order](https://example.com/7) or [this](javascript:window.__xss=2)' } },
        { tag: 'hr' },
        { tag: 'action', actions: [{ tag: 'button', text: { tag: 'plain_text', content: 'Approve' }, type: 'primary', value: { order: '7' } }] },
        { tag: 'chart' },
      ],
    };
    const sent = await clientFor(0).im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: alice.open_id, msg_type: 'interactive', content: JSON.stringify(card) },
    }, lark.withTenantToken(token));
    assert.equal(sent.code, 0);
    const chatEntry = page.locator(`.chat-entry[data-chat-id="${sent.data.chat_id}"]`);
    await chatEntry.waitFor();
    await chatEntry.click();
    const message = page.locator(`[data-message-id="${sent.data.message_id}"]`);
    await message.locator('.card-header').waitFor();
    assert.equal(await message.locator('.card-header').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(245, 74, 69)');
    assert.equal(await message.locator('strong').first().textContent(), '42');
    assert.equal(await message.locator('a').count(), 1, 'a javascript: link stays text');
    assert.equal(await message.locator('a').getAttribute('href'), 'https://example.com/7');
    assert.match(await message.locator('.placeholder').textContent(), /chart/);
    await page.screenshot({ path: path.join(SHOTS, 'chat.png') });
    await message.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Approved!').waitFor();
    await message.locator('.card-header', { hasText: 'Approved' }).waitFor();
    assert.equal(await message.locator('.card-header').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(52, 199, 36)');
    assert.match(await message.locator('.who').textContent(), /updated/);
    await page.screenshot({ path: path.join(SHOTS, 'chat-after-click.png') });

    // A narrow window: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 800 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1));
    await page.screenshot({ path: path.join(SHOTS, 'narrow.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });

    // Weight and first paint, for the record.
    const weight = await page.evaluate(() => performance.getEntriesByType('resource')
      .filter((r) => r.name.includes('/_larkfeed/ui/')).reduce((n, r) => n + r.decodedBodySize, 0)
      + performance.getEntriesByType('navigation')[0].decodedBodySize);
    const paint = await page.evaluate(() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime);
    console.log(`# inspector: ${weight} bytes (html+js+css, uncompressed), first contentful paint ${Math.round(paint)} ms`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    appServer.close();
    await fetch(`${baseUrl()}/_larkfeed/apps/${app(0).app_id}`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ callback_url: null }),
    });
  }
});
