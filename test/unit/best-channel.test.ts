import { chooseChannel } from '../../core/best-channel';
import { journeyDefinitionSchema } from '../../core/journey-definition';
import { templateUses } from '../../core/journey-references';
import { explainSend } from '../../core/send-explanation';

const listed = ['email', 'push', 'sms'] as const;
const engaged = (counts: Record<string, { opened?: number; clicked?: number }>) => ({ channels: counts });

describe('the choice', () => {
  test('when the customer opens and clicks push most, then push is chosen as most engaged, with every listed score', () => {
    const choice = chooseChannel(listed, {}, engaged({ email: { opened: 2 }, push: { opened: 4, clicked: 3 } }));
    expect(choice).toEqual({ channel: 'push', reason: 'most-engaged', scores: { email: 2, push: 7, sms: 0 } });
  });

  test('when clicks tip the balance, then they count beside opens', () => {
    expect(chooseChannel(listed, {}, engaged({ email: { opened: 3, clicked: 2 }, push: { opened: 4 } }))?.channel).toBe('email');
  });

  test('when the customer has no engagement at all, then the first listed channel is chosen for no history', () => {
    expect(chooseChannel(listed, {}, undefined)).toEqual({ channel: 'email', reason: 'no-history', scores: { email: 0, push: 0, sms: 0 } });
  });

  test('when the customer cannot be reached on the first listed channel and has no history, then the next one in order is chosen', () => {
    expect(chooseChannel(listed, { email: 'unreachable' }, {})).toEqual({
      channel: 'push',
      reason: 'no-history',
      scores: { email: 0, push: 0, sms: 0 },
      passedOver: { email: 'unreachable' },
    });
  });

  test('when the favourite channel is opted out, then the most engaged of the others is chosen and the opt-out is named', () => {
    const choice = chooseChannel(listed, { push: 'unsubscribed' }, engaged({ push: { opened: 9 }, sms: { opened: 1 } }));
    expect(choice).toEqual({ channel: 'sms', reason: 'most-engaged', scores: { email: 0, push: 9, sms: 1 }, passedOver: { push: 'unsubscribed' } });
  });

  test('when the only engaged channel is unreachable, then the first reachable in order is chosen for no history', () => {
    expect(chooseChannel(listed, { push: 'unreachable' }, engaged({ push: { opened: 9 } }))).toMatchObject({ channel: 'email', reason: 'no-history' });
  });

  test('when two channels tie for the most, then the first listed of them is chosen, as tied', () => {
    expect(chooseChannel(['sms', 'push', 'email'], {}, engaged({ email: { opened: 2 }, push: { clicked: 2 } }))).toMatchObject({ channel: 'push', reason: 'tied' });
  });

  test('when no listed channel is reachable, then there is no choice', () => {
    expect(chooseChannel(['email', 'sms'], { email: 'unsubscribed', sms: 'unreachable' }, engaged({ email: { opened: 1 } }))).toBeUndefined();
  });

  test('when the customer engages on a channel the step does not list, then it does not count', () => {
    expect(chooseChannel(['email', 'sms'], {}, engaged({ web: { opened: 5 } }))).toMatchObject({ channel: 'email', reason: 'no-history', scores: { email: 0, sms: 0 } });
  });
});

describe('the words', () => {
  test('when sent on the most engaged channel, then the explanation says so with the scores and what was passed over', () => {
    const choice = { channel: 'push' as const, reason: 'most-engaged' as const, scores: { email: 2, push: 7, sms: 9 }, passedOver: { sms: 'unsubscribed' } };
    expect(explainSend({ state: 'sent', plannedChannel: 'push', usedChannel: 'push', choice }).explanation).toBe(
      'sent on push, the channel the customer engages with most (opens and clicks: email 2, push 7, sms 9); passed over: sms (unsubscribed)',
    );
  });

  test('when sent for lack of history, then the explanation says the first reachable in the step order was taken', () => {
    const choice = { channel: 'sms' as const, reason: 'no-history' as const, scores: { email: 0, sms: 0 }, passedOver: { email: 'unreachable' } };
    expect(explainSend({ state: 'sent', plannedChannel: 'sms', usedChannel: 'sms', choice }).explanation).toBe(
      "sent on sms, first in the step's order the customer can be reached on: no opens or clicks on any of them yet; passed over: email (no address)",
    );
  });
});

describe('the step', () => {
  const step = (fields: Record<string, unknown>) => ({ name: 'J', steps: [{ id: 'hello', type: 'send', channel: 'best', ...fields }] });
  const issues = (body: unknown) =>
    journeyDefinitionSchema.safeParse(body).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  const valid = { channels: ['push', 'email'], templates: { push: 'hello-push', email: 'hello-email' } };

  test('when a best-channel step lists channels with a template each, then it is valid and names each template with its field', () => {
    const parsed = journeyDefinitionSchema.parse(step(valid));
    expect(templateUses(parsed)).toEqual([
      { field: 'steps[0].templates.push', stepId: 'hello', template: 'hello-push', channel: 'push' },
      { field: 'steps[0].templates.email', stepId: 'hello', template: 'hello-email', channel: 'email' },
    ]);
  });

  test.each([
    ['no channels', { templates: valid.templates }, /^steps\.0\.channels: /],
    ['one channel', { channels: ['push'], templates: { push: 'p' } }, /^steps\.0\.channels: Too small/],
    ['a channel twice', { channels: ['push', 'push'], templates: { push: 'p' } }, /^steps\.0\.channels: must list each channel once/],
    ['an unknown channel', { channels: ['push', 'fax'], templates: { push: 'p' } }, /^steps\.0\.channels\.1: /],
    ['a listed channel without a template', { channels: ['push', 'email'], templates: { push: 'p' } }, /^steps\.0\.templates\.email: give a email template/],
    ['a template for a channel not listed', { channels: ['push', 'email'], templates: { ...valid.templates, sms: 's' } }, /^steps\.0\.templates\.sms: sms is not in channels/],
    ['a single template', { ...valid, template: 'x' }, /^steps\.0: Unrecognized key: "template"/],
    ['a fallback', { ...valid, fallback: { channel: 'sms', template: 's' } }, /^steps\.0: Unrecognized key: "fallback"/],
  ])('when a best-channel step has %s, then the issue names the field', (_name, fields, message) => {
    expect(issues(step(fields))).toEqual([expect.stringMatching(message)]);
  });

  test('when a step names channels without "best", then they are refused', () => {
    expect(issues({ name: 'J', steps: [{ id: 'a', type: 'send', channel: 'email', template: 't', channels: ['email', 'sms'] }] })).toEqual([
      expect.stringMatching(/^steps\.0: Unrecognized key: "channels"/),
    ]);
  });
});
