import { nextLocalTime, quietHoursEnd } from '../../core/local-time';

const at = (iso: string) => new Date(iso);

test('when the local time is still ahead today, then it is today in that zone', () => {
  // 07:00 in Paris (UTC+1 in winter) → 09:00 Paris = 08:00 UTC.
  expect(nextLocalTime(at('2026-01-14T06:00:00Z'), 'Europe/Paris', '09:00').toISOString()).toBe('2026-01-14T08:00:00.000Z');
});

test('when the local time has passed today, then it is tomorrow', () => {
  expect(nextLocalTime(at('2026-01-14T10:00:00Z'), 'Europe/Paris', '09:00').toISOString()).toBe('2026-01-15T08:00:00.000Z');
});

test('when only some weekdays are allowed, then the next allowed day is taken', () => {
  // Wednesday 14 January 2026 → next Monday is the 19th.
  expect(nextLocalTime(at('2026-01-14T10:00:00Z'), 'America/New_York', '09:30', ['mon']).toISOString()).toBe('2026-01-19T14:30:00.000Z');
});

test('when the zone is ahead of UTC across midnight, then the local date is the one that counts', () => {
  // 23:30 UTC on the 14th is 08:30 on the 15th in Tokyo: 09:00 Tokyo is 30 minutes later.
  expect(nextLocalTime(at('2026-01-14T23:30:00Z'), 'Asia/Tokyo', '09:00').toISOString()).toBe('2026-01-15T00:00:00.000Z');
});

test('when daylight saving changes the offset, then the wall-clock time is kept', () => {
  // Paris switches to UTC+2 on 29 March 2026: 09:00 is 07:00 UTC from then on.
  expect(nextLocalTime(at('2026-03-28T10:00:00Z'), 'Europe/Paris', '09:00').toISOString()).toBe('2026-03-29T07:00:00.000Z');
});

test('when the time falls in the hour skipped by daylight saving, then it lands just after the jump', () => {
  // 02:30 does not exist in Paris on 29 March 2026 (02:00 → 03:00).
  const result = nextLocalTime(at('2026-03-29T00:00:00Z'), 'Europe/Paris', '02:30');
  expect(result.toISOString()).toBe('2026-03-29T01:30:00.000Z');
});

test('when it is inside quiet hours that wrap past midnight, then they end at the next end time', () => {
  // 23:30 in Paris (22:30 UTC) inside 21:00–08:00: they end at 08:00 Paris = 07:00 UTC.
  expect(quietHoursEnd(at('2026-01-14T22:30:00Z'), 'Europe/Paris', '21:00', '08:00')?.toISOString()).toBe('2026-01-15T07:00:00.000Z');
  // 06:00 Paris, still inside, ends the same morning.
  expect(quietHoursEnd(at('2026-01-15T05:00:00Z'), 'Europe/Paris', '21:00', '08:00')?.toISOString()).toBe('2026-01-15T07:00:00.000Z');
});

test('when it is outside quiet hours, then there is nothing to wait for', () => {
  expect(quietHoursEnd(at('2026-01-15T11:00:00Z'), 'Europe/Paris', '21:00', '08:00')).toBeUndefined();
  expect(quietHoursEnd(at('2026-01-15T11:00:00Z'), 'Europe/Paris', '13:00', '14:00')).toBeUndefined();
  expect(quietHoursEnd(at('2026-01-15T12:30:00Z'), 'Europe/Paris', '13:00', '14:00')?.toISOString()).toBe('2026-01-15T13:00:00.000Z');
});
