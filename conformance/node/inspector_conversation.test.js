// The inspector in a real browser, for the conversation around a bot: a user reacts to the
// bot's message from the page and sees the reaction (and the bot's own, live); the user replies
// in a thread from the page and sees the thread open under the message, as the app reads it;
// the user marks a bot's message read, and adds a bot to a group and takes it out again.
// Screenshots go to target/inspector/.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const lark = require('@larksuiteoapi/node-sdk');
const { baseUrl, app, clientFor, tenantToken, createChat, failure } = require('./harness');

const CHROMIUM = process.env.LARKFEED_CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.join(__dirname, '..', '..', 'target', 'inspector');
// A real 1×1 PNG, so that the browser draws it.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

test('the inspector shows reactions and threads, and the user reacts and replies in a thread', { timeout: 90_000 }, async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM}: install Debian's chromium (scripts/test does, as root) or set LARKFEED_CHROMIUM`);
    return;
  }
  const { chromium } = require('playwright-core');
  fs.mkdirSync(SHOTS, { recursive: true });
  const alice = app(0).users[0];
  const client = clientFor(0);
  const as = lark.withTenantToken(await tenantToken(0));
  const sent = await client.im.v1.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: alice.open_id, msg_type: 'text', content: JSON.stringify({ text: 'The deploy finished.' }) },
  }, as);
  assert.equal(sent.code, 0, JSON.stringify(sent));
  const messageId = sent.data.message_id;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${baseUrl()}/_larkfeed/ui?user=${alice.user_id}`);
    await page.waitForSelector('#live.on');
    await page.locator(`.chat-entry[data-chat-id="${sent.data.chat_id}"]`).click();
    const message = page.locator(`.msg[data-message-id="${messageId}"]`);
    await message.waitFor();

    // The user reacts from the page.
    await message.locator('select.pick').selectOption('THUMBSUP');
    await message.getByRole('button', { name: 'React' }).click();
    await message.locator('.chip[data-emoji="THUMBSUP"]').waitFor();
    assert.match(await message.locator('.chip[data-emoji="THUMBSUP"]').textContent(), /👍 1/);
    assert.match(await message.locator('.chip[data-emoji="THUMBSUP"]').getAttribute('title'), new RegExp(alice.name));
    // The bot reacts through the API: it shows without a reload.
    const r = await client.im.v1.messageReaction.create({
      path: { message_id: messageId }, data: { reaction_type: { emoji_type: 'Typing' } },
    }, as);
    assert.equal(r.code, 0, JSON.stringify(r));
    await message.locator('.chip[data-emoji="Typing"]').waitFor();

    // The user replies in a thread from the page.
    await message.getByRole('button', { name: 'Reply in thread' }).click();
    await page.locator('#chat form.send input[aria-label="Message"]').fill('Thanks, checking staging now.');
    await page.locator('#chat form.send button[type="submit"]').click();
    const thread = page.locator(`.msg[data-message-id="${messageId}"] .thread`);
    await thread.waitFor();
    assert.match(await thread.locator('.thread-count').textContent(), /1 reply in thread/);
    assert.match(await thread.textContent(), /checking staging/);
    await page.screenshot({ path: path.join(SHOTS, 'conversation.png') });

    // As the app reads it: the user's reply is in a thread under the message.
    const list = await client.im.v1.message.list({
      params: { container_id_type: 'chat', container_id: sent.data.chat_id },
    }, as);
    assert.equal(list.code, 0);
    const root = list.data.items.find((m) => m.message_id === messageId);
    assert.match(root.thread_id, /^omt_/);
    const replies = await client.im.v1.message.list({
      params: { container_id_type: 'thread', container_id: root.thread_id },
    }, as);
    assert.equal(replies.data.items.length, 2);
    assert.equal(JSON.parse(replies.data.items[1].body.content).text, 'Thanks, checking staging now.');
    // The user sends an image from the page; it shows, drawn, from larkfeed's own origin.
    await page.locator('#chat input.image-input').setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG });
    const drawn = page.locator('#chat img.sent-image');
    await drawn.waitFor();
    await page.waitForFunction(() => { const i = document.querySelector('#chat img.sent-image'); return i && i.complete && i.naturalWidth === 1; });
    assert.match(await drawn.getAttribute('src'), /^\/_larkfeed\/uploads\/img_/);
    const images = await client.im.v1.message.list({
      params: { container_id_type: 'chat', container_id: sent.data.chat_id, sort_type: 'ByCreateTimeDesc', page_size: 1 },
    }, as);
    assert.equal(images.data.items[0].msg_type, 'image');
    await page.screenshot({ path: path.join(SHOTS, 'conversation-image.png') });
    // Clicking one's own reaction takes it back.
    await message.locator('.chip[data-emoji="THUMBSUP"]').click();
    await page.waitForFunction((id) => !document.querySelector(`.msg[data-message-id="${id}"] .chip[data-emoji="THUMBSUP"]`), messageId);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('the user marks a message read, and adds a bot to a group and takes it out, from the page', { timeout: 90_000 }, async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.skip(`no Chromium at ${CHROMIUM}: install Debian's chromium (scripts/test does, as root) or set LARKFEED_CHROMIUM`);
    return;
  }
  const { chromium } = require('playwright-core');
  const alice = app(0).users[0];
  const other = app(1);
  const as = lark.withTenantToken(await tenantToken(0));
  const asOther = lark.withTenantToken(await tenantToken(1));
  const chatId = await createChat(0, [alice.open_id]);
  const sent = await clientFor(0).im.v1.message.create({
    params: { receive_id_type: 'chat_id' },
    data: { receive_id: chatId, msg_type: 'text', content: JSON.stringify({ text: 'Standup in five.' }) },
  }, as);
  assert.equal(sent.code, 0, JSON.stringify(sent));
  const messageId = sent.data.message_id;
  const otherReads = () => clientFor(1).im.v1.chat.get({ path: { chat_id: chatId } }, asOther);
  assert.equal((await failure(otherReads())).code, 232011, 'the other bot is not in the group yet');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${baseUrl()}/_larkfeed/ui?user=${alice.user_id}`);
    await page.waitForSelector('#live.on');
    await page.locator(`.chat-entry[data-chat-id="${chatId}"]`).click();
    const message = page.locator(`.msg[data-message-id="${messageId}"]`);
    await message.waitFor();

    // Marked read from the page: the app reads who read it.
    await message.getByRole('button', { name: 'Mark read' }).click();
    let readers;
    for (let i = 0; i < 100; i += 1) {
      readers = await clientFor(0).im.v1.message.readUsers({ path: { message_id: messageId }, params: { user_id_type: 'open_id' } }, as);
      if (readers.code === 0 && readers.data.items.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(readers.data.items.map((u) => u.user_id), [alice.open_id]);

    // The other app's bot is added from the page: it reads the group now.
    const bots = page.locator('#chat .chat-bots');
    await bots.locator(`.bot-out[data-app-id="${other.app_id}"]`).click();
    await bots.locator(`.bot-in[data-app-id="${other.app_id}"]`).waitFor();
    assert.equal((await otherReads()).code, 0);
    await page.screenshot({ path: path.join(SHOTS, 'conversation-bots.png') });
    // And taken out again.
    await bots.locator(`.bot-in[data-app-id="${other.app_id}"]`).click();
    await bots.locator(`.bot-out[data-app-id="${other.app_id}"]`).waitFor();
    assert.equal((await failure(otherReads())).code, 232011);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
