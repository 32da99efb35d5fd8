// The simulation's cap reserver: the store's rules and arithmetic over places held in memory,
// starting from a customer's real places.
import { createMemoryCapReserver } from '../../activities/caps';
import type { CapRule } from '../../core/frequency-caps';

const DAY = 86_400_000;
const T = Date.UTC(2026, 0, 10, 12);
const rules: CapRule[] = [
  { id: 'email-weekly', channels: ['email'], limit: 2, window: '7d' },
  { id: 'all-daily', limit: 3, window: '1d' },
];
const at = (ms: number) => new Date(ms);

test('when a seeded place and a new send fill a rule, then the next is refused by that rule until the oldest place leaves the window', async () => {
  const seed = { 'email-weekly': [{ t: T - 2 * DAY, k: 'past' }] };
  const reserve = createMemoryCapReserver(async () => rules, seed);
  expect(await reserve({ customerId: 'c', channel: 'email', key: 'a', now: at(T) })).toEqual({ admitted: true });
  expect(await reserve({ customerId: 'c', channel: 'email', key: 'b', now: at(T + 1_000) })).toEqual({ admitted: false, rule: 'email-weekly', retryAt: at(T + 5 * DAY) });
  // A retry of an admitted send holds its place; another channel counts only under the rule for all.
  expect(await reserve({ customerId: 'c', channel: 'email', key: 'a', now: at(T + 2_000) })).toEqual({ admitted: true });
  expect(await reserve({ customerId: 'c', channel: 'web', key: 'w', now: at(T + 3_000) })).toEqual({ admitted: true });
  // Five days on the past place has left the window.
  expect(await reserve({ customerId: 'c', channel: 'email', key: 'b', now: at(T + 5 * DAY) })).toEqual({ admitted: true });
  // The seed itself is not changed.
  expect(seed).toEqual({ 'email-weekly': [{ t: T - 2 * DAY, k: 'past' }] });
});

test('when several rules are full, then the refusal names the one that frees last', async () => {
  const reserve = createMemoryCapReserver(async () => rules);
  for (const [i, key] of ['x', 'y'].entries()) expect(await reserve({ customerId: 'c', channel: 'email', key, now: at(T + i) })).toEqual({ admitted: true });
  expect(await reserve({ customerId: 'c', channel: 'web', key: 'z', now: at(T + 2) })).toEqual({ admitted: true });
  expect(await reserve({ customerId: 'c', channel: 'email', key: 'n', now: at(T + 3) })).toEqual({ admitted: false, rule: 'email-weekly', retryAt: at(T + 7 * DAY) });
  expect(await reserve({ customerId: 'c', channel: 'web', key: 'm', now: at(T + 3) })).toEqual({ admitted: false, rule: 'all-daily', retryAt: at(T + DAY) });
});
