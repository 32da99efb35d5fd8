// The customer-facing web inbox over real HTTP and the embedded store: inbox tokens, listing, reads, and
// the server-sent event stream fed by the shared poller, with messages written the way the
// worker writes them (the web channel adapter).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createWebChannel } from '../../activities/channels/web';
import { requireApiKey } from '../../api/auth';
import { errorHandler } from '../../api/errors';
import { issueInboxToken } from '../../api/inbox-auth';
import { customerInboxTokenRouter, inboxRouter, type InboxRouter } from '../../api/routes/inbox';
import { sign } from '../../core/signed-token';
import { unsubscribeToken } from '../../core/unsubscribe-links';
import { connectDatabase, type Database } from '../../db/connect';
import { createEngagementEvents } from '../../lib/engagement-events';
import { createEventIngest } from '../../lib/event-ingest';
import { testEnv } from '../support/test-env';

const SECRET = 'inbox-test-secret-0123456789abcdef';
const API_KEY = 'inbox-test-api-key';
const POLL_MS = 100;
const HEARTBEAT_MS = 300;

let db: Database;
let server: Server;
let baseUrl: string;
let inbox: InboxRouter;
const streams: SseStream[] = [];

beforeAll(async () => {
  db = await connectDatabase(`${testEnv().mongoBaseUri}/cairn_inbox_${process.pid}`);
  const app = express();
  app.set('query parser', 'simple');
  // Reads record opens of ledger sends (test/integration/engagement.test.ts); these messages have none.
  const engagement = createEngagementEvents({ models: db.models, events: createEventIngest(db.models) });
  inbox = inboxRouter({ models: db.models, secret: SECRET, engagement, pollIntervalMs: POLL_MS, heartbeatMs: HEARTBEAT_MS });
  app.use('/inbox', inbox);
  const v1 = express.Router();
  v1.use(requireApiKey([API_KEY]));
  v1.use(express.json());
  v1.use('/customers', customerInboxTokenRouter({ models: db.models, secret: SECRET }));
  app.use('/v1', v1);
  app.use(errorHandler);
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});

afterAll(async () => {
  inbox?.closeStreams();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await db?.connection.dropDatabase();
  await db?.close();
});

// --- helpers -------------------------------------------------------------------------------

interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** A server-sent event stream read the way a browser reads it, over fetch. */
class SseStream {
  readonly events: SseEvent[] = [];
  private readonly controller = new AbortController();
  private constructor() {}

  static async open(path: string, headers: Record<string, string> = {}): Promise<SseStream> {
    const stream = new SseStream();
    const res = await fetch(baseUrl + path, { headers, signal: stream.controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    streams.push(stream);
    void stream.pump(res.body!);
    return stream;
  }

  /** Messages as the browser got them. */
  messages(): { id: string; title: string; eventId?: string }[] {
    return this.events.filter((e) => e.event === 'message').map((e) => ({ ...JSON.parse(e.data), eventId: e.id }));
  }

  /** The ID a reconnecting EventSource sends: that of the last event that had one. */
  lastEventId(): string | undefined {
    return this.events.filter((e) => e.id !== undefined).at(-1)?.id;
  }

  async waitFor(check: (s: SseStream) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this)) {
      if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(this.events)}`);
      await sleep(20);
    }
  }

  close(): void {
    this.controller.abort();
  }

  private async pump(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: Partial<SseEvent> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id' || field === 'event' || field === 'data') event[field] = value;
          }
          if (event.data !== undefined) this.events.push({ event: 'message', ...event } as SseEvent);
        }
      }
    } catch {
      // Aborted by close().
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function customer(id: string): Promise<string> {
  await db.models.customers.updateOne({ _id: id }, { $setOnInsert: { attributes: {} } }, { upsert: true });
  return issueInboxToken(SECRET, id, new Date(Date.now() + 3_600_000));
}

let sends = 0;
/** Delivers a web message as the worker does. */
async function deliver(customerId: string, title: string, link?: string): Promise<string> {
  const key = `journey:inbox-test:${customerId}:1:step-${++sends}:1`;
  await createWebChannel(db.models.inbox).deliver({
    key,
    journeyId: 'inbox-test',
    customer: { _id: customerId, attributes: {}, createdAt: new Date(), updatedAt: new Date() },
    address: customerId,
    content: { title, body: `${title} body`, ...(link ? { link } : {}) },
    parts: { done: {}, record: async () => {} },
  });
  return key;
}

async function call(method: string, path: string, options: { token?: string; body?: unknown; key?: string } = {}) {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

// --- tests ---------------------------------------------------------------------------------

describe('inbox tokens', () => {
  test('when the site asks for a token for a known customer, then it gets one valid for 30 days that opens that inbox', async () => {
    await customer('token-holder');
    await deliver('token-holder', 'Hello');
    const res = await call('POST', '/v1/customers/token-holder/inbox-token', { key: API_KEY });
    expect(res.status).toBe(200);
    const days = (Date.parse(res.body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const list = await call('GET', '/inbox/messages', { token: res.body.token });
    expect(list.status).toBe(200);
    expect(list.body.messages.map((m: { title: string }) => m.title)).toEqual(['Hello']);
  });

  test('when the site asks for a shorter token, then it expires then', async () => {
    await customer('short-lived');
    const res = await call('POST', '/v1/customers/short-lived/inbox-token', { key: API_KEY, body: { expiresInSeconds: 600 } });
    expect(Math.abs(Date.parse(res.body.expiresAt) - (Date.now() + 600_000))).toBeLessThan(5_000);
  });

  test('when the customer does not exist, or no API key is given, then no token is issued', async () => {
    expect((await call('POST', '/v1/customers/nobody-here/inbox-token', { key: API_KEY })).status).toBe(404);
    expect((await call('POST', '/v1/customers/short-lived/inbox-token')).status).toBe(401);
    expect((await call('POST', '/v1/customers/short-lived/inbox-token', { key: API_KEY, body: { expiresInSeconds: 1 } })).status).toBe(400);
  });

  test.each([
    ['no token', () => undefined, /missing/],
    ['a token with a bad signature', () => sign('another-secret-0123456789abcdefgh', 'inbox', { customerId: 'c' }), /invalid signature/],
    ['an expired token', () => issueInboxToken(SECRET, 'c', new Date(Date.now() - 1_000)), /expired/],
    ['an unsubscribe token', () => unsubscribeToken(SECRET, 'c', 'j'), /another purpose/],
    ['garbage', () => 'not-a-token', /malformed/],
  ])('when the browser presents %s, then the inbox answers 401 naming the problem', async (_what, token, problem) => {
    const given = token();
    for (const path of ['/inbox/messages', '/inbox/stream']) {
      const res = await call('GET', path, { token: given });
      expect(res.status).toBe(401);
      expect(res.body.error.message).toMatch(problem);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
    expect((await call('POST', '/inbox/read-all', { token: given })).status).toBe(401);
  });

  test('when the token comes in the query, then it is accepted as from the Authorization header', async () => {
    const token = await customer('query-token');
    const res = await fetch(`${baseUrl}/inbox/messages?token=${encodeURIComponent(token)}`);
    expect(res.status).toBe(200);
    // An Authorization header decides alone: a bad one is refused beside a good query token.
    const both = await fetch(`${baseUrl}/inbox/messages?token=${encodeURIComponent(token)}`, { headers: { authorization: 'Basic c3B5OnNweQ==' } });
    expect(both.status).toBe(401);
  });
});

describe('listing', () => {
  test('when the inbox is listed, then it shows only the customer\'s messages, newest first, with the unread count, page by page', async () => {
    const token = await customer('lister');
    const base = Date.now() - 60_000;
    await db.models.inbox.insertMany([
      ...[0, 1, 2, 3, 4].map((i) => ({ _id: `list-${i}`, customerId: 'lister', journeyId: 'j', title: `m${i}`, body: 'b', createdAt: new Date(base + i * 1_000) })),
      { _id: 'list-same-time', customerId: 'lister', journeyId: 'j', title: 'm4b', body: 'b', createdAt: new Date(base + 4_000), readAt: new Date() },
      { _id: 'not-mine', customerId: 'someone-else', journeyId: 'j', title: 'theirs', body: 'b', createdAt: new Date(base + 9_000) },
    ]);
    const first = await call('GET', '/inbox/messages?limit=3', { token });
    expect(first.status).toBe(200);
    expect(first.body.unread).toBe(5);
    expect(first.body.messages.map((m: { id: string }) => m.id)).toEqual(['list-same-time', 'list-4', 'list-3']);
    expect(first.body.messages[0]).toEqual({
      id: 'list-same-time',
      title: 'm4b',
      body: 'b',
      createdAt: new Date(base + 4_000).toISOString(),
      readAt: expect.any(String),
    });
    expect(typeof first.body.lastEventId).toBe('string');
    const second = await call('GET', `/inbox/messages?limit=3&before=${first.body.nextBefore}`, { token });
    expect(second.body.messages.map((m: { id: string }) => m.id)).toEqual(['list-2', 'list-1', 'list-0']);
    expect(second.body.nextBefore).toBeUndefined();
    expect(second.body.lastEventId).toBeUndefined();
  });

  test('when the page cursor or the limit is wrong, then the inbox answers 400', async () => {
    const token = await customer('lister');
    expect((await call('GET', '/inbox/messages?before=not-mine', { token })).status).toBe(400);
    expect((await call('GET', '/inbox/messages?limit=0', { token })).status).toBe(400);
    expect((await call('GET', '/inbox/messages?limit=101', { token })).status).toBe(400);
  });
});

describe('reading', () => {
  test('when a message is marked read, then readAt is set once, the unread count drops, and open streams hear of it', async () => {
    const token = await customer('reader');
    const id = await deliver('reader', 'Read me');
    const stream = await SseStream.open('/inbox/stream', { authorization: `Bearer ${token}` });
    const first = await call('POST', `/inbox/messages/${encodeURIComponent(id)}/read`, { token });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ id, title: 'Read me', readAt: expect.any(String) });
    await sleep(5);
    const again = await call('POST', `/inbox/messages/${encodeURIComponent(id)}/read`, { token });
    expect(again.body.readAt).toBe(first.body.readAt);
    expect((await call('GET', '/inbox/messages', { token })).body.unread).toBe(0);
    await stream.waitFor((s) => s.events.some((e) => e.event === 'read'));
    expect(stream.events.filter((e) => e.event === 'read').map((e) => JSON.parse(e.data))).toEqual([{ ids: [id], readAt: first.body.readAt }]);
  });

  test('when a customer marks another customer\'s message, or one that does not exist, then the inbox answers 404 and nothing changes', async () => {
    const theirs = await deliver('victim', 'Private');
    const token = await customer('intruder');
    expect((await call('POST', `/inbox/messages/${encodeURIComponent(theirs)}/read`, { token })).status).toBe(404);
    expect((await call('POST', '/inbox/messages/no-such-message/read', { token })).status).toBe(404);
    expect((await db.models.inbox.findById(theirs).lean())!.readAt).toBeUndefined();
  });

  test('when all are marked read, then every unread message of that customer only is read', async () => {
    const token = await customer('bulk-reader');
    await deliver('bulk-reader', 'one');
    await deliver('bulk-reader', 'two');
    const other = await deliver('bulk-bystander', 'not touched');
    const res = await call('POST', '/inbox/read-all', { token });
    expect(res.body).toEqual({ read: 2, readAt: expect.any(String) });
    expect((await call('GET', '/inbox/messages', { token })).body.unread).toBe(0);
    expect((await db.models.inbox.findById(other).lean())!.readAt).toBeUndefined();
    expect((await call('POST', '/inbox/read-all', { token })).body.read).toBe(0);
  });
});

describe('stream', () => {
  test('when the worker writes a message while the stream is open, then it arrives as an event: message', async () => {
    const token = await customer('live');
    const stream = await SseStream.open(`/inbox/stream?token=${encodeURIComponent(token)}`);
    const id = await deliver('live', 'Fresh', 'https://shop.example/sale');
    await stream.waitFor((s) => s.messages().length === 1);
    const [event] = stream.events.filter((e) => e.event === 'message');
    expect(JSON.parse(event.data)).toEqual({
      id,
      title: 'Fresh',
      body: 'Fresh body',
      link: 'https://shop.example/sale',
      createdAt: expect.any(String),
    });
    expect(event.id).toBeTruthy();
  });

  test('when two customers are connected, then each sees only their own messages', async () => {
    const [ann, bob] = await Promise.all([customer('ann'), customer('bob')]);
    const annStream = await SseStream.open(`/inbox/stream?token=${encodeURIComponent(ann)}`);
    const bobStream = await SseStream.open(`/inbox/stream?token=${encodeURIComponent(bob)}`);
    await deliver('ann', 'For Ann');
    await deliver('bob', 'For Bob');
    await deliver('ann', 'For Ann again');
    await annStream.waitFor((s) => s.messages().length === 2);
    await bobStream.waitFor((s) => s.messages().length === 1);
    await sleep(5 * POLL_MS);
    expect(annStream.messages().map((m) => m.title)).toEqual(['For Ann', 'For Ann again']);
    expect(bobStream.messages().map((m) => m.title)).toEqual(['For Bob']);
  });

  test('when the browser reconnects with Last-Event-ID, then it gets what it missed, and nothing twice', async () => {
    const token = await customer('flaky');
    const first = await SseStream.open(`/inbox/stream?token=${encodeURIComponent(token)}`);
    await deliver('flaky', 'before the drop');
    await first.waitFor((s) => s.messages().length === 1);
    first.close();

    await deliver('flaky', 'missed 1');
    await deliver('flaky', 'missed 2');
    const second = await SseStream.open(`/inbox/stream?token=${encodeURIComponent(token)}`, { 'Last-Event-ID': first.lastEventId()! });
    await second.waitFor((s) => s.messages().length === 2);
    await deliver('flaky', 'after the reconnect');
    await second.waitFor((s) => s.messages().length === 3);
    await sleep(5 * POLL_MS);
    expect(second.messages().map((m) => m.title)).toEqual(['missed 1', 'missed 2', 'after the reconnect']);

    // And again from the middle: only what came after that event.
    const third = await SseStream.open(`/inbox/stream?token=${encodeURIComponent(token)}`, { 'Last-Event-ID': second.messages()[0].eventId! });
    await third.waitFor((s) => s.messages().length === 2);
    await sleep(5 * POLL_MS);
    expect(third.messages().map((m) => m.title)).toEqual(['missed 2', 'after the reconnect']);
  });

  test('when the stream starts from the list\'s lastEventId, then it sends only messages the list did not have', async () => {
    const token = await customer('page-then-stream');
    await deliver('page-then-stream', 'listed');
    const list = await call('GET', '/inbox/messages', { token });
    await deliver('page-then-stream', 'between list and stream');
    const stream = await SseStream.open(`/inbox/stream?token=${encodeURIComponent(token)}&lastEventId=${list.body.lastEventId}`);
    await stream.waitFor((s) => s.messages().length === 1);
    await deliver('page-then-stream', 'live');
    await stream.waitFor((s) => s.messages().length === 2);
    await sleep(5 * POLL_MS);
    expect(stream.messages().map((m) => m.title)).toEqual(['between list and stream', 'live']);
  });

  test('when a message turns up with a createdAt already in the past, then the stream still delivers it', async () => {
    const token = await customer('late');
    const stream = await SseStream.open(`/inbox/stream?token=${encodeURIComponent(token)}`);
    await deliver('late', 'on time');
    await stream.waitFor((s) => s.messages().length === 1);
    await sleep(3 * POLL_MS);
    // Written by a worker whose clock runs 3 s behind, after the poller has moved past that time.
    await db.models.inbox.create({ _id: 'late-arrival', customerId: 'late', journeyId: 'j', title: 'late', body: 'b', createdAt: new Date(Date.now() - 3_000) });
    await stream.waitFor((s) => s.messages().length === 2);
    await sleep(5 * POLL_MS);
    expect(stream.messages().map((m) => m.title)).toEqual(['on time', 'late']);
    // A reconnect from the last event does not send the late one again.
    const again = await SseStream.open(`/inbox/stream?token=${encodeURIComponent(token)}`, { 'Last-Event-ID': stream.lastEventId()! });
    await sleep(5 * POLL_MS);
    expect(again.messages()).toEqual([]);
  });

  test('when many browsers are connected, then the poller makes one query per interval, and none once they leave', async () => {
    const tokens = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map(customer));
    const opened = await Promise.all(tokens.map((t) => SseStream.open(`/inbox/stream?token=${encodeURIComponent(t)}`)));
    let finds = 0;
    db.connection.set('debug', (collection: string, method: string) => {
      if (collection === 'inbox' && method === 'find') finds++;
    });
    try {
      await sleep(20 * POLL_MS);
      // One per interval (a poll takes some time of its own), not one per stream.
      expect(finds).toBeGreaterThanOrEqual(5);
      expect(finds).toBeLessThanOrEqual(21);
      for (const s of opened) s.close();
      await sleep(3 * POLL_MS);
      finds = 0;
      await sleep(10 * POLL_MS);
      expect(finds).toBe(0);
    } finally {
      db.connection.set('debug', false);
    }
  });

  test('when the stream is open, then it is not cached, and heartbeat comments keep it alive', async () => {
    const token = await customer('heartbeat');
    const res = await fetch(`${baseUrl}/inbox/stream?token=${encodeURIComponent(token)}`);
    expect(res.headers.get('cache-control')).toMatch(/no-cache/);
    const reader = res.body!.getReader();
    let text = '';
    const deadline = Date.now() + 5_000;
    while (!text.includes(': heartbeat\n\n') && Date.now() < deadline) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text).toMatch(/^retry: \d+\n\n/);
    expect(text).toContain(': heartbeat\n\n');
  });

  test('when the Last-Event-ID is not one of the stream\'s, then the stream answers 400', async () => {
    const token = await customer('bad-cursor');
    const res = await call('GET', '/inbox/stream?lastEventId=nonsense!', { token });
    expect(res.status).toBe(400);
  });
});

describe('browser access', () => {
  test('when the browser sends a CORS preflight, then any origin may call with the Authorization and Last-Event-ID headers', async () => {
    const res = await fetch(`${baseUrl}/inbox/messages`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Last-Event-ID/);
    expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
    const token = await customer('cors');
    const get = await fetch(`${baseUrl}/inbox/messages`, { headers: { origin: 'https://shop.example', authorization: `Bearer ${token}` } });
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('when the page loads the snippet, then it is served as JavaScript defining CairnInbox', async () => {
    const res = await fetch(`${baseUrl}/inbox/cairn-inbox.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    const source = await res.text();
    expect(source).toContain('window.CairnInbox');
    expect(source).not.toMatch(/innerHTML/);
  });
});
