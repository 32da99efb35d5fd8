// Frequency-cap reservations on the real store (activities/caps.ts): keyed by the send, so a
// retry keeps its place and never takes a second; all applicable rules at once, or none.
import { createCapReserver } from '../../activities/caps';
import { connectDatabase, Database } from '../../db/connect';
import { CAPS_SETTING, saveSetting } from '../../db/settings';
import { testEnv } from '../support/test-env';

let db: Database;
beforeAll(async () => {
  db = await connectDatabase(`${testEnv().mongoBaseUri}/cairn_caps_${process.pid}`);
  await saveSetting(db.models.settings, CAPS_SETTING, {
    rules: [
      { id: 'email-daily', channels: ['email'], limit: 1, window: '1d' },
      { id: 'all-hourly', limit: 2, window: '1h' },
    ],
  });
});
afterAll(async () => {
  await db?.connection.dropDatabase();
  await db?.close();
});

const HOUR = 3_600_000;
const t0 = new Date('2026-12-01T08:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

test('when sends race under two rules, then each is admitted under all of them or none, and a retry keeps its place', async () => {
  const reserve = createCapReserver(db.models);
  const ask = (key: string, channel: 'email' | 'sms', now: Date, handedOffAt?: Date) =>
    reserve({ customerId: 'ada', channel, key, now, ...(handedOffAt ? { handedOffAt } : {}) });

  expect(await ask('e1', 'email', t0)).toEqual({ admitted: true });
  // The same send again (a retry): its place counts, no second one is taken.
  expect(await ask('e1', 'email', at(1_000))).toEqual({ admitted: true });
  expect(await ask('s1', 'sms', at(2_000))).toEqual({ admitted: true });
  // The hourly rule across channels is full: refused until the first place leaves its window.
  expect(await ask('s2', 'sms', at(3_000))).toEqual({ admitted: false, rule: 'all-hourly', retryAt: at(HOUR) });
  // An hour on, the daily email rule binds; the hourly one would admit. Nothing was taken.
  expect(await ask('e2', 'email', at(HOUR + 5_000))).toEqual({ admitted: false, rule: 'email-daily', retryAt: at(24 * HOUR) });
  expect(await ask('s3', 'sms', at(HOUR + 6_000))).toEqual({ admitted: true });
  const held = (await db.models.frequency.findById('ada').lean())!.held!;
  expect(held['email-daily'].map((p) => p.k)).toEqual(['e1']);
  expect(held['all-hourly'].map((p) => p.k)).toEqual(['s1', 's3']);
});

test('when a retry finds a hand-off older than the window its place was in, then it counts as holding it', async () => {
  const reserve = createCapReserver(db.models);
  await reserve({ customerId: 'bo', channel: 'email', key: 'first', now: t0 });
  // Another send took the only daily place; the old attempt's hand-off predates the window.
  expect(await reserve({ customerId: 'bo', channel: 'email', key: 'late-retry', now: at(25 * HOUR), handedOffAt: at(-1_000) })).toEqual({ admitted: true });
  // A fresh send in the same state is refused.
  await reserve({ customerId: 'bo', channel: 'email', key: 'second', now: at(25 * HOUR) });
  expect((await reserve({ customerId: 'bo', channel: 'email', key: 'third', now: at(25 * HOUR + 1) })).admitted).toBe(false);
});
