// A tenant of its own with the bot on its first app, for one test; shared by the bot's suites
// (node:test here, and the same scenario under vitest and jest).
'use strict';
const { tenant } = require('larkfeed-testing');
const { startBot } = require('./bot');

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

// Runs `run(t, client)` with the tenant `t` and an official client of its app, then stops the
// bot and deletes the tenant.
async function withBot(run) {
  const t = await tenant();
  const client = t.client(t.app, { logger: quiet });
  const bot = await startBot(client);
  try {
    await t.pointAppAt(bot.events, bot.cards);
    await run(t, client);
  } finally {
    await bot.stop();
    await t.delete();
  }
}

// Matches the changes of what the tenant's app (the bot) did.
const fromBot = (t) => (c) => c.app_id === t.app.app_id;

module.exports = { withBot, fromBot };
