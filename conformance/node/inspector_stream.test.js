// The inspector in a real browser watching a bot stream an answer into a CardKit card (through
// the official Node SDK's cardkit calls): the text grows in place, in the same element, without
// the chat being drawn again; when streaming is turned off the final card shows, without the
// streaming cursor. Screenshots go to target/inspector/.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, app, clientFor, tenantToken } = require('./harness');

const CHROMIUM = process.env.LARKFEED_CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', '..', 'target', 'inspector');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const STEPS = ['Checking the build… ', 'tests pass. ', 'Deploying to **staging**… ', 'done. ',
  'Smoke tests… ', 'green. ', 'Rolling out to production… ', 'all hosts healthy.'];

test('the inspector shows a streamed card growing in place, then the final card', { timeout: 90_000 }, async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM}: install Debian's chromium (scripts/test does, as root) or set LARKFEED_CHROMIUM`);
    return;
  }
  const { chromium } = require('playwright-core');
  fs.mkdirSync(SHOTS, { recursive: true });
  const alice = app(0).users[0];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${baseUrl()}/_larkfeed/ui?user=${alice.user_id}`);
    await page.waitForSelector('#live.on');

    const client = clientFor(0);
    const as = lark.withTenantToken(await tenantToken(0));
    const card = {
      schema: '2.0',
      config: { streaming_mode: true, streaming_config: { print_frequency_ms: { default: 30 }, print_step: { default: 2 }, print_strategy: 'fast' } },
      header: { title: { tag: 'plain_text', content: 'Release bot' }, template: 'indigo' },
      body: { elements: [{ tag: 'markdown', element_id: 'answer', content: '…' }] },
    };
    const created = await client.cardkit.v1.card.create({ data: { type: 'card_json', data: JSON.stringify(card) } }, as);
    assert.equal(created.code, 0, JSON.stringify(created));
    const cardId = created.data.card_id;
    const sent = await client.im.v1.message.create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: alice.open_id, msg_type: 'interactive', content: JSON.stringify({ type: 'card', data: { card_id: cardId } }) },
    }, as);
    assert.equal(sent.code, 0, JSON.stringify(sent));
    const entry = page.locator(`.chat-entry[data-chat-id="${sent.data.chat_id}"]`);
    await entry.waitFor();
    await entry.click();
    const message = page.locator(`.msg[data-card-id="${cardId}"]`);
    await message.waitFor();
    assert.equal(await message.evaluate((el) => el.classList.contains('streaming')), true);
    // Marks on the message and the text element: drawn again, they would be gone.
    await page.evaluate(() => {
      const box = document.querySelector('.msg[data-card-id]');
      box.__kept = true;
      box.querySelector('[data-element-id="answer"]').__kept = true;
    });

    let text = '';
    const seen = [];
    for (let i = 0; i < STEPS.length; i += 1) {
      text += STEPS[i];
      const wrote = await client.cardkit.v1.cardElement.content({
        path: { card_id: cardId, element_id: 'answer' },
        data: { content: text, sequence: i + 1, uuid: `c_${cardId}_${i + 1}` },
      }, as);
      assert.equal(wrote.code, 0, JSON.stringify(wrote));
      await sleep(150);
      seen.push(await message.locator('[data-element-id="answer"]').textContent());
      if (i === 3) await page.screenshot({ path: path.join(SHOTS, 'streaming.png') });
    }
    const whole = text.replace(/\*\*/g, '');
    await page.waitForFunction((w) => document.querySelector('[data-element-id="answer"]').textContent === w, whole);
    const kept = await page.evaluate(() => {
      const box = document.querySelector('.msg[data-card-id]');
      return Boolean(box.__kept && box.querySelector('[data-element-id="answer"]').__kept);
    });
    assert.ok(kept, 'the text grew in place: the message and its element were not drawn again');
    // It grew: each sample is a start of the next, and there were several in between.
    for (let i = 1; i < seen.length; i += 1) assert.ok(seen[i].startsWith(seen[i - 1]), JSON.stringify(seen));
    assert.ok(new Set(seen).size >= 4, JSON.stringify(seen));
    assert.equal(await message.locator('strong', { hasText: 'staging' }).count(), 1, 'markdown is drawn as it streams');

    // Streaming off: the final card, without the cursor.
    const done = await client.cardkit.v1.card.settings({
      path: { card_id: cardId },
      data: { settings: JSON.stringify({ config: { streaming_mode: false, summary: { content: 'Released' } } }), sequence: STEPS.length + 1 },
    }, as);
    assert.equal(done.code, 0, JSON.stringify(done));
    await page.waitForFunction((id) => {
      const box = document.querySelector(`.msg[data-card-id="${id}"]`);
      return box && !box.classList.contains('streaming');
    }, cardId);
    assert.equal(await message.locator('[data-element-id="answer"]').textContent(), whole);
    await page.screenshot({ path: path.join(SHOTS, 'streamed.png') });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
