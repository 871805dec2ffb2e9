// Test helpers for larkfeed: start the server (or use LARKFEED_URL), make a tenant of its own for
// each test, act as its users, and wait on its change feed instead of sleeping. Plain async
// functions: they work the same under node:test, vitest and jest.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

class LarkfeedError extends Error {}

function binary() {
  const named = process.env.LARKFEED_BIN;
  if (named) {
    try { fs.accessSync(named, fs.constants.X_OK); } catch (_) {
      throw new LarkfeedError(`LARKFEED_BIN is ${JSON.stringify(named)}, which is not an executable file`);
    }
    return named;
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir, 'larkfeed');
    try { fs.accessSync(candidate, fs.constants.X_OK); return candidate; } catch (_) { /* next */ }
  }
  throw new LarkfeedError('larkfeed was not found: set LARKFEED_BIN to the binary (for example target/debug/larkfeed after `cargo build`), or put `larkfeed` on PATH');
}

class Larkfeed {
  constructor(baseUrl, { adminToken, child } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.adminToken = adminToken;
    this.child = child;
    this.tenants = new Set();
  }

  // One admin or Open API call; its JSON answer (an error's too).
  async request(method, urlPath, body, tenant) {
    let url = `${this.baseUrl}${urlPath}`;
    if (tenant) url += `${urlPath.includes('?') ? '&' : '?'}tenant=${encodeURIComponent(tenant)}`;
    const headers = { 'content-type': 'application/json' };
    if (this.adminToken) headers.authorization = `Bearer ${this.adminToken}`;
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    try { return JSON.parse(text); } catch (_) { throw new LarkfeedError(`${method} ${urlPath}: HTTP ${res.status}: ${text}`); }
  }

  // A new tenant, of the server's world file or of `world` (the world file's shape).
  async tenant(world) {
    const made = await this.request('POST', '/_larkfeed/tenants', world);
    if (!made.tenant_key) throw new LarkfeedError(`the tenant was not made: ${JSON.stringify(made)}`);
    const t = new Tenant(this, made);
    await t.listen();
    this.tenants.add(t);
    return t;
  }

  // Stops the server it started; the tenants' change feeds end with it.
  async stop() {
    for (const t of this.tenants) t.abort.abort();
    this.tenants.clear();
    if (!this.child || this.child.exitCode !== null) return;
    const ended = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await ended;
    clearTimeout(timer);
  }
}

class Tenant {
  constructor(server, made) {
    this.server = server;
    this.key = made.tenant_key;
    this.apps = made.apps;
    this.app = made.apps[0];
    this.users = this.app.users;
    this.seen = [];
    this.waiters = [];
    this.abort = new AbortController();
  }

  // Reads the tenant's change feed (server-sent events) from now on.
  async listen() {
    let url = `${this.server.baseUrl}/_larkfeed/events?tenant=${encodeURIComponent(this.key)}`;
    if (this.server.adminToken) url += `&admin_token=${encodeURIComponent(this.server.adminToken)}`;
    const res = await fetch(url, { signal: this.abort.signal });
    if (!res.ok) throw new LarkfeedError(`the change feed did not open: HTTP ${res.status}`);
    (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body) {
          buffer += decoder.decode(chunk, { stream: true });
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
            if (!data) continue;
            let change;
            try { change = JSON.parse(data); } catch (_) { continue; }
            this.seen.push(change);
            for (const w of [...this.waiters]) w(change);
          }
        }
      } catch (_) { /* the feed ended: the tenant was deleted or the server stopped */ }
    })();
  }

  // The first change of `kind` (`message.sent`, `feed_card.created`, `delivery`, …) for which
  // `match(change)` holds, within `timeoutMs`; changes seen before count.
  waitFor(kind, match = () => true, timeoutMs = 5000) {
    const fits = (c) => c.kind === kind && match(c);
    const already = this.seen.find(fits);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const waiter = (c) => {
        if (!fits(c)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(timer);
        resolve(c);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const kinds = [...new Set(this.seen.map((c) => c.kind))].sort();
        reject(new Error(`no ${JSON.stringify(kind)} change within ${timeoutMs} ms (seen: ${kinds.join(', ')})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  call(method, urlPath, body) { return this.server.request(method, urlPath, body, this.key); }

  // POST /_larkfeed/act/<name> in this tenant: what a user does.
  act(name, body) { return this.call('POST', `/_larkfeed/act/${name}`, body); }

  // A user by index, name, open_id or user_id.
  user(who) {
    if (typeof who === 'number') return this.users[who];
    if (typeof who === 'object') return who;
    const u = this.users.find((x) => [x.name, x.open_id, x.user_id].includes(who));
    if (!u) throw new LarkfeedError(`no user ${JSON.stringify(who)} in tenant ${this.key}`);
    return u;
  }

  // `who` writes `text` to the app's bot (the first app's unless named).
  say(who, text, app = this.app) {
    return this.act('send_message', { user: this.user(who).user_id, to_app: app.app_id, msg_type: 'text', content: JSON.stringify({ text }) });
  }

  // `who` clicks a card's button whose value is `value`.
  click(who, messageId, value, tag = 'button') {
    return this.act('card_action', { user: this.user(who).user_id, message_id: messageId, action: { tag, value } });
  }

  // Events go to `eventUrl`, card callbacks to `callbackUrl` (the same unless given).
  async pointAppAt(eventUrl, callbackUrl = eventUrl, app = this.app) {
    const answer = await this.call('PUT', `/_larkfeed/apps/${app.app_id}`, { event_url: eventUrl, callback_url: callbackUrl });
    if (answer.code !== undefined && answer.code !== 0) throw new LarkfeedError(`the app's URLs were not set: ${JSON.stringify(answer)}`);
    return answer;
  }

  async requests(limit = 100) { return (await this.call('GET', `/_larkfeed/requests?limit=${limit}`)).items || []; }

  async deliveries(limit = 100) { return (await this.call('GET', `/_larkfeed/deliveries?limit=${limit}`)).items || []; }

  // A client of the official SDK (@larksuiteoapi/node-sdk) for the app, the first unless named.
  client(app = this.app, options = {}) {
    const lark = require('@larksuiteoapi/node-sdk');
    return new lark.Client({ appId: app.app_id, appSecret: app.app_secret, domain: this.server.baseUrl, ...options });
  }

  // Deletes the tenant and all its data; its change feed ends.
  async delete() {
    const answer = await this.server.request('DELETE', `/_larkfeed/tenants/${this.key}`);
    this.abort.abort();
    this.server.tenants.delete(this);
    if (answer.deleted !== true) throw new LarkfeedError(`tenant ${this.key} was not deleted: ${JSON.stringify(answer)}`);
  }
}

let current = null;

// Starts `larkfeed serve` on a free port with a memory database (or uses LARKFEED_URL).
async function startLarkfeed({ args = [] } = {}) {
  if (process.env.LARKFEED_URL) {
    current = new Larkfeed(process.env.LARKFEED_URL, { adminToken: process.env.LARKFEED_ADMIN_TOKEN });
    return current;
  }
  const bin = binary();
  const child = spawn(bin, ['serve', '--port', '0', '--database', 'memory', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = readline.createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('error', (e) => reject(new LarkfeedError(`could not start ${bin}: ${e.message}`)));
    child.once('exit', (code) => reject(new LarkfeedError(`${bin} exited (${code}) before it listened`)));
  });
  const prefix = 'larkfeed listening on ';
  if (!first.startsWith(prefix)) throw new LarkfeedError(`${bin} did not start: it said ${JSON.stringify(first)}`);
  lines.on('line', () => {}); // the rest of the banner, so the pipe never fills
  current = new Larkfeed(first.slice(prefix.length).trim(), { child });
  return current;
}

// A tenant of its own, on the server startLarkfeed() started (or LARKFEED_URL).
async function tenant(world) {
  if (!current) {
    if (!process.env.LARKFEED_URL) throw new LarkfeedError('call startLarkfeed() first (or set LARKFEED_URL)');
    current = new Larkfeed(process.env.LARKFEED_URL, { adminToken: process.env.LARKFEED_ADMIN_TOKEN });
  }
  return current.tenant(world);
}

module.exports = { startLarkfeed, tenant, Larkfeed, Tenant, LarkfeedError };
module.exports.findBinary = binary;
