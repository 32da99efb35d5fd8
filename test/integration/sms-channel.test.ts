// The SMS channel through the real `twilio` client to the local Twilio server, and Twilio's
// webhooks (status callbacks, inbound opt-out keywords) into MongoDB.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import express from 'express';
import twilio from 'twilio';
import { createSmsChannel } from '../../activities/channels/sms';
import type { ChannelAdapter, OutboundMessage } from '../../activities/channels/channel';
import { twilioWebhooksRouter } from '../../api/routes/twilio-webhooks';
import { contentDigest } from '../../core/template-content';
import { FailureType } from '../../core/failures';
import { connectDatabase, Database } from '../../db/connect';
import { readDeliveryReport } from '../../db/delivery-reports';
import type { CustomerDoc } from '../../db/models';
import { ReceivedSms, startTwilioServer, TwilioServer } from '../../dev/twilio-server';
import { createTwilioClient, TwilioClient } from '../../lib/twilio-client';
import { testEnv } from '../support/test-env';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'local-twilio-auth-token';
const FROM = '+15005550006';
/** The local Twilio server reports messages to this number undelivered, as a carrier would. */
const UNREACHABLE = '+447700900999';

let db: Database;
let twilioServer: TwilioServer;
let web: Server;
let baseUrl: string;
let client: TwilioClient;
let sms: ChannelAdapter;
let sequence = 0;
/** Each message as Twilio first stored it, before its status moved on (20 ms later). */
const asReceived = new Map<string, ReceivedSms>();

beforeAll(async () => {
  db = await connectDatabase(`${testEnv().mongoBaseUri}/cairn_sms_channel_${process.pid}`);
  twilioServer = await startTwilioServer({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    deliveryError: (to) => (to === UNREACHABLE ? 30003 : undefined),
    onMessage: (message) => asReceived.set(message.sid, { ...message }),
  });
  // Listening first: the router signs against its own public URL, which needs the port.
  const app = express();
  web = await new Promise<Server>((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server));
  });
  baseUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
  app.use('/webhooks/twilio', twilioWebhooksRouter({ models: db.models, authToken: AUTH_TOKEN, publicUrl: baseUrl }));
  client = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM, apiUrl: twilioServer.url });
  sms = createSmsChannel(client, { from: FROM, statusCallbackUrl: `${baseUrl}/webhooks/twilio/status` });
});

afterAll(async () => {
  await twilioServer?.close();
  await new Promise((resolve) => web?.close(resolve));
  await db?.connection.dropDatabase();
  await db?.close();
});

/** A fresh E.164 number per test, so the server's messages to it are the test's own. */
function newNumber(): string {
  sequence += 1;
  return `+4477009${String(process.pid % 1000).padStart(3, '0')}${String(sequence).padStart(2, '0')}`;
}

/** What the ledger hands a retry after an attempt that sent `body` began at `at`. */
const earlierAt = (at: Date, body: string): Partial<OutboundMessage> => ({ earlierAttempt: { at, digest: contentDigest({ body }) } });

function outbound(address: string, body: string, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  const customer: CustomerDoc = { _id: `c-${address}`, phone: address, attributes: {}, createdAt: new Date(), updatedAt: new Date() };
  return {
    key: `welcome:c-${address}:1:${sequence}`,
    journeyId: 'welcome',
    customer,
    address,
    content: { body },
    parts: { done: {}, record: async () => undefined },
    ...extra,
  };
}

const sentTo = (address: string) => twilioServer.messages.filter((m) => m.to === address);

async function signedPost(url: string, params: Record<string, string>, signature?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature ?? twilio.getExpectedTwilioSignature(AUTH_TOKEN, url, params),
    },
    body: new URLSearchParams(params).toString(),
  });
}

async function ledgerRow(key: string) {
  await db.models.deliveries.create({ _id: key, state: 'sent', channel: 'sms', customerId: 'c', journeyId: 'welcome', stepId: 's1', attempts: 1 });
}

describe('SMS channel', () => {
  test('when a message is delivered, then Twilio receives To, From, Body and a status callback naming the send, and its SID is returned', async () => {
    const to = newNumber();
    const message = outbound(to, 'Welcome to Cairn! Reply STOP to opt out.');
    const delivered = await sms.deliver(message);

    const [received] = sentTo(to);
    expect(received).toMatchObject({ to, from: FROM, body: 'Welcome to Cairn! Reply STOP to opt out.' });
    expect(received.statusCallback).toBe(`${baseUrl}/webhooks/twilio/status?key=${encodeURIComponent(message.key)}`);
    expect(delivered).toEqual({ messageId: received.sid, detail: { segments: 1, encoding: 'GSM-7' } });
    expect(delivered.messageId).toMatch(/^SM[0-9a-f]{32}$/);
    const fetched = await client.messages(delivered.messageId).fetch();
    expect(fetched).toMatchObject({ sid: delivered.messageId, to, from: FROM, numSegments: '1', accountSid: ACCOUNT_SID });
    expect(fetched.dateCreated.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  test('when the channel sends through a Messaging Service, then Twilio gets its SID and a retry finds the message by it', async () => {
    const service = createSmsChannel(client, {
      messagingServiceSid: `MG${'fedcba9876543210'.repeat(2)}`,
      statusCallbackUrl: `${baseUrl}/webhooks/twilio/status`,
    });
    const to = newNumber();
    const startedAt = new Date();
    const first = await service.deliver(outbound(to, 'Sent by the service'));
    expect(asReceived.get(sentTo(to)[0].sid)).toMatchObject({ messagingServiceSid: `MG${'fedcba9876543210'.repeat(2)}`, status: 'accepted', from: null });
    // The same text from another sender is not this channel's message.
    const other = createSmsChannel(client, { from: '+15017122661', statusCallbackUrl: `${baseUrl}/webhooks/twilio/status` });
    expect((await other.deliver(outbound(to, 'Sent by the service', earlierAt(startedAt, 'Sent by the service')))).messageId).not.toBe(first.messageId);
    expect(await service.deliver(outbound(to, 'Sent by the service', earlierAt(startedAt, 'Sent by the service')))).toEqual(first);
    expect(sentTo(to)).toHaveLength(2);
  });

  test('when the body is long and not GSM-7, then the detail counts UCS-2 segments', async () => {
    const to = newNumber();
    const body = 'Привет! Ваш заказ готов. '.repeat(6); // 150 UTF-16 units: 3 parts of 67
    const delivered = await sms.deliver(outbound(to, body));
    expect(delivered.detail).toEqual({ segments: 3, encoding: 'UCS-2' });
    expect(sentTo(to)[0].numSegments).toBe(3);
  });

  test.each([
    ['a number Twilio finds invalid', '+15005550001', 21211],
    ['a number not in E.164', '07700 900123', 21211],
    ['a number that is not a mobile', '+15005550009', 21614],
    ['a number that opted out at the carrier', '+15005550004', 21610],
  ])('when the recipient is %s, then delivery fails for good as ChannelPermanentRejection', async (_what, to, code) => {
    const error = await sms.deliver(outbound(to, 'Hello')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ nonRetryable: true, type: FailureType.ChannelPermanentRejection });
    expect((error as Error).message).toContain(String(code));
  });

  test('when Twilio is unavailable twice, then the adapter throws retryable errors and the third attempt sends', async () => {
    const to = newNumber();
    const message = outbound(to, 'Third time lucky');
    twilioServer.failNext(2, 503);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await sms.deliver(message).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(twilio.RestException);
      expect(error).not.toBeInstanceOf(ApplicationFailure);
      expect((error as { status: number }).status).toBe(503);
    }
    const delivered = await sms.deliver(message);
    expect(sentTo(to).map((m) => m.sid)).toEqual([delivered.messageId]);
  });

  test('when the credentials are wrong, then Twilio answers 401 and the error is retryable', async () => {
    const wrong = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: 'wrong', from: FROM, apiUrl: twilioServer.url });
    const channel = createSmsChannel(wrong, { from: FROM, statusCallbackUrl: `${baseUrl}/webhooks/twilio/status` });
    const to = newNumber();
    const error = await channel.deliver(outbound(to, 'Hello')).catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 401, code: 20003 });
    expect(error).not.toBeInstanceOf(ApplicationFailure);
    expect(sentTo(to)).toHaveLength(0);
  });

  test('when Twilio rate-limits a send, then the error is retryable', async () => {
    twilioServer.failNext(1, 429);
    const error = await sms.deliver(outbound(newNumber(), 'Slow down')).catch((err: unknown) => err);
    expect(error).toMatchObject({ status: 429, code: 20429 });
    expect(error).not.toBeInstanceOf(ApplicationFailure);
  });

  test('when an earlier attempt handed the message over, then a retry adopts it instead of sending again', async () => {
    const to = newNumber();
    const startedAt = new Date();
    const first = await sms.deliver(outbound(to, 'Your code is 1234'));
    // At once, while Twilio may still hold it unsent, and again once it is sent.
    const retried = await sms.deliver(outbound(to, 'Your code is 1234', earlierAt(startedAt, 'Your code is 1234')));
    await twilioServer.idle();
    const later = await sms.deliver(outbound(to, 'Your code is 1234', earlierAt(startedAt, 'Your code is 1234')));
    expect(retried).toEqual(first);
    expect(later).toEqual(first);
    expect(sentTo(to)).toHaveLength(1);
  });

  test('when the body would render differently now, then the retry still adopts what the earlier attempt sent', async () => {
    const to = newNumber();
    const startedAt = new Date();
    const first = await sms.deliver(outbound(to, 'Hi Ada, 10% off today'));
    const retried = await sms.deliver(outbound(to, 'Hi Ada, 15% off today', earlierAt(startedAt, 'Hi Ada, 10% off today')));
    expect(retried).toEqual(first);
    expect(sentTo(to)).toHaveLength(1);
  });

  test('when an earlier attempt left nothing at Twilio, then the retry sends', async () => {
    const to = newNumber();
    await sms.deliver(outbound(to, 'Another message'));
    const delivered = await sms.deliver(outbound(to, 'Your code is 5678', earlierAt(new Date(Date.now() - 30_000), 'Your code is 5678')));
    expect(sentTo(to).map((m) => m.body)).toEqual(['Another message', 'Your code is 5678']);
    expect(delivered.messageId).toBe(sentTo(to)[1].sid);
  });

  test('when the same text went out before the earlier attempt, then the retry sends', async () => {
    const to = newNumber();
    await sms.deliver(outbound(to, 'Weekly digest'));
    await twilioServer.idle();
    const earlierAttemptAt = new Date(Date.now() + 120_000); // beyond the clock-skew margin
    await sms.deliver(outbound(to, 'Weekly digest', earlierAt(earlierAttemptAt, 'Weekly digest')));
    expect(sentTo(to)).toHaveLength(2);
  });
});

describe('local Twilio server', () => {
  test('when messages are listed, then the client pages through them and date filters apply per sent day', async () => {
    const to = newNumber();
    for (const body of ['one', 'two', 'three']) await sms.deliver(outbound(to, body));
    await twilioServer.idle();
    expect((await client.messages.list({ to, pageSize: 2 })).map((m) => m.body)).toEqual(['three', 'two', 'one']);
    const day = 86_400_000;
    expect(await client.messages.list({ to, dateSentAfter: new Date(Date.now() - day) })).toHaveLength(3);
    expect(await client.messages.list({ to, dateSentAfter: new Date(Date.now() + day) })).toHaveLength(0);
    expect(await client.messages.list({ to, dateSentBefore: new Date(Date.now() - day) })).toHaveLength(0);
    expect(await client.messages.list({ to, from: '+15005550000' })).toHaveLength(0);
  });
});

describe('Twilio webhooks', () => {
  test('when Twilio reports a message sent then delivered, then the ledger row has the delivered status', async () => {
    const message = outbound(newNumber(), 'Track me');
    await ledgerRow(message.key);
    const before = new Date();
    await sms.deliver(message);
    await twilioServer.idle();

    const callbacks = twilioServer.webhooks.filter((w) => w.url.includes(encodeURIComponent(message.key)));
    expect(callbacks.map((w) => [w.params.MessageStatus, w.status])).toEqual([
      ['sent', 204],
      ['delivered', 204],
    ]);
    const report = await readDeliveryReport(db.models.deliveryReports, message.key);
    expect(report.status).toBe('delivered');
    expect(report.statuses.delivered.getTime()).toBeGreaterThanOrEqual(before.getTime());
    expect(report.providerMessageId).toMatch(/^SM/);
    expect(report.errorCode).toBeUndefined();
    // The ledger row is the send activity's alone.
    expect(await db.models.deliveries.findById(message.key).lean()).toMatchObject({ state: 'sent' });
  });

  test('when the carrier cannot deliver, then the ledger row keeps the status and error code', async () => {
    const message = outbound(UNREACHABLE, 'Nobody home');
    await ledgerRow(message.key);
    await sms.deliver(message);
    await twilioServer.idle();
    const report = await readDeliveryReport(db.models.deliveryReports, message.key);
    expect(report.status).toBe('undelivered');
    expect(report.errorCode).toBe('30003');
  });

  test('when a late "sent" arrives after "delivered", then the status does not go back', async () => {
    const message = outbound(newNumber(), 'Out of order');
    await ledgerRow(message.key);
    const { messageId } = await sms.deliver(message);
    await twilioServer.idle();
    const url = sentTo(message.address)[0].statusCallback!;
    const res = await signedPost(url, { MessageSid: messageId, MessageStatus: 'sent', SmsStatus: 'sent', AccountSid: ACCOUNT_SID });
    expect(res.status).toBe(204);
    expect((await readDeliveryReport(db.models.deliveryReports, message.key)).status).toBe('delivered');
  });

  test('when callbacks for one message arrive at the same moment, then every status is kept once', async () => {
    const message = outbound(newNumber(), 'Racing callbacks');
    await ledgerRow(message.key);
    const url = `${baseUrl}/webhooks/twilio/status?key=${encodeURIComponent(message.key)}`;
    const statuses = ['queued', 'sent', 'delivered', 'delivered', 'sent'];
    const answers = await Promise.all(statuses.map((status) => signedPost(url, { MessageSid: 'SMrace', MessageStatus: status })));
    expect(answers.map((a) => a.status)).toEqual([204, 204, 204, 204, 204]);
    const report = await readDeliveryReport(db.models.deliveryReports, message.key);
    expect(Object.keys(report.statuses).sort()).toEqual(['delivered', 'queued', 'sent']);
    expect(report.status).toBe('delivered');
  });

  test('when a callback names no known send, then it is answered 204 and ignored', async () => {
    const res = await signedPost(`${baseUrl}/webhooks/twilio/status?key=unknown-send`, { MessageSid: 'SMx', MessageStatus: 'delivered' });
    expect(res.status).toBe(204);
    expect(await db.models.deliveries.findById('unknown-send').lean()).toBeNull();
    expect((await readDeliveryReport(db.models.deliveryReports, 'unknown-send')).statuses).toEqual({});
  });

  test.each([
    ['a wrong signature', 'c2lnbmF0dXJl', 'invalid_signature'],
    ['no signature', '', 'missing_signature'],
  ])('when a callback has %s, then it is refused with 403 and nothing changes', async (_what, signature, code) => {
    const key = `forged-${signature.length}`;
    await ledgerRow(key);
    const url = `${baseUrl}/webhooks/twilio/status?key=${key}`;
    const res = await signedPost(url, { MessageSid: 'SMx', MessageStatus: 'failed', ErrorCode: '30007' }, signature);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    expect((await readDeliveryReport(db.models.deliveryReports, key)).statuses).toEqual({});
  });

  test('when a signature was made for another send, then it does not cover this one', async () => {
    const key = 'forged-elsewhere';
    await ledgerRow(key);
    const params = { MessageSid: 'SMx', MessageStatus: 'failed' };
    const signature = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${baseUrl}/webhooks/twilio/status?key=other`, params);
    const res = await signedPost(`${baseUrl}/webhooks/twilio/status?key=${key}`, params, signature);
    expect(res.status).toBe(403);
  });

  test('when a customer texts STOP, then every customer with that number opts out of SMS, and START opts them back in', async () => {
    const phone = newNumber();
    await db.models.customers.create([
      { _id: 'sms-a', phone, consent: { email: true }, attributes: {} },
      { _id: 'sms-b', phone, attributes: {} },
      { _id: 'sms-other', phone: newNumber(), attributes: {} },
    ]);
    const consent = async () =>
      Object.fromEntries((await db.models.customers.find({ _id: { $in: ['sms-a', 'sms-b', 'sms-other'] } }).lean()).map((c) => [c._id, c.consent]));
    const inbound = (body: string) => twilioServer.sendInbound({ from: phone, body, webhookUrl: `${baseUrl}/webhooks/twilio/inbound` });

    const stop = await inbound('  Stop ');
    expect(stop.status).toBe(200);
    expect(stop.text).toContain('<Response/>');
    expect(await consent()).toEqual({ 'sms-a': { email: true, sms: false }, 'sms-b': { sms: false }, 'sms-other': undefined });

    await inbound('help');
    await inbound('stop sending me offers please');
    expect((await consent())['sms-a']).toEqual({ email: true, sms: false });

    expect((await inbound('START')).status).toBe(200);
    expect(await consent()).toEqual({ 'sms-a': { email: true, sms: true }, 'sms-b': { sms: true }, 'sms-other': undefined });
  });

  test('when Twilio posts an inbound SMS, then the answer is empty TwiML', async () => {
    const res = await signedPost(`${baseUrl}/webhooks/twilio/inbound`, { MessageSid: 'SMy', From: newNumber(), To: FROM, Body: 'UNSUBSCRIBE' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    expect(await res.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });
});
