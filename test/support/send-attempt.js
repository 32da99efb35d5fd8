// One attempt of a send, run as its own process so that two attempts share nothing but the
// store and the SMTP server (test/integration/send-attempts.test.ts), through the send
// activity's real dependencies as the worker builds them (compiled by `npm run build`):
// node send-attempt.js <mongo uri> <smtp url> <send input JSON> <start at, epoch ms>.
// Prints one JSON line: the attempt's result, or the failure it ended with.
const path = require('node:path');
const dist = path.join(__dirname, '..', '..', 'dist');
const { connectDatabase } = require(path.join(dist, 'db', 'connect'));
const { createEmailChannel } = require(path.join(dist, 'activities', 'channels', 'email'));
const { createSend } = require(path.join(dist, 'activities', 'send'));
const { createMailTransport } = require(path.join(dist, 'lib', 'mail-transport'));
const { storeSendDeps } = require(path.join(dist, 'workers', 'activity-deps'));

const [uri, smtpUrl, inputJson, startAt] = process.argv.slice(2);

async function main() {
  const db = await connectDatabase(uri);
  const transport = createMailTransport({ smtpUrl, from: 'Cairn <journeys@example.test>', messageIdDomain: 'example.test' });
  const send = createSend({ ...storeSendDeps(db), channels: { email: createEmailChannel(transport, { from: 'Cairn <journeys@example.test>', messageIdDomain: 'example.test' }) } });
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
  const line = await send(JSON.parse(inputJson)).then(
    (result) => ({ result }),
    (err) => ({ failure: { type: err.type, message: err.message } }),
  );
  process.stdout.write(`${JSON.stringify(line)}\n`);
  transport.close();
  await db.close();
}

main().catch((err) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
