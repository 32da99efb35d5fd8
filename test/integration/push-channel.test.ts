// The push channel through the real firebase-admin client, over TLS, to the local FCM server;
// device tokens live in the embedded store. Covers per-device parts, token clean-up and retries.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createPushChannel, pushPart, pushTag } from '../../activities/channels/push';
import { removePushTokens } from '../../activities/channels/push-tokens';
import type { ChannelAdapter, DeliveryParts, OutboundMessage } from '../../activities/channels/channel';
import type { PushContent } from '../../core/template-content';
import { connectDatabase, Database } from '../../db/connect';
import type { CustomerDoc, PushToken } from '../../db/models';
import { ensureFcmTls, type FcmFailureStatus, type FcmServer, type ReceivedPush, startFcmServer } from '../../dev/fcm-server';
import { freePort } from '../../dev/servers';
import { createFirebaseMessaging, type FirebaseMessaging } from '../../lib/firebase-messaging';
import { testEnv } from '../support/test-env';

const PROJECT = 'cairn-test';
const content: PushContent = {
  title: 'Spring sale',
  body: '20% off everything today',
  link: 'https://shop.example.test/sale',
  imageUrl: 'https://cdn.example.test/sale.png',
};

let tlsDir: string;
let fcm: FcmServer;
let firebase: FirebaseMessaging;
let db: Database;
let push: ChannelAdapter;
/** Called for every message the server accepts; a test can arm a fault after the first one. */
let afterAccept: (m: ReceivedPush) => void = () => {};

beforeAll(async () => {
  tlsDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-fcm-tls-'));
  fcm = await startFcmServer({ projectId: PROJECT, tlsDir, onMessage: (m) => afterAccept(m) });
  firebase = createFirebaseMessaging({ projectId: PROJECT, localAddress: fcm.address, caFile: fcm.caFile });
  db = await connectDatabase(`${testEnv().mongoBaseUri}/cairn_push_${process.pid}`);
  push = createPushChannel(firebase.messaging, { removeTokens: removePushTokens(db.models.customers) });
});

afterAll(async () => {
  await firebase?.close();
  await fcm?.close();
  await db?.connection.dropDatabase();
  await db?.close();
  rmSync(tlsDir, { recursive: true, force: true });
});

beforeEach(() => {
  fcm.messages.length = 0;
  afterAccept = () => {};
});

let serial = 0;
async function customerWith(tokens: PushToken[]): Promise<CustomerDoc> {
  const id = `c${++serial}`;
  await db.models.customers.create({ _id: id, pushTokens: tokens, attributes: {} });
  return (await db.models.customers.findById(id).lean<CustomerDoc>())!;
}

async function storedTokens(id: string): Promise<string[]> {
  const doc = await db.models.customers.findById(id).lean<CustomerDoc>();
  return (doc?.pushTokens ?? []).map((t) => t.token);
}

/** Parts kept as the ledger keeps them: what is recorded survives into the next attempt. */
function ledgerParts(): DeliveryParts & { done: Record<string, string> } {
  const done: Record<string, string> = {};
  return {
    done,
    async record(part, providerMessageId) {
      expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
      done[part] = providerMessageId;
    },
  };
}

function outbound(customer: CustomerDoc, parts: DeliveryParts, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    key: `journey:spring:${customer._id}:1/send-1/0`,
    journeyId: 'spring',
    customer,
    address: push.addressOf(customer)!,
    content,
    parts,
    ...extra,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

const web = (token: string): PushToken => ({ token, platform: 'web' });
const android = (token: string): PushToken => ({ token, platform: 'android' });

describe('push channel', () => {
  test('when a customer has a web and an Android device, then each gets one FCM message with the tag, link and data', async () => {
    const customer = await customerWith([web('web-token-1'), android('android-token-1')]);
    expect(push.addressOf(customer)).toBe('2 devices');
    const parts = ledgerParts();
    const message = outbound(customer, parts);

    const result = await push.deliver(message);

    expect(fcm.messages.map((m) => m.token)).toEqual(['web-token-1', 'android-token-1']);
    const tag = pushTag(message.key);
    for (const received of fcm.messages) {
      expect(received.accessToken).toBe('cairn-local-fcm');
      expect(received.message).toEqual({
        token: received.token,
        // firebase-admin renames imageUrl to FCM's `image` on the wire.
        notification: { title: content.title, body: content.body, image: content.imageUrl },
        data: { cairnKey: message.key, journeyId: 'spring', link: content.link },
        webpush: { notification: { tag }, fcmOptions: { link: content.link } },
        android: { notification: { tag } },
        apns: { headers: { 'apns-collapse-id': tag } },
      });
    }
    expect(result).toEqual({ messageId: fcm.messages[0].name, detail: { devices: 2, removedTokens: 0 } });
    expect(parts.done).toEqual({
      [pushPart('web-token-1')]: fcm.messages[0].name,
      [pushPart('android-token-1')]: fcm.messages[1].name,
    });
  });

  test('when a customer has no push tokens, then the channel has no address for them', async () => {
    expect(push.addressOf(await customerWith([]))).toBeUndefined();
    const none = (await db.models.customers.create({ _id: `c${++serial}`, attributes: {} })).toObject();
    expect(push.addressOf(none)).toBeUndefined();
  });

  test('when the link is not HTTPS, then web push gets no click-through link and apps still find it in data', async () => {
    const customer = await customerWith([web('web-token-2')]);
    await push.deliver({ ...outbound(customer, ledgerParts()), content: { ...content, link: 'myapp://offers/spring' } });
    const sent = fcm.messages[0].message as { webpush: Record<string, unknown>; data: Record<string, string> };
    expect(sent.webpush).toEqual({ notification: { tag: expect.any(String) } });
    expect(sent.data.link).toBe('myapp://offers/spring');
  });

  test('when one device was uninstalled, then its token is removed from the customer and the other device gets the push', async () => {
    const customer = await customerWith([android('gone-token'), web('live-token')]);
    fcm.unregister('gone-token');

    const result = await push.deliver(outbound(customer, ledgerParts()));

    expect(fcm.messages.map((m) => m.token)).toEqual(['live-token']);
    expect(result).toEqual({ messageId: fcm.messages[0].name, detail: { devices: 1, removedTokens: 1 } });
    expect(await storedTokens(customer._id)).toEqual(['live-token']);
  });

  test('when FCM says a token is malformed, then it is removed like an unregistered one', async () => {
    const customer = await customerWith([android('mangled-token'), web('fine-token')]);
    fcm.markInvalid('mangled-token');
    const result = await push.deliver(outbound(customer, ledgerParts()));
    expect(result.detail).toEqual({ devices: 1, removedTokens: 1 });
    expect(await storedTokens(customer._id)).toEqual(['fine-token']);
  });

  test('when every device is unregistered, then the send fails for good and all tokens are removed', async () => {
    const customer = await customerWith([web('old-1'), android('old-2')]);
    fcm.unregister('old-1');
    fcm.unregister('old-2');

    const err = await failureOf(push.deliver(outbound(customer, ledgerParts())));

    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ nonRetryable: true, type: 'ChannelPermanentRejection' });
    expect(err.message).toMatch(/2 device token\(s\) no longer registered/);
    expect(await storedTokens(customer._id)).toEqual([]);
    expect(fcm.messages).toHaveLength(0);
  });

  test('when the message itself is refused, then the send fails for good and no token is removed', async () => {
    const customer = await customerWith([web('keep-1'), android('keep-2')]);
    // firebase-admin checks image URLs before sending: invalid-payload, the same for every device.
    const err = await failureOf(push.deliver({ ...outbound(customer, ledgerParts()), content: { ...content, imageUrl: 'not a url' } }));
    expect(err).toMatchObject({ nonRetryable: true, type: 'ChannelPermanentRejection' });
    expect(err.message).toMatch(/messaging\/invalid-payload/);
    expect(await storedTokens(customer._id)).toEqual(['keep-1', 'keep-2']);
  });

  test('when the rendered push is over FCM\'s 4 KB, then the send fails for good naming the size, before any device', async () => {
    const customer = await customerWith([web('big-1')]);
    const before = fcm.requests;
    const err = await failureOf(push.deliver({ ...outbound(customer, ledgerParts()), content: { ...content, body: 'é'.repeat(2_500) } }));
    expect(err).toMatchObject({ nonRetryable: true, type: 'ChannelPermanentRejection' });
    expect(err.message).toMatch(/the rendered push is \d+ bytes .* FCM accepts at most 4096/);
    expect(fcm.requests).toBe(before);
    expect(await storedTokens(customer._id)).toEqual(['big-1']);
  });

  test.each<[string, FcmFailureStatus, number]>([
    ['429 quota exceeded', 429, 1],
    ['500 internal error', 500, 1],
    // firebase-admin retries a 503 itself, four times: only a fifth failure reaches the adapter.
    ['503 unavailable, past the client retries', 503, 5],
  ])('when FCM fails with %s after one of two devices got the push, then the send is retried and the retry reaches only the other', async (_what, status, count) => {
    const customer = await customerWith([web('first-device'), android('second-device')]);
    const parts = ledgerParts();
    afterAccept = () => {
      fcm.failNext(count, status);
      afterAccept = () => {};
    };

    const err = await failureOf(push.deliver(outbound(customer, parts)));

    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err.message).toMatch(/push reached 1 of 2 devices/);
    expect(Object.keys(parts.done)).toEqual([pushPart('first-device')]);
    const firstName = fcm.messages[0].name;

    const retry = await push.deliver(outbound(customer, parts));

    expect(fcm.messages.map((m) => m.token)).toEqual(['first-device', 'second-device']);
    expect(retry).toEqual({ messageId: firstName, detail: { devices: 2, removedTokens: 0 } });
    expect(await storedTokens(customer._id)).toEqual(['first-device', 'second-device']);
  });

  test('when FCM answers 503 once, then firebase-admin retries by itself and the device gets the push', async () => {
    const customer = await customerWith([web('patient-device')]);
    const before = fcm.requests;
    fcm.failNext(1, 503);
    const result = await push.deliver(outbound(customer, ledgerParts()));
    expect(fcm.requests - before).toBe(2);
    expect(result.detail).toEqual({ devices: 1, removedTokens: 0 });
  });

  test('when an earlier attempt died unrecorded, then the push goes again under the same tag, so the device replaces it', async () => {
    const customer = await customerWith([web('twice-web'), android('twice-android')]);
    const message = outbound(customer, ledgerParts());
    await push.deliver(message);
    // The worker died before the ledger recorded the parts: the next attempt knows only when it began.
    const again = await push.deliver({ ...message, parts: ledgerParts(), earlierAttempt: { at: new Date(Date.now() - 60_000), digest: 'unused-by-push' } });

    expect(fcm.messages).toHaveLength(4);
    const tags = fcm.messages.map((m) => (m.message as { webpush: { notification: { tag: string } } }).webpush.notification.tag);
    expect(new Set(tags)).toEqual(new Set([pushTag(message.key)]));
    expect(again.detail).toEqual({ devices: 2, removedTokens: 0 });
  });

  test('when FCM refuses the credential for the project, then the send fails for good and the tokens stay', async () => {
    const other = createFirebaseMessaging({ projectId: 'someone-elses-project', localAddress: fcm.address, caFile: fcm.caFile });
    try {
      const channel = createPushChannel(other.messaging, { removeTokens: removePushTokens(db.models.customers) });
      const customer = await customerWith([web('foreign-1')]);
      const err = await failureOf(channel.deliver(outbound(customer, ledgerParts())));
      expect(err).toMatchObject({ nonRetryable: true, type: 'ChannelPermanentRejection' });
      expect(err.message).toMatch(/messaging\/mismatched-credential/);
      expect(await storedTokens(customer._id)).toEqual(['foreign-1']);
    } finally {
      await other.close();
    }
  });

  test('when FCM cannot be reached, then the send is retried', async () => {
    const nowhere = createFirebaseMessaging({ projectId: PROJECT, localAddress: `127.0.0.1:${await freePort()}`, caFile: fcm.caFile });
    try {
      const channel = createPushChannel(nowhere.messaging, { removeTokens: removePushTokens(db.models.customers) });
      const err = await failureOf(channel.deliver(outbound(await customerWith([web('offline-1')]), ledgerParts())));
      expect(err).not.toBeInstanceOf(ApplicationFailure);
      expect(err.message).toMatch(/app\/network-error/);
    } finally {
      await nowhere.close();
    }
  });
});

describe('removePushTokens', () => {
  test('when tokens are removed, then the others stay in order and unknown ones are ignored', async () => {
    const customer = await customerWith([web('a'), android('b'), web('c')]);
    const remove = removePushTokens(db.models.customers);
    await remove(customer._id, ['b', 'not-there']);
    expect(await storedTokens(customer._id)).toEqual(['a', 'c']);
    await remove(customer._id, ['not-there']);
    await remove('no-such-customer', ['a']);
    expect(await storedTokens(customer._id)).toEqual(['a', 'c']);
  });
});

describe('local FCM server', () => {
  /** firebase-admin's error code for each kind of reply: what the adapter classifies. */
  test.each<[string, string, (token: string) => void]>([
    ['an unregistered token', 'messaging/registration-token-not-registered', (t) => fcm.unregister(t)],
    ['a malformed token', 'messaging/invalid-argument', (t) => fcm.markInvalid(t)],
    ['quota exceeded', 'messaging/message-rate-exceeded', () => fcm.failNext(1, 429)],
    ['an internal error', 'messaging/internal-error', () => fcm.failNext(1, 500)],
  ])('when FCM answers %s, then firebase-admin reports %s', async (_what, code, arrange) => {
    const token = `probe-${++serial}`;
    arrange(token);
    await expect(firebase.messaging.send({ token, notification: { title: 't', body: 'b' } })).rejects.toMatchObject({ code });
  });

  test('when a request has no bearer token or a malformed message, then it answers as FCM does', async () => {
    const ca = readFileSync(fcm.caFile);
    const post = (body: unknown, headers: Record<string, string>) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: fcm.port, servername: 'fcm.googleapis.com', ca, method: 'POST', path: `/v1/projects/${PROJECT}/messages:send`, headers },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const auth = { authorization: 'Bearer anything', 'content-type': 'application/json' };
    const fcmError = { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'INVALID_ARGUMENT' };

    const anonymous = await post({ message: { token: 't' } }, { 'content-type': 'application/json' });
    expect(anonymous).toMatchObject({ status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED' } } });

    for (const message of [
      { token: 't', topic: 'news' },
      { token: 't', data: { count: 3 } },
      { token: 't', notification: { title: 7 } },
      { token: 't', webpush: { fcmOptions: { link: 'http://plain.example.test/' } } },
    ]) {
      const res = await post({ message }, auth);
      expect(res).toMatchObject({ status: 400, body: { error: { code: 400, status: 'INVALID_ARGUMENT', details: [fcmError] } } });
    }
    expect(fcm.messages).toHaveLength(0);
    expect(await post({ message: { token: 't', data: { a: 'b' } } }, auth)).toMatchObject({
      status: 200,
      body: { name: expect.stringMatching(new RegExp(`^projects/${PROJECT}/messages/`)) },
    });
  });

  test('when the client trusts another CA, then it refuses the server', async () => {
    const otherDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-fcm-other-'));
    const stranger = createFirebaseMessaging({ projectId: PROJECT, localAddress: fcm.address, caFile: ensureFcmTls(otherDir).caFile });
    try {
      await expect(stranger.messaging.send({ token: 'x', notification: { title: 't', body: 'b' } })).rejects.toMatchObject({
        code: 'app/network-error',
        message: expect.stringMatching(/self-signed certificate|unable to verify/),
      });
    } finally {
      await stranger.close();
      rmSync(otherDir, { recursive: true, force: true });
    }
  });

  test('when two servers share a TLS folder, then the certificate made once serves both', async () => {
    const ca = readFileSync(fcm.caFile, 'utf8');
    const second = await startFcmServer({ projectId: PROJECT, tlsDir });
    try {
      expect(readFileSync(second.caFile, 'utf8')).toBe(ca);
    } finally {
      await second.close();
    }
  });
});
