import { engagementChanges, hourOfWeek } from '../../core/engagement';
import type { CustomerDoc } from '../../db/models';
import { foldIntoProfile } from '../../lib/event-rollups';

test('when an instant is placed in the week, then Monday 00:00 UTC is hour 0 and Sunday 23:00 UTC is hour 167', () => {
  expect(hourOfWeek(new Date('2026-03-02T00:00:00Z'))).toBe(0);
  expect(hourOfWeek(new Date('2026-03-03T18:59:59Z'))).toBe(42);
  expect(hourOfWeek(new Date('2026-03-08T23:30:00Z'))).toBe(167);
  // The hour is UTC's, whatever offset the instant was written with.
  expect(hourOfWeek(new Date('2026-03-03T01:00:00+09:00'))).toBe(16);
});

test('when events are not engagement, then nothing changes; when they are, opens and clicks count per channel and sessions by hour only', () => {
  const at = new Date('2026-03-03T18:20:00Z');
  expect(engagementChanges([{ name: 'viewed', timestamp: at, properties: { channel: 'email' } }])).toEqual({ inc: {}, max: {} });
  expect(
    engagementChanges([
      { name: 'message_clicked', timestamp: at, properties: { channel: 'sms' } },
      { name: 'session_started', timestamp: at },
      { name: 'message_opened', timestamp: at, properties: { channel: 'toString' } },
    ]),
  ).toEqual({
    inc: { 'engagement.hours.h42': 3, 'engagement.channels.sms.clicked': 1 },
    max: { 'engagement.channels.sms.last': at },
  });
});

test('when a profile held in memory is folded, then it gets the roll-ups and engagement the store update gives', () => {
  const early = new Date('2026-03-03T18:20:00Z');
  const late = new Date('2026-03-04T09:05:00Z');
  const profile: Pick<CustomerDoc, 'events' | 'lastSeenAt' | 'windows' | 'engagement'> = {};
  foldIntoProfile(profile, [{ name: 'message_opened', timestamp: late, properties: { channel: 'push' } }], new Map());
  foldIntoProfile(profile, [{ name: 'message_opened', timestamp: early, properties: { channel: 'push' } }], new Map());
  expect(profile).toEqual({
    events: { message_opened: { count: 2, first: early, last: late } },
    lastSeenAt: late,
    engagement: { hours: { h42: 1, h57: 1 }, channels: { push: { opened: 2, last: late } } },
  });
});
