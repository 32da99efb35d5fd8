// Email unsubscribe end to end: the email adapter sends through real SMTP to the sink with
// RFC 8058 headers, and the link in them opts the customer out, on POST only.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform } from 'node:stream';
import express from 'express';
import nodemailer, { type Transporter } from 'nodemailer';
import type { ChannelAdapter } from '../../activities/channels/channel';
import { createEmailChannel } from '../../activities/channels/email';
import { errorHandler } from '../../api/errors';
import { issueInboxToken } from '../../api/inbox-auth';
import { unsubscribeRouter } from '../../api/routes/unsubscribe';
import { unsubscribeUrl } from '../../core/unsubscribe-links';
import { connectDatabase, type Database } from '../../db/connect';
import type { CustomerDoc } from '../../db/models';
import { startSmtpSink, type SmtpSink } from '../../dev/smtp-sink';
import { testEnv } from '../support/test-env';

const SECRET = 'unsubscribe-test-secret-0123456789ab';

let db: Database;
let sink: SmtpSink;
let transport: Transporter;
let server: Server;
let baseUrl: string;
let email: ChannelAdapter;
/** Each message exactly as it went over SMTP. */
const wire: string[] = [];

beforeAll(async () => {
  db = await connectDatabase(`${testEnv().mongoBaseUri}/cairn_unsubscribe_${process.pid}`);
  sink = await startSmtpSink();
  transport = nodemailer.createTransport(`smtp://127.0.0.1:${sink.port}`);
  // The sink's parser folds List-* headers into a structure its `headers` map leaves out, so
  // the raw message is copied on its way to the sink.
  transport.use('stream', (mail, done) => {
    mail.message.processFunc((output) => {
      const chunks: Buffer[] = [];
      const copy = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk);
          callback(null, chunk);
        },
        flush(callback) {
          wire.push(Buffer.concat(chunks).toString('utf8'));
          callback();
        },
      });
      return output.pipe(copy);
    });
    done();
  });

  const app = express();
  app.use('/unsubscribe', unsubscribeRouter({ models: db.models, secret: SECRET }));
  app.use(errorHandler);
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  email = createEmailChannel(transport, {
    from: 'Cairn <journeys@example.test>',
    messageIdDomain: 'example.test',
  });
});

afterAll(async () => {
  transport?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await sink?.close();
  await db?.connection.dropDatabase();
  await db?.close();
});

async function customer(id: string, consent?: CustomerDoc['consent']): Promise<CustomerDoc> {
  await db.models.customers.create({ _id: id, email: `${id}@example.test`, attributes: {}, ...(consent ? { consent } : {}) });
  return (await db.models.customers.findById(id).lean())!;
}

const consentOf = async (id: string) => (await db.models.customers.findById(id).lean())!.consent;

/** Sends as the send activity does and returns the headers as they went over the wire, unfolded. */
async function send(to: CustomerDoc, options: { transactional?: boolean } = {}): Promise<Record<string, string>> {
  const { messageId } = await email.deliver({
    key: `journey:newsletter:${to._id}:1:mail:1`,
    journeyId: 'newsletter',
    customer: to,
    address: to.email!,
    content: { subject: 'News', text: 'Hello' },
    // What the send activity hands the adapter with every email.
    unsubscribeUrl: unsubscribeUrl(baseUrl, SECRET, to._id, 'newsletter'),
    ...options,
    parts: { done: {}, record: async () => {} },
  });
  const received = sink.messages.find((m) => m.messageId === messageId);
  expect(received?.to).toEqual([to.email]);
  const raw = wire.find((m) => m.includes(`Message-ID: ${messageId}`));
  expect(raw).toBeDefined();
  const head = raw!.slice(0, raw!.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  return Object.fromEntries(head.split('\r\n').map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
}

const linkIn = (headers: Record<string, string>) => /^<(.+)>$/.exec(headers['list-unsubscribe'])![1];

const oneClick = (url: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });

test('when a marketing email is sent, then it carries one-click List-Unsubscribe headers whose link opts the customer out', async () => {
  const reader = await customer('reader', { sms: true });
  const headers = await send(reader);
  expect(headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
  const link = linkIn(headers);
  expect(link).toBe(unsubscribeUrl(baseUrl, SECRET, 'reader', 'newsletter'));

  // The mailbox provider's one-click POST, as RFC 8058 describes it.
  const res = await oneClick(link);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ unsubscribed: true, channel: 'email' });
  expect(await consentOf('reader')).toEqual({ sms: true, email: false });

  // Again: still unsubscribed, still 200.
  expect((await oneClick(link)).status).toBe(200);
  expect(await consentOf('reader')).toEqual({ sms: true, email: false });
});

test('when a transactional email is sent, then it offers no unsubscribe', async () => {
  const buyer = await customer('buyer');
  const headers = await send(buyer, { transactional: true });
  expect(headers['list-unsubscribe']).toBeUndefined();
  expect(headers['list-unsubscribe-post']).toBeUndefined();
  expect(headers['x-cairn-journey']).toBe('newsletter');
});

test('when a person opens the link, then the page explains and offers a button, and only the button unsubscribes', async () => {
  await customer('browser-user');
  const link = unsubscribeUrl(baseUrl, SECRET, 'browser-user', 'newsletter');

  const page = await fetch(link, { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.headers.get('cache-control')).toBe('no-store');
  const html = await page.text();
  expect(html).toContain('<form method="post">');
  expect(html).toMatch(/<button[^>]*>Unsubscribe<\/button>/);
  expect(html).not.toMatch(/<(script|link|img)\b/);
  // Mail scanners follow links: opening it changes nothing.
  expect(await consentOf('browser-user')).toBeUndefined();

  const confirm = await fetch(link, { method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  expect(confirm.status).toBe(200);
  expect(await confirm.text()).toContain('You are unsubscribed from marketing email');
  expect(await consentOf('browser-user')).toEqual({ email: false });

  const after = await (await fetch(link, { headers: { accept: 'text/html' } })).text();
  expect(after).toContain('already unsubscribed');
  expect(after).not.toContain('<form');
});

test('when the token is tampered with, or is not an unsubscribe token, then the answer is 400 naming the problem and nothing changes', async () => {
  await customer('target', { email: true });
  const link = unsubscribeUrl(baseUrl, SECRET, 'target', 'newsletter');
  const tampered = link.slice(0, -3) + (link.endsWith('AAA') ? 'BBB' : 'AAA');

  const json = await oneClick(tampered);
  expect(json.status).toBe(400);
  expect(((await json.json()) as { error: unknown }).error).toMatchObject({ code: 'invalid_token', message: expect.stringMatching(/invalid signature/) });

  const page = await fetch(tampered, { headers: { accept: 'text/html' } });
  expect(page.status).toBe(400);
  expect(await page.text()).toMatch(/invalid signature/);

  const inboxToken = issueInboxToken(SECRET, 'target', new Date(Date.now() + 60_000));
  const wrong = await oneClick(`${baseUrl}/unsubscribe/${inboxToken}`);
  expect(wrong.status).toBe(400);
  expect(((await wrong.json()) as { error: { message: string } }).error.message).toMatch(/another purpose/);

  expect((await oneClick(`${baseUrl}/unsubscribe/not-a-token`)).status).toBe(400);
  expect(await consentOf('target')).toEqual({ email: true });
});

test('when the customer no longer exists, then the answer is 404', async () => {
  const link = unsubscribeUrl(baseUrl, SECRET, 'long-gone', 'newsletter');
  expect((await oneClick(link)).status).toBe(404);
  const page = await fetch(link, { headers: { accept: 'text/html' } });
  expect(page.status).toBe(404);
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await db.models.customers.exists({ _id: 'long-gone' })).toBeNull();
});
