import { checkJourneyGraph, journeyDefinitionSchema, Step, successors } from '../../core/journey-definition';

const send = (id: string, next?: string): Step => ({ id, type: 'send', channel: 'email', template: 't', next });

test('when a branch, split and waitForEvent lead on, then every link is a successor with its field', () => {
  expect(successors({ id: 'b', type: 'branch', cases: [{ when: { segment: 's' }, next: 'x' }], default: 'y' })).toEqual([
    { field: 'cases[0].next', id: 'x' },
    { field: 'default', id: 'y' },
  ]);
  expect(successors({ id: 's', type: 'split', paths: [{ name: 'a', weight: 1, next: 'x' }, { name: 'b', weight: 1 }] })).toEqual([
    { field: 'paths[0].next', id: 'x' },
  ]);
  expect(successors({ id: 'e', type: 'exit' })).toEqual([]);
});

test('when a branch case leads to a missing step, then the issue names that case', () => {
  const issues = checkJourneyGraph([{ id: 'b', type: 'branch', cases: [{ when: { segment: 's' }, next: 'ghost' }] }]);
  expect(issues).toEqual([{ path: ['steps', 0, 'cases', 0, 'next'], message: 'step "b" leads to "ghost", which does not exist' }]);
});

test('when a branch loops back without a wait, then the loop is refused', () => {
  const issues = checkJourneyGraph([{ id: 'b', type: 'branch', cases: [{ when: { segment: 's' }, next: 'm' }], default: 'm' }, send('m', 'b')]);
  expect(issues.map((i) => i.message)).toEqual(['steps "b" → "m" form a loop without a wait step']);
});

test('when a loop passes through a waitForEvent, then it is accepted', () => {
  expect(checkJourneyGraph([send('m', 'w'), { id: 'w', type: 'waitForEvent', event: 'e', timeout: '1d', onEvent: 'm', onTimeout: 'm' }])).toEqual([]);
});

test.each([
  ['no target', { id: 'w', type: 'wait' }],
  ['two targets', { id: 'w', type: 'wait', duration: '1d', until: '2027-01-01T00:00:00Z' }],
  ['a best time and a local time', { id: 'w', type: 'wait', untilBestTime: { within: '1d', default: '10:00' }, untilLocalTime: { time: '09:00' } }],
])('when a wait has %s, then the definition is refused naming the wait', (_what, wait) => {
  const result = journeyDefinitionSchema.safeParse({ name: 'J', steps: [wait] });
  expect(result.success).toBe(false);
  expect(result.error!.issues[0]).toMatchObject({ path: ['steps', 0, 'duration'], message: 'give exactly one of duration, until, untilAttribute, untilLocalTime, untilBestTime' });
});

test.each([
  ['a local time out of range', { untilLocalTime: { time: '25:00' } }, ['steps', 0, 'untilLocalTime', 'time']],
  ['an unknown weekday', { untilLocalTime: { time: '09:00', weekdays: ['someday'] } }, ['steps', 0, 'untilLocalTime', 'weekdays', 0]],
  ['a date without an offset', { until: '2027-01-01T09:00:00' }, ['steps', 0, 'until']],
  ['an attribute offset that is not one', { untilAttribute: { attribute: 'trialEndsAt', offset: '2 days before' } }, ['steps', 0, 'untilAttribute', 'offset']],
  ['an attribute date with an unknown field', { untilAttribute: { attribute: 'trialEndsAt', before: '2d' } }, ['steps', 0, 'untilAttribute']],
  ['a best-time window under an hour', { untilBestTime: { within: '30m', default: '10:00' } }, ['steps', 0, 'untilBestTime', 'within']],
  ['a best-time window over a week', { untilBestTime: { within: '8d', default: '10:00' } }, ['steps', 0, 'untilBestTime', 'within']],
  ['a best-time window that is no duration', { untilBestTime: { within: 'a day', default: '10:00' } }, ['steps', 0, 'untilBestTime', 'within']],
  ['a best-time default that is no time', { untilBestTime: { within: '1d', default: '10am' } }, ['steps', 0, 'untilBestTime', 'default']],
  ['a best time without a default', { untilBestTime: { within: '1d' } }, ['steps', 0, 'untilBestTime', 'default']],
  ['a best time with an unknown field', { untilBestTime: { within: '1d', default: '10:00', channel: 'email' } }, ['steps', 0, 'untilBestTime']],
])('when a wait has %s, then the field is named', (_what, target, path) => {
  const result = journeyDefinitionSchema.safeParse({ name: 'J', steps: [{ id: 'w', type: 'wait', ...target }] });
  expect(result.error!.issues[0].path).toEqual(path);
});

test.each([
  ['by name, as stored definitions have it', 'trialEndsAt'],
  ['with an offset before it', { attribute: 'trialEndsAt', offset: '-2d' }],
  ['with an offset after it', { attribute: 'trialEndsAt', offset: '+1h' }],
  ['without an offset', { attribute: 'trialEndsAt' }],
])('when a wait names an attribute %s, then it is accepted', (_what, untilAttribute) => {
  expect(journeyDefinitionSchema.safeParse({ name: 'J', steps: [{ id: 'w', type: 'wait', untilAttribute }] }).success).toBe(true);
});

test.each(['1h', '1d', '36h', '7d', '1w'])('when a best-time wait has a window of %s, then it is accepted', (within) => {
  expect(journeyDefinitionSchema.safeParse({ name: 'J', steps: [{ id: 'w', type: 'wait', untilBestTime: { within, default: '10:00' } }] }).success).toBe(true);
});

test('when a best-time window is out of range, then the message says the range', () => {
  const result = journeyDefinitionSchema.safeParse({ name: 'J', steps: [{ id: 'w', type: 'wait', untilBestTime: { within: '30m', default: '10:00' } }] });
  expect(result.error!.issues[0].message).toBe('must be from 1h to 7d');
});

test('when a branch condition carries a raw operator, then it is refused', () => {
  const result = journeyDefinitionSchema.safeParse({
    name: 'J',
    steps: [{ id: 'b', type: 'branch', cases: [{ when: { rule: { attribute: 'plan', op: 'eq', value: { $ne: null } } } }] }],
  });
  expect(result.success).toBe(false);
  expect(result.error!.issues[0].path.slice(0, 5)).toEqual(['steps', 0, 'cases', 0, 'when']);
});

test('when settings name a bad time zone or goal, then they are refused by field', () => {
  const result = journeyDefinitionSchema.safeParse({
    name: 'J',
    settings: { timeZone: 'Nowhere/Land', goal: { event: 'purchase', within: 'soon' } },
    steps: [{ id: 'x', type: 'exit' }],
  });
  expect(result.error!.issues.map((i) => i.path.join('.'))).toEqual(['settings.timeZone', 'settings.goal.within']);
});
