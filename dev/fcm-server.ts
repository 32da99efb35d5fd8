// A real HTTPS server speaking the part of FCM HTTP v1 that firebase-admin's `messaging().send()`
// uses, keeping what it accepts: the local stand-in for Firebase Cloud Messaging, used by
// `npm start` and by the tests. Its certificate names fcm.googleapis.com, signed by a throwaway
// CA made here; lib/firebase-messaging.ts trusts only that CA when FCM_LOCAL_ADDRESS is set.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { startMessageViewer } from './message-viewer';

export interface ReceivedPush {
  /** The name the server answered with: projects/{p}/messages/{id}. */
  name: string;
  token?: string;
  topic?: string;
  condition?: string;
  /** The message as it arrived (firebase-admin renames some fields, e.g. imageUrl → image). */
  message: Record<string, unknown>;
  /** The bearer token the client sent. */
  accessToken: string;
  receivedAt: string;
}

export type FcmFailureStatus = 429 | 500 | 503;

export interface FcmServerOptions {
  port?: number;
  host?: string;
  projectId: string;
  /** Where the CA and server certificate are made once and reused. */
  tlsDir: string;
  /** Also serve GET /messages (JSON, plain HTTP) on this port. */
  httpPort?: number;
  onMessage?: (message: ReceivedPush) => void;
}

export interface FcmServer {
  port: number;
  /** host:port, as FCM_LOCAL_ADDRESS takes it. */
  address: string;
  /** The CA certificate (PEM) a client must trust, as FCM_CA_FILE takes it. */
  caFile: string;
  httpPort?: number;
  messages: ReceivedPush[];
  /** Send requests seen, including refused ones. */
  readonly requests: number;
  /** From now on the token answers 404 UNREGISTERED, as for an app that was uninstalled. */
  unregister(token: string): void;
  /** From now on the token answers 400 INVALID_ARGUMENT, as for a malformed token. */
  markInvalid(token: string): void;
  /** The next `count` send requests fail with this status. */
  failNext(count: number, status: FcmFailureStatus): void;
  close(): Promise<void>;
}

export interface FcmTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

const FCM_HOST = 'fcm.googleapis.com';

/**
 * Makes the CA and a server certificate for fcm.googleapis.com in `dir` unless they are there.
 * Built in a sibling folder and renamed into place, so two processes starting at once agree on
 * one set. The CA's key is deleted once it has signed: nothing else can be made to pass.
 */
export function ensureFcmTls(dir: string): FcmTlsFiles {
  const files = { caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'server.pem'), keyFile: path.join(dir, 'server.key') };
  if (Object.values(files).every((f) => existsSync(f))) return files;
  mkdirSync(path.dirname(path.resolve(dir)), { recursive: true });
  const work = `${path.resolve(dir)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(work);
  try {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=Cairn local FCM CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${FCM_HOST}`);
    writeFileSync(
      path.join(work, 'server.ext'),
      [
        `subjectAltName=DNS:${FCM_HOST},DNS:localhost,IP:127.0.0.1`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
      ].join('\n'),
    );
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(8).toString('hex')}`,
      '-days', '3650', '-extfile', 'server.ext', '-out', 'server.pem');
    for (const f of ['ca.key', 'server.csr', 'server.ext']) rmSync(path.join(work, f));
    try {
      renameSync(work, dir); // succeeds when `dir` is missing or empty
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      if (!Object.values(files).every((f) => existsSync(f))) throw new Error(`${dir} exists and does not hold the FCM TLS files`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return files;
}

class FcmReply extends Error {
  constructor(
    readonly status: number,
    readonly grpcStatus: string,
    message: string,
    /** FCM's own error code (details[].errorCode); Google's general errors have none. */
    readonly fcmCode?: string,
  ) {
    super(message);
  }

  body() {
    return {
      error: {
        code: this.status,
        message: this.message,
        status: this.grpcStatus,
        ...(this.fcmCode ? { details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: this.fcmCode }] } : {}),
      },
    };
  }
}

const invalid = (message: string) => new FcmReply(400, 'INVALID_ARGUMENT', message, 'INVALID_ARGUMENT');

const FAILURES: Record<FcmFailureStatus, () => FcmReply> = {
  429: () => new FcmReply(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded for quota metric of service fcm.googleapis.com.', 'QUOTA_EXCEEDED'),
  500: () => new FcmReply(500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL'),
  503: () => new FcmReply(503, 'UNAVAILABLE', 'The service is currently unavailable.', 'UNAVAILABLE'),
};

const MESSAGE_FIELDS = new Set(['name', 'token', 'topic', 'condition', 'data', 'notification', 'android', 'webpush', 'apns', 'fcm_options', 'fcmOptions']);
const NOTIFICATION_FIELDS = new Set(['title', 'body', 'image']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Either spelling: the proto JSON mapping accepts lowerCamel and snake_case field names. */
const field = (o: Record<string, unknown>, snake: string) => o[snake] ?? o[snake.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())];

function stringMap(value: unknown, where: string) {
  if (value === undefined) return;
  if (!isObject(value)) throw invalid(`Invalid value at '${where}': must be an object`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalid(`Invalid value at '${where}[${key}]' (TYPE_STRING)`);
  }
}

function optionalObject(value: unknown, where: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw invalid(`Invalid value at '${where}': must be an object`);
  return value;
}

/** The checks FCM makes that a sender can trip over; not every rule of the real service. */
function validateMessage(message: unknown): asserts message is Record<string, unknown> {
  if (!isObject(message)) throw invalid("Invalid value at 'message': must be an object");
  for (const key of Object.keys(message)) {
    if (!MESSAGE_FIELDS.has(key)) throw invalid(`Invalid JSON payload received. Unknown name "${key}" at 'message': Cannot find field.`);
  }
  const targets = (['token', 'topic', 'condition'] as const).filter((t) => message[t] !== undefined);
  for (const t of targets) if (typeof message[t] !== 'string' || message[t] === '') throw invalid(`Invalid value at 'message.${t}'`);
  if (targets.length !== 1) throw invalid('Exactly one of token, topic or condition must be set');

  const notification = optionalObject(message.notification, 'message.notification');
  for (const [key, v] of Object.entries(notification ?? {})) {
    if (!NOTIFICATION_FIELDS.has(key)) throw invalid(`Invalid JSON payload received. Unknown name "${key}" at 'message.notification'`);
    if (typeof v !== 'string') throw invalid(`Invalid value at 'message.notification.${key}' (TYPE_STRING)`);
  }
  stringMap(message.data, 'message.data');
  for (const key of Object.keys((message.data as object | undefined) ?? {})) {
    if (key === 'from' || key === 'message_type' || /^(google|gcm)\./.test(key)) throw invalid(`Invalid data payload key: ${key}`);
  }

  const android = optionalObject(message.android, 'message.android');
  if (android) {
    const collapseKey = field(android, 'collapse_key');
    if (collapseKey !== undefined && typeof collapseKey !== 'string') throw invalid("Invalid value at 'message.android.collapse_key'");
    stringMap(android.data, 'message.android.data');
    const n = optionalObject(android.notification, 'message.android.notification');
    for (const key of ['title', 'body', 'tag', 'image', 'click_action', 'channel_id']) {
      const v = n && field(n, key);
      if (v !== undefined && typeof v !== 'string') throw invalid(`Invalid value at 'message.android.notification.${key}' (TYPE_STRING)`);
    }
  }

  const webpush = optionalObject(message.webpush, 'message.webpush');
  if (webpush) {
    stringMap(webpush.headers, 'message.webpush.headers');
    stringMap(webpush.data, 'message.webpush.data');
    optionalObject(webpush.notification, 'message.webpush.notification');
    const options = optionalObject(field(webpush, 'fcm_options'), 'message.webpush.fcm_options');
    const link = options?.link;
    // FCM requires HTTPS for the web push click-through link.
    if (link !== undefined && (typeof link !== 'string' || !link.startsWith('https://'))) {
      throw invalid("Invalid value at 'message.webpush.fcm_options.link': the link must use HTTPS");
    }
  }

  const apns = optionalObject(message.apns, 'message.apns');
  if (apns) {
    stringMap(apns.headers, 'message.apns.headers');
    optionalObject(apns.payload, 'message.apns.payload');
  }
}

const MAX_BODY = 1 << 20;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new FcmReply(413, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFcmServer(options: FcmServerOptions): Promise<FcmServer> {
  const host = options.host ?? '127.0.0.1';
  const tls = ensureFcmTls(options.tlsDir);
  const messages: ReceivedPush[] = [];
  const unregistered = new Set<string>();
  const invalidTokens = new Set<string>();
  const failures: FcmFailureStatus[] = [];
  let requests = 0;
  const sendPath = `/v1/projects/${options.projectId}/messages:send`;

  async function handle(req: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url ?? '/', `https://${FCM_HOST}`);
    const project = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(url.pathname);
    if (req.method !== 'POST' || !project) throw new FcmReply(404, 'NOT_FOUND', `No route for ${req.method} ${url.pathname}`);
    requests += 1;
    // Google's own reply to a missing or unusable access token (no FCM error code).
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    if (!bearer) {
      throw new FcmReply(401, 'UNAUTHENTICATED', 'Request is missing required authentication credential. Expected OAuth 2 access token.');
    }
    // A project the credential has no access to: as FCM answers, not a 404 (which firebase-admin reads as an unregistered token).
    if (url.pathname !== sendPath) {
      throw new FcmReply(403, 'PERMISSION_DENIED', `Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/${project[1]}'`);
    }
    const raw = await readBody(req);
    const failure = failures.shift();
    if (failure) throw FAILURES[failure]();
    let request: unknown;
    try {
      request = JSON.parse(raw);
    } catch {
      throw invalid('Invalid JSON payload received.');
    }
    if (!isObject(request)) throw invalid('Invalid JSON payload received.');
    const message = request.message;
    validateMessage(message);
    const token = message.token as string | undefined;
    if (token !== undefined && invalidTokens.has(token)) throw invalid('The registration token is not a valid FCM registration token');
    if (token !== undefined && unregistered.has(token)) throw new FcmReply(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED');
    // A dry run is checked and answered, not delivered.
    if (field(request, 'validate_only') === true) return { status: 200, body: { name: `projects/${options.projectId}/messages/fake_message_id` } };

    const name = `projects/${options.projectId}/messages/0:${Date.now()}%${randomBytes(8).toString('hex')}`;
    const received: ReceivedPush = {
      name,
      ...(token !== undefined ? { token } : {}),
      ...(typeof message.topic === 'string' ? { topic: message.topic } : {}),
      ...(typeof message.condition === 'string' ? { condition: message.condition } : {}),
      message,
      accessToken: bearer[1],
      receivedAt: new Date().toISOString(),
    };
    messages.push(received);
    options.onMessage?.(received);
    return { status: 200, body: { name } };
  }

  const server = https.createServer({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }, (req, res) => {
    handle(req)
      .catch((err: unknown) => {
        const reply = err instanceof FcmReply ? err : new FcmReply(500, 'INTERNAL', 'Internal error encountered.', 'INTERNAL');
        return { status: reply.status, body: reply.body() };
      })
      .then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify(body));
      });
  });
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;

  const web = options.httpPort !== undefined ? await startMessageViewer(options.httpPort, host, messages) : undefined;

  return {
    port,
    address: `${host}:${port}`,
    caFile: tls.caFile,
    httpPort: web?.port,
    messages,
    get requests() {
      return requests;
    },
    unregister: (token) => void unregistered.add(token),
    markInvalid: (token) => void invalidTokens.add(token),
    failNext(count, status) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    async close() {
      web?.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Clients keep connections alive: without this, close waits for them to time out.
      server.closeAllConnections();
      await closed;
    },
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}
