// Two attempts of one send at once (activities/send.ts, activities/ledger.ts): Temporal starts
// a retry while an attempt whose heartbeats stopped reaching it is still running. The hand-off
// to the provider belongs to one attempt at a time, through the ledger's lease.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDeliveryLedger } from '../../activities/ledger';
import type { SendInput } from '../../activities/send';
import { connectDatabase, Database } from '../../db/connect';
import { CAPS_SETTING, saveSetting } from '../../db/settings';
import { startSmtpSink, SmtpSink } from '../../dev/smtp-sink';
import { testEnv } from '../support/test-env';

const ATTEMPT_SCRIPT = path.join(__dirname, '..', 'support', 'send-attempt.js');
const run = promisify(execFile);

let db: Database;
let uri: string;
let sink: SmtpSink;
beforeAll(async () => {
  uri = `${testEnv().mongoBaseUri}/cairn_send_attempts_${process.pid}`;
  db = await connectDatabase(uri);
  // A slow provider: the first attempt is still handing over when the second looks.
  sink = await startSmtpSink({ delayMs: 1_500 });
  await saveSetting(db.models.settings, CAPS_SETTING, { rules: [{ id: 'email-daily', channels: ['email'], limit: 1, window: '1d' }] });
  await db.models.templates.create({ _id: 'hello', channel: 'email', content: { subject: 'Hello {{customer.attributes.name}}', html: '<p>Hi</p>' } });
});
afterAll(async () => {
  await sink?.close();
  await db?.connection.dropDatabase();
  await db?.close();
});

const input = (customerId: string): SendInput => ({
  key: `race:${customerId}:1:welcome`,
  journeyId: 'race',
  customerId,
  stepId: 'welcome',
  channel: 'email',
  templateId: 'hello',
});

async function attemptInProcess(send: SendInput, startAt: number): Promise<{ result?: { status: string; messageId?: string }; failure?: { type: string; message: string } }> {
  const { stdout } = await run(process.execPath, [ATTEMPT_SCRIPT, uri, `smtp://127.0.0.1:${sink.port}`, JSON.stringify(send), String(startAt)]);
  return JSON.parse(stdout.trim());
}

test('when two attempts of one send start at the same moment in two processes, then one message reaches the provider and the cap counts one place', async () => {
  await db.models.customers.create({ _id: 'ada', email: 'ada@example.test', attributes: { name: 'Ada' } });
  const send = input('ada');
  const startAt = Date.now() + 1_500; // both processes connected by then
  const both = await Promise.all([attemptInProcess(send, startAt), attemptInProcess(send, startAt)]);

  expect(sink.messages.filter((m) => m.to.includes('ada@example.test'))).toHaveLength(1);
  const held = (await db.models.frequency.findById('ada').lean())!.held!;
  expect(held['email-daily'].map((p) => p.k)).toEqual([send.key]);
  // One delivered; the other found the hand-off owned and was told to come back after the lease.
  const sent = both.filter((b) => b.result?.status === 'sent');
  expect(sent).toHaveLength(1);
  expect(both.filter((b) => b.failure?.type === 'SendInFlight')).toHaveLength(1);

  // That retry, once the owner has recorded, returns the recorded outcome and sends nothing.
  const retry = await attemptInProcess(send, Date.now());
  expect(retry.result).toEqual(sent[0].result);
  expect(sink.messages.filter((m) => m.to.includes('ada@example.test'))).toHaveLength(1);
  expect(await db.models.deliveries.findById(send.key).lean()).toMatchObject({ state: 'sent', messageId: sent[0].result!.messageId });
});

test('when the owner of a hand-off stops renewing its lease, then another attempt takes it over once it runs out, and the late owner cannot overwrite the outcome', async () => {
  const ledger = createDeliveryLedger(db.models.deliveries);
  const identity = { key: 'lease:bo', channel: 'email' as const, customerId: 'bo', journeyId: 'race', stepId: 'welcome' };
  const handOff = { channel: 'email' as const, templateId: 'hello', digest: 'd1' };

  expect((await ledger.claimForHandOff(identity, handOff, 'first')).handedOff).toBe(true);
  // A second attempt while the first holds the lease: not handed over, told how long to wait.
  const second = await ledger.claimForHandOff(identity, handOff, 'second');
  expect(second.handedOff).toBe(false);
  expect(second.inFlightUntil!.getTime()).toBeGreaterThan(Date.now());
  expect(await ledger.renewLease(identity.key, 'first')).toBe(true);

  // The first attempt dies: its lease runs out (moved into the past rather than waited for).
  await db.models.deliveries.updateOne({ _id: identity.key }, { $set: { 'lease.until': new Date(Date.now() - 1) } });
  const taken = await ledger.takeOver(identity.key, 'second');
  expect(taken.inFlightUntil).toBeUndefined();
  expect(taken.handOff).toMatchObject(handOff);
  expect(await ledger.renewLease(identity.key, 'first')).toBe(false);
  expect(await ledger.takeOver(identity.key, 'third')).toMatchObject({ inFlightUntil: expect.any(Date) });

  // The new owner records; a late record by anyone else keeps that outcome.
  expect(await ledger.record(identity.key, { status: 'sent', messageId: 'm-second' })).toEqual({ status: 'sent', messageId: 'm-second' });
  expect(await ledger.record(identity.key, { status: 'sent', messageId: 'm-first' })).toMatchObject({ status: 'sent', messageId: 'm-second' });
  expect(await db.models.deliveries.findById(identity.key).lean()).toMatchObject({ state: 'sent', messageId: 'm-second' });
  expect((await db.models.deliveries.findById(identity.key).lean())!.lease).toBeUndefined();
});
