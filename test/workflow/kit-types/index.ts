// Code-first types that use every block of the kit, for test/workflow/kit.test.ts (bundled by
// that test alone: they are not registered by the worker).
import { z } from 'zod';
import { defineCodeJourney } from '../../../core/code-journey-type';
import type { JourneyRunResult } from '../../../core/journey-contract';
import { type CodeJourneyInput, JourneyKit } from '../../../workflows/code-first/kit';

export const everyBlock = defineCodeJourney({
  id: 'every-block',
  workflowType: 'everyBlockWorkflow',
  description: 'Every block of the kit once',
  input: z.object({ at: z.iso.datetime({ offset: true }) }).strict(),
  settings: { quietHours: { start: '21:00', end: '08:00' }, timeZone: 'Europe/Paris', goal: { event: 'purchase', within: '30d' } },
  steps: ['receipt', 'promo', 'moment', 'renewal', 'morning', 'best', 'pause', 'bought', 'plan', 'ab', 'a-mail', 'b-mail', 'out', 'never'],
  splits: { ab: { paths: [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }], holdout: { weight: 1 } } },
  waitsFor: ['checkout'],
  templates: ['receipt', 'promo', 'promo-mail', 'a', 'b', 'never'],
  segments: ['vip'],
});

export async function everyBlockWorkflow({ input, ...run }: CodeJourneyInput<typeof everyBlock>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(everyBlock, run);
  await kit.send('receipt', 'email', 'receipt', { transactional: true });
  await kit.send('promo', 'sms', 'promo', { whenCapped: 'defer', fallback: { channel: 'email', template: 'promo-mail' } });
  await kit.waitUntil('moment', { at: input.at });
  await kit.waitUntil('renewal', { attribute: 'renewsAt', offset: '+1h' });
  await kit.waitUntil('morning', { localTime: { time: '09:00', weekdays: ['mon'] } });
  await kit.waitUntil('best', { bestTime: { within: '1d', default: '10:00' } });
  await kit.wait('pause', '2d');
  await kit.waitForEvent('bought', 'checkout', '1h', { source: 'web' });
  const plan = await kit.branch('plan', [
    { name: 'pro', when: { rule: { attribute: 'plan', op: 'eq', value: 'pro' } } },
    { name: 'vip', when: { segment: 'vip' } },
  ]);
  if (plan !== undefined) {
    const path = await kit.split('ab');
    if (path === 'a') await kit.send('a-mail', 'email', 'a');
    if (path === 'b') await kit.send('b-mail', 'email', 'b');
  }
  await kit.exit('out');
  await kit.send('never', 'email', 'never');
  return kit.finish();
}

/** A type whose code runs a step its declaration does not list. */
const undeclared = defineCodeJourney({
  id: 'undeclared',
  workflowType: 'undeclaredStepWorkflow',
  description: 'A bug',
  input: z.object({}),
  steps: ['hello'],
  templates: ['hello'],
});

export async function undeclaredStepWorkflow(run: CodeJourneyInput<typeof undeclared>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(undeclared, run);
  await kit.send('hello', 'email', 'hello');
  await kit.send('helo', 'email', 'hello');
  return kit.finish();
}

/** A type whose code waits for an event it does not list: ingest would never signal it. */
export async function unheardEventWorkflow(run: CodeJourneyInput<typeof undeclared>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(undeclared, run);
  await kit.waitForEvent('hello', 'checkout', '1d');
  return kit.finish();
}

/** A type whose code sends a template its declaration does not list: deleting it would not be refused. */
export async function undeclaredTemplateWorkflow(run: CodeJourneyInput<typeof undeclared>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(undeclared, run);
  await kit.send('hello', 'email', 'hello', { fallback: { channel: 'web', template: 'hello-web' } });
  return kit.finish();
}

/** A type whose code tests a segment its declaration does not list. */
export async function undeclaredSegmentWorkflow(run: CodeJourneyInput<typeof undeclared>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(undeclared, run);
  await kit.inSegment('hello', 'vip');
  return kit.finish();
}

/** A best-channel send in code: the same form as the JSON step, a template per listed channel. */
const bestChannel = defineCodeJourney({
  id: 'best-channel',
  workflowType: 'bestChannelWorkflow',
  description: 'One best-channel send',
  input: z.object({}),
  steps: ['hello'],
  templates: ['hello-push', 'hello-email'],
});

export async function bestChannelWorkflow(run: CodeJourneyInput<typeof bestChannel>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(bestChannel, run);
  await kit.send('hello', 'best', { channels: ['push', 'email'], templates: { push: 'hello-push', email: 'hello-email' }, whenCapped: 'defer' });
  return kit.finish();
}

/** A best-channel send whose per-channel template the declaration does not list. */
export async function undeclaredBestTemplateWorkflow(run: CodeJourneyInput<typeof undeclared>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(undeclared, run);
  await kit.send('hello', 'best', { channels: ['email', 'sms'], templates: { email: 'hello', sms: 'hello-sms' } });
  return kit.finish();
}

/** Never run: the type checker refuses a listed channel without a template. */
export async function missingBestTemplateDoesNotCompile(run: CodeJourneyInput<typeof bestChannel>): Promise<void> {
  const kit = new JourneyKit(bestChannel, run);
  // @ts-expect-error email is listed but has no template
  await kit.send('hello', 'best', { channels: ['push', 'email'], templates: { push: 'hello-push' } });
}

/** An optimizing split in code: its goal is heard, its segment declared. */
export const optimizing = defineCodeJourney({
  id: 'kit-optimizing',
  workflowType: 'optimizingKitWorkflow',
  description: 'A subject line test that learns',
  input: z.object({}),
  steps: ['subject', 'plain', 'emoji'],
  splits: { subject: { paths: [{ name: 'plain', weight: 1 }, { name: 'emoji', weight: 1 }], optimize: { goal: 'purchase', within: '2d', segments: ['vip'] } } },
  templates: ['plain', 'emoji'],
  segments: ['vip'],
});

export async function optimizingKitWorkflow(run: CodeJourneyInput<typeof optimizing>): Promise<JourneyRunResult> {
  const kit = new JourneyKit(optimizing, run);
  const path = await kit.split('subject');
  if (path === 'plain') await kit.send('plain', 'email', 'plain');
  else await kit.send('emoji', 'email', 'emoji');
  return kit.finish();
}
