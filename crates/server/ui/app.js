// The larkfeed inspector. Plain DOM, no library: every string that came from an app is put on
// the page as text (never as HTML); card markdown is rendered from a small safe subset; only
// http: and https: URLs are ever opened.
'use strict';

const state = { world: null, user: null, chat: null, tab: 'feed', clock: { now_ms: Date.now(), at: Date.now(), frozen: false } };

// ---- small helpers ----

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function safeUrl(u) {
  try {
    const url = new URL(String(u));
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch (_) {
    return null;
  }
}

function openUrl(u) {
  const url = safeUrl(u);
  if (url) window.open(url, '_blank', 'noopener,noreferrer');
  else toast({ type: 'warning', content: `Not opened: only http and https links are followed (${u})` });
}

function token() { return sessionStorage.getItem('larkfeed-admin-token') || ''; }

// The tenant the page shows (`?tenant=KEY`, one made at run time), or the server's own: every
// call the page makes is narrowed to it.
const TENANT = new URLSearchParams(location.search).get('tenant') || '';

function inTenant(path) {
  if (!TENANT) return path;
  return `${path}${path.includes('?') ? '&' : '?'}tenant=${encodeURIComponent(TENANT)}`;
}

async function api(method, path, body) {
  const headers = { 'content-type': 'application/json' };
  if (token()) headers.authorization = `Bearer ${token()}`;
  const res = await fetch(inTenant(path), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) {
    const t = window.prompt('This server needs its admin token (larkfeed serve --admin-token):');
    if (t) { sessionStorage.setItem('larkfeed-admin-token', t); return api(method, path, body); }
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.msg || `HTTP ${res.status}`);
  return data;
}

function toast(t) {
  if (!t) return;
  const kind = ['success', 'error', 'warning', 'info'].includes(t.type) ? t.type : 'info';
  const text = t.content || (t.i18n && Object.values(t.i18n)[0]) || '';
  const el = h('div', { class: `toast toast-${kind}`, role: 'status', text });
  document.getElementById('toasts').append(el);
  setTimeout(() => el.remove(), 5000);
}

function fail(e) { toast({ type: 'error', content: String(e.message || e) }); }

function serverNow() {
  const c = state.clock;
  return c.frozen ? c.now_ms : c.now_ms + (Date.now() - c.at);
}

function ago(ms) {
  const s = Math.round((serverNow() - ms) / 1000);
  if (s < 0) return 'in the future';
  if (s < 45) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  if (s < 86400 * 30) return `${Math.round(s / 86400)} d ago`;
  return new Date(ms).toLocaleDateString();
}

function appName(appId) {
  const app = state.world && state.world.apps.find((a) => a.app_id === appId);
  return app ? app.name : appId;
}

function colour(name) {
  let n = 0;
  for (const ch of String(name)) n = (n * 31 + ch.codePointAt(0)) % 360;
  return `hsl(${n} 55% 48%)`;
}

function avatar(name) {
  const el = h('div', { class: 'avatar', 'aria-hidden': 'true', text: (String(name).trim()[0] || '?').toUpperCase() });
  el.style.background = colour(name);
  return el;
}

// ---- markdown, the safe subset: **bold**, *italic*, ~~strike~~, `code`, [text](http url),
// <at id=…></at>, line breaks. Everything else is text.

function md(text) {
  const out = h('span', { class: 'md' });
  const pattern = /(\*\*([^*]+)\*\*|~~([^~]+)~~|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|\*([^*]+)\*|<at [^>]*?(?:id|user_id)=["']?([^"'>\s]+)["']?[^>]*>([^<]*)<\/at>)/g;
  let last = 0;
  let m;
  const s = String(text || '');
  while ((m = pattern.exec(s)) !== null) {
    out.append(s.slice(last, m.index));
    if (m[2] !== undefined) out.append(h('strong', { text: m[2] }));
    else if (m[3] !== undefined) out.append(h('s', { text: m[3] }));
    else if (m[4] !== undefined) out.append(h('code', { text: m[4] }));
    else if (m[5] !== undefined) {
      const url = safeUrl(m[6]);
      out.append(url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: m[5] }) : m[5]);
    } else if (m[7] !== undefined) out.append(h('em', { text: m[7] }));
    else out.append(h('strong', { text: `@${m[9] || m[8]}` }));
    last = pattern.lastIndex;
  }
  out.append(s.slice(last));
  return out;
}

function textOf(t) {
  if (!t) return null;
  if (typeof t === 'string') return t;
  if (t.i18n) return Object.values(t.i18n)[0];
  return t.content;
}

function richText(t) {
  if (!t) return null;
  const text = textOf(t);
  return t.tag === 'lark_md' ? md(text) : h('span', { class: 'plain', text });
}

// ---- interactive cards ----

function renderCard(card, message) {
  if (card && card.type === 'template') {
    const id = card.data && card.data.template_id;
    return h('div', { class: 'card' }, h('div', { class: 'card-body' }, h('div', { class: 'placeholder', text: `Template card ${id || ''} (templates are not rendered)` })));
  }
  const v2 = card && card.schema === '2.0';
  const header = card && card.header;
  let elements = v2 ? (card.body && card.body.elements) : card && card.elements;
  if (!elements && card && card.i18n_elements) elements = Object.values(card.i18n_elements)[0];
  const root = h('div', { class: 'card' });
  if (header && (header.title || header.subtitle)) {
    const head = h('div', { class: 'card-header' }, textOf(header.title) || '', header.subtitle ? h('div', { class: 'sub', text: textOf(header.subtitle) }) : null);
    const template = String(header.template || 'blue');
    if (/^[a-z]+$/.test(template)) head.style.background = `var(--${template}, var(--blue))`;
    root.append(head);
  }
  const body = h('div', { class: 'card-body' });
  for (const el of elements || []) body.append(renderElement(el, message));
  root.append(body);
  return root;
}

function renderButton(b, message) {
  const type = ['primary', 'danger', 'default'].includes(b.type) ? b.type : 'default';
  return h('button', {
    type: 'button',
    class: `btn-${type}`,
    onclick: () => clickCardButton(b, message),
  }, textOf(b.text) || 'Button');
}

function renderElement(el, message) {
  if (!el || typeof el !== 'object') return h('div', { class: 'placeholder', text: '[element]' });
  switch (el.tag) {
    case 'div': {
      const box = h('div', {}, richText(el.text));
      if (Array.isArray(el.fields)) box.append(h('div', { class: 'cols' }, el.fields.map((f) => h('div', {}, richText(f.text)))));
      return box;
    }
    case 'markdown':
    case 'lark_md':
      return h('div', { 'data-element-id': el.element_id || '', 'data-tag': 'markdown', 'data-shown': el.content || '' }, md(el.content));
    case 'plain_text':
      return h('div', { 'data-element-id': el.element_id || '', 'data-tag': 'plain_text', 'data-shown': el.content || '', text: el.content });
    case 'hr':
      return h('hr');
    case 'note':
      return h('div', { class: 'note' }, (el.elements || []).map((n) => (n.tag === 'img' ? '[image] ' : richText(n))));
    case 'img':
    case 'image':
      return h('div', { class: 'placeholder', text: `[image${el.alt && textOf(el.alt) ? `: ${textOf(el.alt)}` : ''}]` });
    case 'action':
      return h('div', { class: 'buttons' }, (el.actions || []).map((a) => (a.tag === 'button' ? renderButton(a, message) : h('span', { class: 'placeholder', text: `[${a.tag}]` }))));
    case 'button':
      return h('div', { class: 'buttons' }, renderButton(el, message));
    case 'column_set':
      return h('div', { class: 'cols' }, (el.columns || []).map((c) => h('div', {}, (c.elements || []).map((x) => renderElement(x, message)))));
    default:
      return h('div', { class: 'placeholder', text: `[${el.tag || 'element'}: not rendered here]` });
  }
}

async function clickCardButton(b, message) {
  const url = b.url || (b.multi_url && (b.multi_url.pc_url || b.multi_url.url));
  if (url && !b.value && !b.behaviors) return openUrl(url);
  let value = b.value || {};
  if (Array.isArray(b.behaviors)) {
    const cb = b.behaviors.find((x) => x.type === 'callback');
    const link = b.behaviors.find((x) => x.type === 'open_url');
    if (!cb && link) return openUrl(link.default_url || link.pc_url);
    if (cb) value = cb.value || {};
  }
  try {
    const acted = await api('POST', '/_larkfeed/act/card_action', {
      user: state.user, message_id: message.message_id, action: { tag: 'button', value, name: b.name },
    });
    showActed(acted);
    if (state.chat) await openChat(state.chat);
  } catch (e) { fail(e); }
}

function showActed(acted) {
  if (acted.applied && acted.applied.toast) toast(acted.applied.toast);
  else if (acted.error) toast({ type: 'error', content: acted.error });
  if (acted.applied && acted.applied.open_url) openUrl(acted.applied.open_url);
}

// ---- the feed ----

async function renderFeed() {
  if (!state.user) return;
  const feed = await api('GET', `/_larkfeed/users/${encodeURIComponent(state.user)}/feed?page_size=100`);
  const list = document.getElementById('feed');
  list.replaceChildren();
  const entries = (feed.data && feed.data.entries) || [];
  if (!entries.length) list.append(h('p', { class: 'hint', text: 'Nothing in this feed yet.' }));
  for (const e of entries) list.append(e.kind === 'app_feed_card' ? cardEntry(e) : chatEntry(e));
}

function cardEntry(e) {
  const c = e.card || {};
  const buttons = ((c.buttons && c.buttons.buttons) || []).slice(0, 2);
  const label = c.status_label && c.status_label.text
    ? h('span', { class: `label label-${['primary', 'secondary', 'success', 'danger'].includes(c.status_label.type) ? c.status_label.type : 'secondary'}`, text: c.status_label.text })
    : null;
  return h('article', { class: `entry card-entry${e.time_sensitive ? ' pinned' : ''}`, 'data-biz-id': e.biz_id },
    avatar(e.app_name),
    h('div', {},
      h('div', { class: 'entry-head' },
        h('span', { class: 'entry-title', text: c.title || '(no title)' }),
        e.unread_notifications > 0 ? h('span', { class: 'badge', text: e.unread_notifications }) : null,
        e.time_sensitive ? h('span', { class: 'pin', text: 'Pinned' }) : null,
        h('span', { class: 'time', title: new Date(e.display_time).toLocaleString(), text: ago(e.display_time) })),
      h('div', { class: 'entry-app', text: e.app_name }),
      c.preview ? h('div', { class: 'preview', text: c.preview }) : null,
      label,
      buttons.length ? h('div', { class: 'buttons' }, buttons.map((b, i) => h('button', {
        type: 'button',
        class: `btn-${['primary', 'success', 'default'].includes(b.button_type) ? b.button_type : 'default'}`,
        onclick: () => pressFeedButton(e, i),
      }, (b.text && b.text.text) || 'Button'))) : null));
}

async function pressFeedButton(e, i) {
  try {
    showActed(await api('POST', '/_larkfeed/act/feed_card_button', { user: state.user, app_id: e.app_id, biz_id: e.biz_id, button: i }));
  } catch (err) { fail(err); }
}

function chatEntry(e) {
  const name = e.chat_type === 'p2p' ? appName(e.app_id) : e.name || e.chat_id;
  const buttons = [];
  for (const group of e.buttons || []) {
    (group.buttons || []).forEach((b, i) => buttons.push(h('button', {
      type: 'button',
      class: `btn-${['primary', 'success', 'default'].includes(b.button_type) ? b.button_type : 'default'}`,
      onclick: async (ev) => {
        ev.stopPropagation();
        try { showActed(await api('POST', '/_larkfeed/act/chat_button', { user: state.user, chat_id: e.chat_id, button: i, app_id: group.app_id })); } catch (err) { fail(err); }
      },
    }, (b.text && b.text.text) || 'Button')));
  }
  return h('article', {
    class: `entry chat-entry${e.time_sensitive ? ' pinned' : ''}${state.chat === e.chat_id ? ' open' : ''}`,
    'data-chat-id': e.chat_id,
    tabindex: 0,
    onclick: () => openChat(e.chat_id),
    onkeydown: (ev) => { if (ev.key === 'Enter') openChat(e.chat_id); },
  },
  avatar(name),
  h('div', {},
    h('div', { class: 'entry-head' },
      h('span', { class: 'entry-title', text: name }),
      e.unread > 0 ? h('span', { class: 'badge', text: e.unread }) : null,
      e.time_sensitive ? h('span', { class: 'pin', text: `Pinned${e.pinned_by ? ` by ${appName(e.pinned_by)}` : ''}` }) : null,
      h('span', { class: 'time', text: ago(e.sort_time) })),
    h('div', { class: 'entry-app', text: e.chat_type === 'p2p' ? 'Bot' : 'Group' }),
    e.last_message ? h('div', { class: 'preview last-message', text: `${e.last_message.sender_name}: ${e.last_message.text}` }) : null,
    buttons.length ? h('div', { class: 'buttons' }, buttons) : null));
}

// ---- a chat ----

function messageBody(m) {
  if (m.recalled) return h('div', { class: 'bubble recalled', text: 'This message was recalled.' });
  let content;
  try { content = JSON.parse(m.content); } catch (_) { content = null; }
  if (m.msg_type === 'interactive' && content) return renderCard(content, m);
  if (m.msg_type === 'text' && content) {
    let text = String(content.text || '');
    for (const mention of m.mentions || []) text = text.split(mention.key).join(`@${mention.name}`);
    return h('div', { class: 'bubble', text });
  }
  if (m.msg_type === 'post' && content) {
    const post = content.title !== undefined ? content : Object.values(content)[0] || {};
    const lines = (post.content || []).map((para) => h('div', {}, (para || []).map((x) => (x.tag === 'a' && safeUrl(x.href)
      ? h('a', { href: safeUrl(x.href), target: '_blank', rel: 'noopener noreferrer', text: x.text })
      : h('span', { text: x.text || (x.tag === 'at' ? `@${x.user_name || x.user_id}` : x.tag === 'img' ? '[image]' : '') })))));
    return h('div', { class: 'bubble' }, post.title ? h('strong', { text: post.title }) : null, lines);
  }
  if (m.msg_type === 'image' && content && content.image_key) {
    return h('div', { class: 'bubble image' }, h('img', { src: uploadUrl(content.image_key), alt: 'image', class: 'sent-image' }));
  }
  if (m.msg_type === 'file' && content && content.file_key) {
    return h('div', { class: 'bubble file' }, h('a', { href: uploadUrl(content.file_key), download: content.file_name || 'file', text: `📎 ${content.file_name || 'file'}` }));
  }
  return h('div', { class: 'placeholder', text: `[${m.msg_type} message]` });
}

// An upload's bytes, from larkfeed itself (an <img> sends no header: the token goes in the query).
function uploadUrl(key) {
  const q = token() ? `?admin_token=${encodeURIComponent(token())}` : '';
  return inTenant(`/_larkfeed/uploads/${encodeURIComponent(key)}${q}`);
}

// The user sends an image: uploaded, then sent to the open chat (in the thread being replied to).
async function sendImage(file, chatId) {
  const data = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',')[1] || '');
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
  const up = await api('POST', '/_larkfeed/act/upload', { user: state.user, type: 'image', file_name: file.name, data });
  const reply = state.replyTo ? { reply_to: state.replyTo, in_thread: true } : {};
  await api('POST', '/_larkfeed/act/send_message', { user: state.user, chat_id: chatId, msg_type: 'image', content: JSON.stringify({ image_key: up.image_key }), ...reply });
  state.replyTo = null;
  await openChat(chatId);
}

function streamingConfig(m) {
  try {
    const card = JSON.parse(m.content);
    const c = (card.config && card.config.streaming_config) || {};
    const pick = (v, d) => (v && typeof v.default === 'number' ? v.default : d);
    return JSON.stringify({ every: Math.max(10, pick(c.print_frequency_ms, 70)), step: Math.max(1, pick(c.print_step, 1)) });
  } catch (_) { return ''; }
}

// ---- reactions and threads ----

const EMOJI = { THUMBSUP: '👍', OK: '👌', DONE: '✅', Typing: '⌨️', OnIt: '🫡', HEART: '❤️', SMILE: '🙂', LGTM: '🆗', THANKS: '🙏', APPLAUSE: '👏', LAUGH: '😄', Fire: '🔥', CheckMark: '✔️', CrossMark: '❌', THINKING: '🤔', PARTY: '🎉' };
const PICK = ['THUMBSUP', 'OK', 'DONE', 'HEART', 'LGTM', 'Typing'];

async function react(m, emoji, remove) {
  try {
    await api('POST', '/_larkfeed/act/react', { user: state.user, message_id: m.message_id, emoji_type: emoji, remove: remove || undefined });
    await openChat(state.chat);
  } catch (e) { fail(e); }
}

function reactionsView(m) {
  const mine = (g) => g.by.some((w) => w.kind === 'user' && w.id === state.user);
  const chips = (m.reactions || []).map((g) => h('button', {
    type: 'button',
    class: `chip${mine(g) ? ' mine' : ''}`,
    'data-emoji': g.emoji_type,
    title: `${g.emoji_type}: ${g.by.map((w) => w.name || w.id).join(', ')}`,
    onclick: () => react(m, g.emoji_type, mine(g)),
  }, `${EMOJI[g.emoji_type] || g.emoji_type} ${g.by.length}`));
  const select = h('select', { 'aria-label': 'Reaction', class: 'pick' }, PICK.map((e) => h('option', { value: e, text: `${EMOJI[e] || ''} ${e}` })));
  const add = h('button', { type: 'button', class: 'react', onclick: () => react(m, select.value, false) }, 'React');
  const thread = h('button', { type: 'button', class: 'reply-thread', onclick: () => startReply(m) }, 'Reply in thread');
  // A message an app sent: the user marks it read, and the app hears of it.
  const read = m.sender.kind === 'app' ? h('button', { type: 'button', class: 'mark-read', onclick: () => markRead(m) }, 'Mark read') : null;
  return h('div', { class: 'reactions' }, chips, m.recalled ? null : [select, add, thread, read]);
}

async function markRead(m) {
  try { showActed(await api('POST', '/_larkfeed/act/read', { user: state.user, message_id: m.message_id })); } catch (e) { fail(e); }
}

// A group's bots, and the user adding or taking one out.
function botsView(chat) {
  if (chat.chat_type === 'p2p' || chat.dissolved) return null;
  const inChat = new Set(chat.bots || []);
  const act = async (path, appId) => {
    try {
      showActed(await api('POST', path, { user: state.user, chat_id: chat.chat_id, app_id: appId }));
      await openChat(chat.chat_id);
    } catch (e) { fail(e); }
  };
  const bots = state.world.apps.filter((a) => a.bot);
  return h('div', { class: 'chat-bots' },
    h('span', { class: 'hint', text: 'Bots:' }),
    bots.map((a) => (inChat.has(a.app_id)
      ? h('button', { type: 'button', class: 'bot-in', 'data-app-id': a.app_id, title: `Take ${a.name} out of the group`, onclick: () => act('/_larkfeed/act/remove_bot', a.app_id) }, `${a.name} ✕`)
      : h('button', { type: 'button', class: 'bot-out', 'data-app-id': a.app_id, title: `Add ${a.name} to the group`, onclick: () => act('/_larkfeed/act/add_bot', a.app_id) }, `+ ${a.name}`))));
}

function startReply(m) {
  state.replyTo = m.message_id;
  const bar = document.getElementById('replying');
  if (bar) {
    bar.hidden = false;
    bar.querySelector('span').textContent = 'Replying in the thread of a message';
  }
  const input = document.querySelector('#chat form.send input[aria-label="Message"]');
  if (input) input.focus();
}

function messageView(m, replies) {
  const quoted = m.parent_id && !m.thread_id ? h('div', { class: 'quote', text: 'Replying to an earlier message' }) : null;
  const box = h('div', { class: `msg${m.streaming ? ' streaming' : ''}`, 'data-message-id': m.message_id, 'data-card-id': m.card_id || '', 'data-config': m.card_id ? streamingConfig(m) : '', 'data-thread-id': m.thread_id || '' },
    h('div', { class: 'who' }, `${m.sender.name || m.sender.id} · ${ago(m.create_time)}`, m.updated ? (m.msg_type === 'interactive' ? ' · updated' : ' · edited') : '', m.streaming ? ' · streaming' : ''),
    quoted,
    messageBody(m),
    reactionsView(m));
  if (replies && replies.length) {
    box.append(h('div', { class: 'thread' },
      h('div', { class: 'thread-count', text: `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'} in thread` }),
      replies.map((r) => messageView(r))));
  }
  return box;
}

// ---- CardKit streaming: a content write types out in place ----
//
// A content write carries the element's whole text. As the Feishu client does, when the text
// shown is a prefix of the new one the rest is typed out (print_step characters every
// print_frequency_ms, from the card's streaming_config; "fast": a newer write first shows what
// was still to type); otherwise the new text replaces it at once. Only that element changes: the
// chat is not drawn again. Any other write to the card redraws that one message.

const typing = new Map();

function setElementText(el, text) {
  el.dataset.shown = text;
  if (el.dataset.tag === 'markdown') el.replaceChildren(md(text));
  else el.textContent = text;
}

function typeOut(el, target, step, every) {
  const key = el;
  const pending = typing.get(key);
  if (pending) { clearInterval(pending.timer); setElementText(el, pending.target); }
  const shown = el.dataset.shown || '';
  if (!target.startsWith(shown)) { setElementText(el, target); return; }
  const chars = Array.from(target);
  let at = Array.from(shown).length;
  const timer = setInterval(() => {
    at = Math.min(chars.length, at + step);
    setElementText(el, chars.slice(0, at).join(''));
    if (at >= chars.length) { clearInterval(timer); typing.delete(key); }
  }, every);
  typing.set(key, { timer, target });
}

async function redrawMessage(cardId) {
  const box = document.querySelector(`.msg[data-card-id="${cardId}"]`);
  if (!box || !state.chat) return;
  const data = await api('GET', `/_larkfeed/chats/${encodeURIComponent(state.chat)}/messages?limit=100`);
  const m = data.items.find((x) => x.card_id === cardId);
  if (m) box.replaceWith(messageView(m));
}

function onCardWrite(ev) {
  let change;
  try { change = JSON.parse(ev.data); } catch (_) { return; }
  const detail = change.detail || change;
  const parts = String(detail.path || '').split('/');
  const at = parts.indexOf('cards');
  const cardId = at >= 0 ? parts[at + 1] : '';
  if (!cardId || cardId === 'id_convert') return refreshSoon();
  const box = document.querySelector(`.msg[data-card-id="${cardId}"]`);
  if (!box) return refreshSoon();
  const req = detail.request || {};
  const isContent = parts[parts.length - 1] === 'content' && typeof req.content === 'string';
  const el = isContent ? box.querySelector(`[data-element-id="${parts[at + 3]}"]`) : null;
  if (!el) { redrawMessage(cardId).catch(fail); return; }
  const config = (box.dataset.config && JSON.parse(box.dataset.config)) || {};
  typeOut(el, req.content, config.step || 1, config.every || 70);
}

// The chat's messages with each thread's replies under its first message.
function threaded(items) {
  const roots = new Map();
  const top = [];
  for (const m of items) {
    if (m.thread_id && m.root_id && items.some((r) => r.message_id === m.root_id)) {
      if (!roots.has(m.root_id)) roots.set(m.root_id, []);
      roots.get(m.root_id).push(m);
    } else top.push(m);
  }
  return top.map((m) => messageView(m, roots.get(m.message_id)));
}

async function openChat(chatId) {
  if (state.chat !== chatId) state.replyTo = null;
  state.chat = chatId;
  // Opening a chat reads it as the user, as the client does: its unread badge goes.
  const data = await api('GET', `/_larkfeed/chats/${encodeURIComponent(chatId)}/messages?limit=100&reader=${encodeURIComponent(state.user)}`);
  const pane = document.getElementById('chat');
  const title = data.chat.chat_type === 'p2p' ? appName(data.chat.app_id) : data.chat.name || chatId;
  const input = h('input', { placeholder: 'Write as this user', autocomplete: 'off', 'aria-label': 'Message' });
  const form = h('form', {
    class: 'send',
    onsubmit: async (ev) => {
      ev.preventDefault();
      if (!input.value) return;
      try {
        const reply = state.replyTo ? { reply_to: state.replyTo, in_thread: true } : {};
        const acted = await api('POST', '/_larkfeed/act/send_message', { user: state.user, chat_id: chatId, msg_type: 'text', content: JSON.stringify({ text: input.value }), ...reply });
        input.value = '';
        state.replyTo = null;
        if (acted.error && acted.applied && !acted.applied.events.length) toast({ type: 'info', content: 'Sent. No app in this chat may read it.' });
        await openChat(chatId);
      } catch (e) { fail(e); }
    },
  }, input, h('button', { type: 'submit' }, 'Send'),
  h('label', { class: 'attach', title: 'Send an image' }, '🖼 Image',
    h('input', { type: 'file', accept: 'image/*', class: 'image-input', onchange: (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (file) sendImage(file, chatId).catch(fail);
    } })));
  pane.replaceChildren(
    h('h2', { text: title }),
    botsView(data.chat),
    ...(data.items.length ? [] : [h('p', { class: 'hint', text: 'No messages yet.' })]),
    ...threaded(data.items),
    h('div', { id: 'replying', class: 'replying', hidden: !state.replyTo }, h('span', { text: state.replyTo ? 'Replying in the thread of a message' : '' }),
      h('button', { type: 'button', onclick: () => { state.replyTo = null; document.getElementById('replying').hidden = true; } }, 'Cancel')),
    form);
  document.querySelectorAll('.chat-entry').forEach((el) => el.classList.toggle('open', el.dataset.chatId === chatId));
  // One message box: the open chat's own.
  document.getElementById('to-bot').hidden = true;
  const badge = document.querySelector(`.chat-entry[data-chat-id="${chatId}"] .badge`);
  if (badge) badge.remove();
}

// ---- logs ----

function appOptions(select) {
  const current = select.value;
  select.replaceChildren(h('option', { value: '', text: 'every app' }), ...state.world.apps.map((a) => h('option', { value: a.app_id, text: a.name })));
  select.value = current;
}

function logTable(table, columns, rows, details) {
  table.replaceChildren(h('thead', {}, h('tr', {}, columns.map((c) => h('th', { text: c[0] })))));
  const body = h('tbody');
  for (const r of rows) {
    const detail = h('tr', { hidden: true }, h('td', { colspan: columns.length }, details(r).map(([name, v]) => h('div', {}, h('strong', { text: name }), h('pre', { text: typeof v === 'string' ? v : JSON.stringify(v, null, 2) })))));
    body.append(h('tr', { class: 'row', onclick: () => { detail.hidden = !detail.hidden; } }, columns.map((c) => c[1](r))), detail);
  }
  table.append(body);
}

function cell(text, cls) { return h('td', { class: cls, text: text === null || text === undefined ? '' : text }); }

async function renderRequests() {
  const form = document.getElementById('requests-filter');
  const q = new URLSearchParams({ limit: '200' });
  if (form.app_id.value) q.set('app_id', form.app_id.value);
  if (form.path.value) q.set('path', form.path.value);
  const data = await api('GET', `/_larkfeed/requests?${q}`);
  logTable(document.getElementById('requests'), [
    ['time', (r) => cell(new Date(r.at_ms).toLocaleTimeString())],
    ['app', (r) => cell(r.app_id ? appName(r.app_id) : '')],
    ['call', (r) => cell(`${r.method} ${r.path}`)],
    ['status', (r) => cell(r.http_status, r.http_status >= 400 ? 'bad' : '')],
    ['code', (r) => cell(r.code, r.code ? 'bad' : 'good')],
    ['ms', (r) => cell(r.latency_ms)],
  ], data.items, (r) => [['log id', r.log_id || ''], ['query', r.query || ''], ['request', r.request], ['response', r.response]]);
}

async function renderDeliveries() {
  const form = document.getElementById('deliveries-filter');
  const q = new URLSearchParams({ limit: '200' });
  if (form.app_id.value) q.set('app_id', form.app_id.value);
  const data = await api('GET', `/_larkfeed/deliveries?${q}`);
  logTable(document.getElementById('deliveries'), [
    ['time', (r) => cell(new Date(r.at_ms).toLocaleTimeString())],
    ['app', (r) => cell(appName(r.app_id))],
    ['type', (r) => cell(r.event_type || r.kind)],
    ['via', (r) => cell(r.via)],
    ['try', (r) => cell(r.attempt)],
    ['result', (r) => cell(r.delivered ? `${r.status}` : r.error, r.delivered ? 'good' : 'bad')],
    ['ms', (r) => cell(r.latency_ms)],
  ], data.items, (r) => [['url', r.url], ['sent', r.body], ['answer', r.response === null ? '(none)' : r.response], ['error', r.error || '']]);
}

// ---- tools ----

async function renderTools() {
  const clock = await api('GET', '/_larkfeed/clock');
  state.clock = { now_ms: clock.now_ms, at: Date.now(), frozen: clock.frozen };
  document.getElementById('clock-now').textContent = `${new Date(clock.now_ms).toLocaleString()}${clock.frozen ? ' (frozen)' : ''}`;
  document.getElementById('freeze').textContent = clock.frozen ? 'Resume' : 'Freeze';
  const faults = await api('GET', '/_larkfeed/faults');
  document.getElementById('faults').replaceChildren(...faults.items.map((f) => h('li', {
    text: `${f.method || 'any'} ${f.path} → ${f.code === undefined || f.code === null ? 'delay' : f.code}${f.times ? ` ×${f.times}` : ''}${f.delay_ms ? ` after ${f.delay_ms} ms` : ''} (hit ${f.hits})`,
  })));
}

function wireTools() {
  document.querySelectorAll('[data-advance]').forEach((b) => b.addEventListener('click', async () => {
    try { await api('POST', '/_larkfeed/clock', { advance_ms: Number(b.dataset.advance) }); await refresh(); } catch (e) { fail(e); }
  }));
  document.getElementById('freeze').addEventListener('click', async () => {
    try { await api('POST', '/_larkfeed/clock', { frozen: !state.clock.frozen }); await refresh(); } catch (e) { fail(e); }
  });
  document.getElementById('fault').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.target;
    const spec = { path: f.path.value };
    if (f.method.value) spec.method = f.method.value.toUpperCase();
    for (const k of ['code', 'times', 'delay_ms']) if (f[k].value) spec[k] = Number(f[k].value);
    try { await api('POST', '/_larkfeed/faults', spec); f.reset(); await renderTools(); } catch (e) { fail(e); }
  });
  document.getElementById('faults-clear').addEventListener('click', async () => {
    try { await api('DELETE', '/_larkfeed/faults'); await renderTools(); } catch (e) { fail(e); }
  });
  document.getElementById('reset').addEventListener('click', async () => {
    if (!window.confirm('Empty every table of this server?')) return;
    try { await api('POST', '/_larkfeed/reset'); state.chat = null; toast({ type: 'success', content: 'Reset.' }); await refresh(); } catch (e) { fail(e); }
  });
  document.getElementById('state-save').addEventListener('click', async () => {
    try {
      const doc = await api('GET', '/_larkfeed/state');
      const a = h('a', { href: URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' })), download: 'larkfeed-state.json' });
      a.click();
    } catch (e) { fail(e); }
  });
  document.getElementById('state-load').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    try { await api('PUT', '/_larkfeed/state', JSON.parse(await file.text())); toast({ type: 'success', content: 'State loaded.' }); await refresh(); } catch (e) { fail(e); }
    ev.target.value = '';
  });
}

// ---- wiring ----

async function refresh() {
  try {
    const clock = await api('GET', '/_larkfeed/clock');
    state.clock = { now_ms: clock.now_ms, at: Date.now(), frozen: clock.frozen };
    if (state.tab === 'feed') {
      await renderFeed();
      if (state.chat) await openChat(state.chat);
    } else if (state.tab === 'requests') await renderRequests();
    else if (state.tab === 'deliveries') await renderDeliveries();
    else await renderTools();
  } catch (e) { fail(e); }
}

let pending = null;
function refreshSoon() {
  if (pending) return;
  pending = setTimeout(() => { pending = null; refresh(); }, 150);
}

function listen() {
  const kinds = ['feed_card.created', 'feed_card.updated', 'feed_card.deleted', 'message.sent', 'message.updated',
    'message.recalled', 'reaction.created', 'reaction.deleted', 'chat.bot_added', 'chat.bot_removed', 'chat_button.updated', 'feed.pinned', 'chat.created', 'chat.members_added', 'delivery',
    'reset', 'state.loaded', 'connection.opened', 'connection.closed'];
  const q = token() ? `?admin_token=${encodeURIComponent(token())}` : '';
  const source = new EventSource(inTenant(`/_larkfeed/events${q}`));
  const live = document.getElementById('live');
  source.onopen = () => { live.textContent = 'live'; live.classList.add('on'); };
  source.onerror = () => { live.textContent = 'reconnecting'; live.classList.remove('on'); };
  for (const k of kinds) source.addEventListener(k, refreshSoon);
  source.addEventListener('card.updated', onCardWrite);
  source.addEventListener('card.created', () => {});
}

// The tenants made at run time (asked of the server's own tenant), as a picker in the header
// when there are any: choosing one opens the page narrowed to it.
async function tenantPicker() {
  const headers = token() ? { authorization: `Bearer ${token()}` } : {};
  const listed = await fetch('/_larkfeed/tenants', { headers }).then((r) => r.json()).catch(() => ({}));
  const keys = (listed.items || []).map((t) => t.tenant_key);
  if (!TENANT && keys.length === 0) return;
  if (TENANT && !keys.includes(TENANT)) keys.unshift(TENANT);
  const select = h('select', { id: 'tenant', 'aria-label': 'Tenant' });
  select.append(h('option', { value: '', text: "server's own" }));
  for (const key of keys) select.append(h('option', { value: key, text: key }));
  select.value = TENANT;
  select.addEventListener('change', () => {
    const url = new URL('/_larkfeed/ui', location.href);
    if (select.value) url.searchParams.set('tenant', select.value);
    location.assign(url);
  });
  const label = h('label', { class: 'picker tenant', title: 'Tenants made at run time (POST /_larkfeed/tenants)' });
  label.append('Tenant ', select);
  document.querySelector('.brand').after(label);
}

async function start() {
  if (TENANT) document.title = `larkfeed inspector · ${TENANT}`;
  await tenantPicker();
  state.world = await api('GET', '/_larkfeed/world');
  const users = document.getElementById('user');
  users.replaceChildren();
  const first = state.world.apps[0];
  for (const u of first.users) users.append(h('option', { value: u.user_id, text: u.name }));
  const wanted = new URLSearchParams(location.search).get('user');
  state.user = (wanted && first.users.some((u) => u.user_id === wanted) && wanted) || first.users[0].user_id;
  users.value = state.user;
  users.addEventListener('change', () => {
    state.user = users.value;
    state.chat = null;
    // Kept in the URL, so a reload shows the same user.
    const url = new URL(location.href);
    url.searchParams.set('user', state.user);
    history.replaceState(null, '', url);
    document.getElementById('chat').replaceChildren(h('p', { class: 'hint', text: 'Open a chat from the feed.' }));
    document.getElementById('to-bot').hidden = false;
    refresh();
  });
  const bot = document.getElementById('bot');
  for (const a of state.world.apps.filter((x) => x.bot)) bot.append(h('option', { value: a.app_id, text: a.name }));
  document.getElementById('to-bot').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = document.getElementById('to-bot-text');
    if (!input.value) return;
    try {
      const acted = await api('POST', '/_larkfeed/act/send_message', { user: state.user, to_app: bot.value, msg_type: 'text', content: JSON.stringify({ text: input.value }) });
      input.value = '';
      if (acted.applied && acted.applied.chat_id) await openChat(acted.applied.chat_id);
      await renderFeed();
    } catch (e) { fail(e); }
  });
  document.querySelectorAll('#tabs button').forEach((b) => b.addEventListener('click', () => {
    state.tab = b.dataset.tab;
    document.querySelectorAll('#tabs button').forEach((x) => x.classList.toggle('on', x === b));
    document.querySelectorAll('.view').forEach((v) => { v.hidden = v.id !== `view-${state.tab}`; });
    refresh();
  }));
  for (const id of ['requests-filter', 'deliveries-filter']) {
    const form = document.getElementById(id);
    appOptions(form.app_id);
    form.addEventListener('submit', (ev) => { ev.preventDefault(); refresh(); });
  }
  wireTools();
  listen();
  await refresh();
  // "3 min ago" moves on even when nothing changes.
  setInterval(() => { if (state.tab === 'feed') renderFeed().catch(fail); }, 60000);
}

start().catch(fail);
