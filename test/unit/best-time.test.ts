import { decideBestTime, explainBestTime, MIN_ENGAGEMENTS } from '../../core/best-time';
import { hourOfWeek } from '../../core/engagement';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => new Date(iso);
/** Engagement counts by the instants they happened at. */
const hoursAt = (counts: [string, number][]) => Object.fromEntries(counts.map(([iso, n]) => [`h${hourOfWeek(at(iso))}`, n]));

// Monday 2 March 2026, 09:20 UTC.
const MONDAY = at('2026-03-02T09:20:00Z');

test('when the customer engaged most on Tuesdays at 18:00 UTC, then a wait from Monday within 2d ends then, with the count', () => {
  const hours = hoursAt([
    ['2026-02-24T18:05:00Z', 6],
    ['2026-02-23T12:00:00Z', 2],
  ]);
  const decision = decideBestTime(MONDAY, 2 * DAY, hours, 'Europe/Paris', '10:00');
  expect(decision).toEqual({ at: at('2026-03-03T18:00:00Z'), basis: 'engagement', hourOfWeek: 42, count: 6, total: 8 });
  expect(explainBestTime(decision, '10:00', 'Europe/Paris')).toBe("the customer's busiest hour in the window: Tuesday 18:00 UTC (6 of their 8 engagements)");
});

test('when the busiest hour lies past the window, then the best hour inside it wins', () => {
  const hours = hoursAt([
    ['2026-02-24T18:05:00Z', 6],
    ['2026-02-23T12:00:00Z', 2],
  ]);
  expect(decideBestTime(MONDAY, DAY, hours, 'UTC', '10:00')).toMatchObject({ at: at('2026-03-02T12:00:00Z'), count: 2 });
});

test('when two hours tie, then the earlier one wins', () => {
  const hours = hoursAt([
    ['2026-02-24T08:00:00Z', 3],
    ['2026-02-23T20:00:00Z', 3],
  ]);
  expect(decideBestTime(MONDAY, 2 * DAY, hours, 'UTC', '10:00')).toMatchObject({ at: at('2026-03-02T20:00:00Z'), count: 3 });
});

test('when the current hour is the best, then the wait ends now, not at the hour it started', () => {
  const hours = hoursAt([['2026-02-23T09:40:00Z', 5]]);
  expect(decideBestTime(MONDAY, DAY, hours, 'UTC', '10:00')).toMatchObject({ at: MONDAY, count: 5 });
});

test('when the window ends exactly on an hour, then that hour start counts; the one after does not', () => {
  const hours = hoursAt([
    ['2026-02-23T12:00:00Z', 5],
    ['2026-02-23T13:00:00Z', 9],
  ]);
  const start = at('2026-03-02T09:00:00Z');
  expect(decideBestTime(start, 3 * HOUR, hours, 'UTC', '10:00')).toMatchObject({ at: at('2026-03-02T12:00:00Z') });
  expect(decideBestTime(start, 4 * HOUR, hours, 'UTC', '10:00')).toMatchObject({ at: at('2026-03-02T13:00:00Z') });
});

test('when a 7-day window comes round to the current hour of the week again, then the current one (earlier) wins the tie', () => {
  const hours = hoursAt([['2026-02-23T09:00:00Z', 7]]);
  expect(decideBestTime(MONDAY, 7 * DAY, hours, 'UTC', '10:00')).toMatchObject({ at: MONDAY });
});

test('when the customer has too little history, then the default local time in their zone applies', () => {
  const hours = hoursAt([['2026-02-24T18:05:00Z', MIN_ENGAGEMENTS - 1]]);
  // 10:00 in Paris (UTC+1 in March before the switch) is 09:00 UTC: passed on Monday, so Tuesday.
  const decision = decideBestTime(MONDAY, 2 * DAY, hours, 'Europe/Paris', '10:00');
  expect(decision).toEqual({ at: at('2026-03-03T09:00:00Z'), basis: 'default', because: 'little-history', total: 4, windowEnd: false });
  expect(explainBestTime(decision, '10:00', 'Europe/Paris')).toBe('too little history (4 engagements, fewer than 5): the default, 10:00 in Europe/Paris');
  expect(decideBestTime(MONDAY, 2 * DAY, undefined, 'Europe/Paris', '10:00')).toMatchObject({ at: at('2026-03-03T09:00:00Z'), total: 0 });
});

test('when the zone is half an hour off UTC, then the default falls on its half hour', () => {
  // Asia/Kolkata is UTC+5:30: 10:00 there is 04:30 UTC; on Monday 09:20 UTC it has passed.
  expect(decideBestTime(MONDAY, 2 * DAY, {}, 'Asia/Kolkata', '10:00')).toMatchObject({ at: at('2026-03-03T04:30:00Z'), basis: 'default' });
  // Engaged hours are UTC hours: 12:00-13:00 UTC is 17:30-18:30 in Kolkata, and the wait ends at its start.
  const hours = hoursAt([['2026-02-23T12:40:00Z', 5]]);
  expect(decideBestTime(MONDAY, DAY, hours, 'Asia/Kolkata', '10:00')).toMatchObject({ at: at('2026-03-02T12:00:00Z'), basis: 'engagement' });
});

test('when the default local time does not come within the window, then the wait ends with the window', () => {
  const decision = decideBestTime(MONDAY, 6 * HOUR, {}, 'America/New_York', '10:00');
  // 10:00 in New York (UTC-5) is 15:00 UTC: inside a 6-hour window (to 15:20 UTC), past a 2-hour one.
  expect(decision).toMatchObject({ at: at('2026-03-02T15:00:00Z'), windowEnd: false });
  const short = decideBestTime(MONDAY, 2 * HOUR, {}, 'America/New_York', '10:00');
  expect(short).toEqual({ at: at('2026-03-02T11:20:00Z'), basis: 'default', because: 'little-history', total: 0, windowEnd: true });
  expect(explainBestTime(short, '10:00', 'America/New_York')).toContain('the window ends before the default 10:00 in America/New_York: the end of the window');
});

test('when the customer has history but none at the hours the window holds, then the default applies', () => {
  const hours = hoursAt([['2026-02-27T18:00:00Z', 9]]);
  const decision = decideBestTime(MONDAY, DAY, hours, 'UTC', '10:00');
  expect(decision).toEqual({ at: at('2026-03-02T10:00:00Z'), basis: 'default', because: 'quiet-window', total: 9, windowEnd: false });
  expect(explainBestTime(decision, '10:00', 'UTC')).toBe('no engagement at any hour in the window (9 at other hours): the default, 10:00 in UTC');
});

test('when the candidates cross a daylight-saving change, then they stay UTC hours: the counts are read as they were kept', () => {
  // Paris moves to UTC+2 on Sunday 29 March 2026; an hour counted at 17:00 UTC stays 17:00 UTC (19:00 local after the change).
  const hours = hoursAt([['2026-03-23T17:10:00Z', 5]]);
  expect(decideBestTime(at('2026-03-29T12:00:00Z'), 2 * DAY, hours, 'Europe/Paris', '10:00')).toMatchObject({ at: at('2026-03-30T17:00:00Z') });
});
