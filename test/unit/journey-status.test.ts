import { JOURNEY_STATUSES, journeyStatus, journeyStatusFilter, type JourneyFlags } from '../../core/journey-status';

/** The filters' MongoDB semantics: field equality (a missing field equals nothing) and $nor. */
function matches(doc: JourneyFlags, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([key, value]) =>
    key === '$nor' ? !(value as Record<string, unknown>[]).some((f) => matches(doc, f)) : doc[key as keyof JourneyFlags] === value,
  );
}

/** Every combination of the flags (set, false, absent) and of published or not. */
const docs: JourneyFlags[] = [0, 3].flatMap((version) =>
  [true, false, undefined].flatMap((archived) =>
    [true, false, undefined].flatMap((stopped) =>
      [true, false, undefined].flatMap((paused) => [true, false, undefined].map((live) => ({ version, archived, stopped, paused, live }))),
    ),
  ),
);

test('when any journey is filtered by each status, then exactly one filter matches it: the status it reads as', () => {
  for (const doc of docs) {
    expect(JOURNEY_STATUSES.filter((status) => matches(doc, journeyStatusFilter(status)))).toEqual([journeyStatus(doc)]);
  }
});

test.each<[string, string, JourneyFlags]>([
  ['an archived journey that was also stopped and paused', 'archived', { version: 2, archived: true, stopped: true, paused: true }],
  ['a stopped journey that was paused after', 'stopped', { version: 2, stopped: true, paused: true }],
  ['a paused live journey', 'paused', { version: 2, paused: true, live: true }],
  ['a live journey', 'live', { version: 1, live: true }],
  ['a journey with only a draft', 'draft', { version: 0 }],
  ['a published journey whose entries were stopped', 'published', { version: 4, live: false }],
])('when the journey is %s, then its status is %s', (_what, status, doc) => {
  expect(journeyStatus(doc)).toBe(status);
});
