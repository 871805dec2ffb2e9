// A small Feishu bot on the official Node SDK (@larksuiteoapi/node-sdk): it echoes what a user
// writes, answers "deploy" with a card that has an Approve button, and turns the card into
// "Approved" when the button is clicked. It serves the platform's events and card callbacks
// over HTTP.
'use strict';
const http = require('node:http');
const lark = require('@larksuiteoapi/node-sdk');

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

function deployCard(state, who) {
  const text = state === 'asking' ? 'Deploy **main** to production?' : `Approved by ${who}`;
  const elements = [{ tag: 'markdown', content: text }];
  if (state === 'asking') {
    elements.push({ tag: 'button', text: { tag: 'plain_text', content: 'Approve' }, type: 'primary', behaviors: [{ type: 'callback', value: { deploy: 'main' } }] });
  }
  return { schema: '2.0', config: { update_multi: true }, body: { elements } };
}

async function startBot(client) {
  const reply = async (messageId, msgType, content) => {
    const answer = await client.im.v1.message.reply({ path: { message_id: messageId }, data: { msg_type: msgType, content: JSON.stringify(content) } });
    if (answer.code !== 0) throw new Error(`reply failed: ${answer.code} ${answer.msg}`);
  };
  const events = new lark.EventDispatcher({ logger: quiet }).register({
    'im.message.receive_v1': async (data) => {
      const text = JSON.parse(data.message.content).text || '';
      if (text.trim().toLowerCase() === 'deploy') await reply(data.message.message_id, 'interactive', deployCard('asking'));
      else await reply(data.message.message_id, 'text', { text: `You said: ${text}` });
    },
  });
  const cards = new lark.CardActionHandler({ logger: quiet }, async (data) => ({
    toast: { type: 'success', content: 'Deploying' },
    card: { type: 'raw', data: deployCard('approved', data.operator.open_id) },
  }));
  const options = { autoChallenge: true };
  const onEvents = lark.adaptDefault('/events', events, options);
  const onCards = lark.adaptDefault('/cards', cards, options);
  const server = http.createServer((req, res) => (req.url === '/cards' ? onCards : onEvents)(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const root = `http://127.0.0.1:${server.address().port}`;
  return { events: `${root}/events`, cards: `${root}/cards`, stop: () => new Promise((r) => server.close(r)) };
}

module.exports = { startBot, deployCard };
