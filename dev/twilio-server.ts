// A local HTTP server speaking the part of Twilio's Messages API that the `twilio` client uses,
// keeping what it receives and sending signed status callbacks: the local stand-in for Twilio,
// used by `npm start` and by the tests. GET /messages lists what was sent, as JSON.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { smsSegments, type SmsEncoding } from '../core/sms-segments';

export type SmsStatus = 'accepted' | 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface ReceivedSms {
  sid: string;
  accountSid: string;
  to: string;
  /** Null until a Messaging Service picks a sender, as on Twilio. */
  from: string | null;
  messagingServiceSid?: string;
  body: string;
  statusCallback?: string;
  status: SmsStatus;
  numSegments: number;
  encoding: SmsEncoding;
  errorCode?: number;
  dateCreated: Date;
  dateSent?: Date;
  dateUpdated: Date;
}

/** A webhook request this server made (status callback or inbound SMS), with our answer. */
export interface SentWebhook {
  url: string;
  params: Record<string, string>;
  /** The HTTP status, or 0 when the request failed. */
  status: number;
}

export interface InboundSms {
  from: string;
  body: string;
  /** Our number the customer wrote to. */
  to?: string;
  webhookUrl: string;
}

export interface TwilioServerOptions {
  port?: number;
  host?: string;
  accountSid: string;
  authToken: string;
  onMessage?: (message: ReceivedSms) => void;
  /** A carrier error code (e.g. 30003) for numbers whose messages end undelivered. */
  deliveryError?: (to: string) => number | undefined;
  /** The pause before each status change; default 20 ms. */
  statusDelayMs?: number;
}

export interface TwilioServer {
  port: number;
  url: string;
  messages: ReceivedSms[];
  webhooks: SentWebhook[];
  /** The next `count` message creations fail with this HTTP status. */
  failNext(count: number, status: 429 | 500 | 503): void;
  /** Posts Twilio's inbound-SMS webhook, signed, and returns our answer. */
  sendInbound(sms: InboundSms): Promise<{ status: number; text: string }>;
  /** Resolves once every status callback scheduled so far has been sent. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Twilio's test sender and its magic recipients, which fail the way real numbers do. */
const DEFAULT_NUMBER = '+15005550006';
const MAGIC_RECIPIENTS: Record<string, [number, string]> = {
  '+15005550001': [21211, "Invalid 'To' Phone Number"],
  '+15005550002': [21612, "The 'To' phone number is not currently reachable via SMS"],
  '+15005550003': [21408, 'Permission to send an SMS has not been enabled for the region indicated by the \'To\' number'],
  '+15005550004': [21610, 'Attempt to send to unsubscribed recipient'],
  '+15005550009': [21614, "'To' number is not a valid mobile number"],
};
const E164 = /^\+[1-9]\d{1,14}$/;
const ALPHANUMERIC_SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/;
const API_PREFIX = '/2010-04-01/Accounts/';

class TwilioError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startTwilioServer(options: TwilioServerOptions): Promise<TwilioServer> {
  const host = options.host ?? '127.0.0.1';
  const delay = options.statusDelayMs ?? 20;
  const messages: ReceivedSms[] = [];
  const webhooks: SentWebhook[] = [];
  const pending = new Set<Promise<void>>();
  let failures: { count: number; status: number } = { count: 0, status: 0 };
  const expectedAuth = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  const accountPath = `${API_PREFIX}${options.accountSid}`;

  async function postSigned(url: string, params: Record<string, string>): Promise<{ status: number; text: string }> {
    const signature = twilio.getExpectedTwilioSignature(options.authToken, url, params);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
        // Twilio gives up on a webhook after 15 s; a stuck one must not hold close() forever.
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      webhooks.push({ url, params, status: res.status });
      return { status: res.status, text };
    } catch {
      webhooks.push({ url, params, status: 0 });
      return { status: 0, text: '' };
    }
  }

  /** queued → sent → delivered (or undelivered), a callback at each step after the first. */
  function progress(message: ReceivedSms): void {
    const errorCode = options.deliveryError?.(message.to);
    const steps: Array<() => void> = [
      () => {
        message.status = 'sent';
        message.dateSent = new Date();
        message.from ??= DEFAULT_NUMBER;
      },
      () => {
        message.status = errorCode === undefined ? 'delivered' : 'undelivered';
        if (errorCode !== undefined) message.errorCode = errorCode;
      },
    ];
    const run = (async () => {
      for (const step of steps) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        step();
        message.dateUpdated = new Date();
        if (message.statusCallback) await postSigned(message.statusCallback, statusParams(message));
      }
    })();
    pending.add(run);
    void run.finally(() => pending.delete(run));
  }

  function createMessage(form: URLSearchParams): ReceivedSms {
    if (failures.count > 0) {
      failures.count -= 1;
      throw failures.status === 429
        ? new TwilioError(429, 20429, 'Too Many Requests')
        : new TwilioError(failures.status, 20500, 'Internal Server Error');
    }
    const to = form.get('To') ?? '';
    const from = form.get('From') || undefined;
    const messagingServiceSid = form.get('MessagingServiceSid') || undefined;
    const body = form.get('Body') ?? '';
    if (!to) throw new TwilioError(400, 21604, "A 'To' phone number is required.");
    if (!from && !messagingServiceSid) throw new TwilioError(400, 21603, "A 'From' phone number is required.");
    if (!body) throw new TwilioError(400, 21602, 'Message body is required.');
    if (!E164.test(to)) throw new TwilioError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (from && !E164.test(from) && !ALPHANUMERIC_SENDER.test(from)) {
      throw new TwilioError(400, 21212, `Invalid From Number (caller ID): ${from}`);
    }
    if (body.length > 1600) {
      throw new TwilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    }
    const magic = MAGIC_RECIPIENTS[to];
    if (magic) throw new TwilioError(400, magic[0], magic[0] === 21211 ? `${magic[1]}: ${to}` : magic[1]);
    const count = smsSegments(body);
    const now = new Date();
    const message: ReceivedSms = {
      sid: `SM${randomBytes(16).toString('hex')}`,
      accountSid: options.accountSid,
      to,
      from: from ?? null,
      ...(messagingServiceSid ? { messagingServiceSid } : {}),
      body,
      ...(form.get('StatusCallback') ? { statusCallback: form.get('StatusCallback')! } : {}),
      status: from ? 'queued' : 'accepted',
      numSegments: count.segments,
      encoding: count.encoding,
      dateCreated: now,
      dateUpdated: now,
    };
    messages.push(message);
    options.onMessage?.(message);
    progress(message);
    return message;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://twilio.local');
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload, null, 2));
    };
    if (req.method === 'GET' && url.pathname === '/messages') {
      send(200, { messages });
      return;
    }
    const form = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : new URLSearchParams();
    try {
      if (!url.pathname.startsWith(API_PREFIX)) throw new TwilioError(404, 20404, `The requested resource ${url.pathname} was not found`);
      if (req.headers.authorization !== expectedAuth) throw new TwilioError(401, 20003, 'Authenticate');
      if (req.method === 'POST' && url.pathname === `${accountPath}/Messages.json`) {
        send(201, messageJson(createMessage(form)));
        return;
      }
      if (req.method === 'GET' && url.pathname === `${accountPath}/Messages.json`) {
        send(200, listPage(messages, url, accountPath));
        return;
      }
      const one = new RegExp(`^${accountPath}/Messages/(SM[0-9a-f]{32})\\.json$`).exec(url.pathname);
      const found = one && req.method === 'GET' ? messages.find((m) => m.sid === one[1]) : undefined;
      if (found) {
        send(200, messageJson(found));
        return;
      }
      throw new TwilioError(404, 20404, `The requested resource ${url.pathname} was not found`);
    } catch (err) {
      if (!(err instanceof TwilioError)) throw err;
      send(err.status, {
        code: err.code,
        message: err.message,
        more_info: `https://www.twilio.com/docs/errors/${err.code}`,
        status: err.status,
      });
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 20500, message: String(err), status: 500 }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const idle = async () => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    messages,
    webhooks,
    failNext(count, status) {
      failures = { count, status };
    },
    sendInbound(sms) {
      const sid = `SM${randomBytes(16).toString('hex')}`;
      return postSigned(sms.webhookUrl, {
        ToCountry: 'US',
        SmsMessageSid: sid,
        NumMedia: '0',
        SmsSid: sid,
        SmsStatus: 'received',
        Body: sms.body,
        To: sms.to ?? DEFAULT_NUMBER,
        NumSegments: String(smsSegments(sms.body).segments),
        MessageSid: sid,
        AccountSid: options.accountSid,
        From: sms.from,
        ApiVersion: '2010-04-01',
      });
    },
    idle,
    async close() {
      await idle();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Twilio's date format: RFC 2822 in UTC, e.g. "Thu, 01 Jan 2026 10:00:00 +0000". */
function rfc2822(date: Date | undefined): string | null {
  return date ? date.toUTCString().replace('GMT', '+0000') : null;
}

function messageJson(m: ReceivedSms) {
  const uri = `${API_PREFIX}${m.accountSid}/Messages/${m.sid}.json`;
  return {
    account_sid: m.accountSid,
    api_version: '2010-04-01',
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: rfc2822(m.dateSent),
    date_updated: rfc2822(m.dateUpdated),
    direction: 'outbound-api',
    error_code: m.errorCode ?? null,
    error_message: null,
    from: m.from,
    messaging_service_sid: m.messagingServiceSid ?? null,
    num_media: '0',
    num_segments: String(m.numSegments),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: uri.replace(/\.json$/, '/Media.json') },
    to: m.to,
    uri,
  };
}

function statusParams(m: ReceivedSms): Record<string, string> {
  return {
    AccountSid: m.accountSid,
    ApiVersion: '2010-04-01',
    From: m.from ?? '',
    MessageSid: m.sid,
    MessageStatus: m.status,
    SmsSid: m.sid,
    SmsStatus: m.status,
    To: m.to,
    ...(m.messagingServiceSid ? { MessagingServiceSid: m.messagingServiceSid } : {}),
    ...(m.errorCode !== undefined ? { ErrorCode: String(m.errorCode) } : {}),
  };
}

/** The UTC day of a `DateSent` filter value: Twilio filters by sent date at day granularity. */
function utcDay(value: string): string | undefined {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().slice(0, 10);
}

function listPage(all: ReceivedSms[], url: URL, accountPath: string) {
  const q = url.searchParams;
  const filters: Array<(m: ReceivedSms) => boolean> = [];
  if (q.has('To')) filters.push((m) => m.to === q.get('To'));
  if (q.has('From')) filters.push((m) => m.from === q.get('From'));
  for (const [name, test] of [
    ['DateSent', (day: string, d: string) => day === d],
    ['DateSent>', (day: string, d: string) => day >= d],
    ['DateSent<', (day: string, d: string) => day <= d],
  ] as const) {
    const value = q.get(name);
    if (value === null) continue;
    const bound = utcDay(value);
    // Messages not sent yet have no sent date, so a sent-date filter leaves them out.
    filters.push((m) => bound !== undefined && m.dateSent !== undefined && test(m.dateSent.toISOString().slice(0, 10), bound));
  }
  const matching = all.filter((m) => filters.every((f) => f(m))).reverse(); // newest first
  const pageSize = Math.min(Math.max(Number(q.get('PageSize')) || 50, 1), 1000);
  const page = Math.max(Number(q.get('Page')) || 0, 0);
  const pageUri = (n: number) => {
    const params = new URLSearchParams(q);
    params.set('PageSize', String(pageSize));
    params.set('Page', String(n));
    params.delete('PageToken');
    return `${accountPath}/Messages.json?${params.toString()}`;
  };
  const start = page * pageSize;
  const records = matching.slice(start, start + pageSize);
  const hasNext = start + pageSize < matching.length;
  return {
    end: start + Math.max(records.length - 1, 0),
    first_page_uri: pageUri(0),
    messages: records.map(messageJson),
    next_page_uri: hasNext ? pageUri(page + 1) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? pageUri(page - 1) : null,
    start,
    uri: pageUri(page),
  };
}
