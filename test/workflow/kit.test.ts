// Every block of the code-first kit does what the JSON step of its type does, through the same
// handlers and activities: under the time-skipping server, with typed fake activities.
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Activities, SendInput } from '../../activities';
import type { ResolveBestTimeInput, ResolveWaitInput } from '../../activities/schedule';
import { journeyWorkflowId } from '../../core/ids';
import { customerEventSignal, journeyStateQuery } from '../../core/journey-contract';
import type { BranchCondition, SplitStep } from '../../core/journey-definition';
import { assignSplit } from '../../core/split';
import { quietLogger } from '../../dev/quiet-logger';
import { createJourneyWorkers } from '../../workers/create-worker';
import { startTimeSkipping } from '../support/time-skipping';
import { everyBlock, optimizing } from './kit-types';

let env: TestWorkflowEnvironment;
let code: string;
beforeAll(async () => {
  [env, { code }] = await Promise.all([startTimeSkipping(), bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'kit-types'), logger: quietLogger })]);
});
afterAll(async () => {
  await env?.teardown();
});

let queues = 0;
async function run<T>(workflowType: string, customerId: string, input: object, branch: number, drive?: (h: ReturnType<typeof env.client.workflow.getHandle>) => Promise<void>) {
  const sends: SendInput[] = [];
  const waits: ResolveWaitInput[] = [];
  const bestTimes: ResolveBestTimeInput[] = [];
  const branches: BranchCondition[][] = [];
  const choices: Parameters<Activities['chooseSplitPath']>[0][] = [];
  const activities: Partial<Activities> = {
    async send(input) {
      sends.push(input);
      // Unreachable by SMS: the fallback's queue delivers it.
      if (input.via === 'sms' && input.fallback) return { status: 'rerouted', channel: input.fallback.channel };
      // A best-channel send chooses email: its queue delivers it, with the choice.
      if (input.best && input.via !== 'email') return { status: 'rerouted', channel: 'email', choice: CHOICE };
      return { status: 'sent', messageId: input.key, channel: input.via };
    },
    async resolveWait(input) {
      waits.push(input);
      return new Date(Date.parse(input.from) + 3_600_000).toISOString();
    },
    async resolveBestTime(input) {
      bestTimes.push(input);
      return { until: new Date(Date.parse(input.from) + 3_600_000).toISOString(), reason: 'in an hour' };
    },
    async evaluateBranch(input) {
      branches.push(input.cases);
      return branch;
    },
    // The optimizer's answer: the last path, for customers in the split's first segment.
    async chooseSplitPath(input) {
      choices.push(input);
      return { path: input.paths[input.paths.length - 1], context: input.segments?.[0] ?? 'everyone', shares: {} };
    },
  };
  const taskQueue = `kit-${process.pid}-${++queues}`;
  const worker = await createJourneyWorkers({ connection: env.nativeConnection, taskQueue, workflowBundle: { code }, activities });
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(workflowType, { workflowId: journeyWorkflowId('kit', customerId), taskQueue, args: [{ customerId, entry: 1, input }] });
    await drive?.(handle);
    return handle.result() as Promise<T>;
  });
  return { result, sends, waits, bestTimes, branches, choices };
}

const CHOICE = { channel: 'email' as const, reason: 'most-engaged' as const, scores: { push: 1, email: 3 } };

const split = { id: 'ab', type: 'split', ...everyBlock.splits!.ab } as unknown as SplitStep;
/** A customer ID the split sends down `path`. */
function customerOn(path: string): string {
  for (let i = 0; ; i++) if (assignSplit(split, everyBlock.id, `kit-${i}`) === path) return `kit-${i}`;
}

test('when a type uses every block, then each runs its JSON step: send options, the four waits, waitForEvent with match, branch by rule or segment, split, exit', async () => {
  const customerId = customerOn('a');
  const at = new Date(Date.now() + 3_600_000).toISOString();
  const { result, sends, waits, bestTimes, branches } = await run<{ path: string[]; splits: Record<string, string>; exitReason: string; converted?: object }>(
    'everyBlockWorkflow',
    customerId,
    { at },
    0,
    async (handle) => {
      while ((await handle.query(journeyStateQuery)).currentStep !== 'bought') await env.sleep('1h');
      // Not from the web: no match. Then one that is.
      await handle.signal(customerEventSignal, { id: 'c1', name: 'checkout', timestamp: new Date().toISOString(), properties: { source: 'app' } });
      await handle.signal(customerEventSignal, { id: 'c2', name: 'checkout', timestamp: new Date().toISOString(), properties: { source: 'web' } });
    },
  );
  expect(sends[0]).toMatchObject({ stepId: 'receipt', transactional: true, quietHours: { start: '21:00', end: '08:00' }, timeZone: 'Europe/Paris' });
  expect(sends.filter((s) => s.stepId === 'promo').map((s) => s.via)).toEqual(['sms', 'email']);
  expect(sends[1]).toMatchObject({ whenCapped: 'defer', fallback: { channel: 'email', templateId: 'promo-mail' } });
  expect(waits.map((w) => w.wait)).toEqual([{ until: at }, { untilAttribute: { attribute: 'renewsAt', offset: '+1h' } }, { untilLocalTime: { time: '09:00', weekdays: ['mon'] } }]);
  expect(waits[2].defaultTimeZone).toBe('Europe/Paris');
  expect(bestTimes).toMatchObject([{ customerId, bestTime: { within: '1d', default: '10:00' }, defaultTimeZone: 'Europe/Paris' }]);
  expect(branches).toEqual([[{ rule: { attribute: 'plan', op: 'eq', value: 'pro' } }, { segment: 'vip' }]]);
  expect(result.path).toEqual(['receipt', 'promo', 'moment', 'renewal', 'morning', 'best', 'pause', 'bought', 'plan', 'ab', 'a-mail', 'out']);
  expect(result.splits).toEqual({ ab: 'a' });
  expect(result.exitReason).toBe('exit-step');
  expect(sends.map((s) => s.stepId)).not.toContain('never');
  // The event that matched ended the wait; later templates read it as events.bought.
  expect(sends.find((s) => s.stepId === 'a-mail')?.events?.bought).toMatchObject({ name: 'checkout', properties: { source: 'web' } });
});

test('when a type sends on the best channel, then the send carries the listed channels with their templates, and the choice to the chosen channel queue', async () => {
  const { result, sends } = await run<{ sends: { channel: string; status: string }[] }>('bestChannelWorkflow', 'kit-best', {}, -1);
  const routes = [
    { channel: 'push', templateId: 'hello-push' },
    { channel: 'email', templateId: 'hello-email' },
  ];
  expect(sends).toEqual([
    expect.objectContaining({ stepId: 'hello', channel: 'push', templateId: 'hello-push', best: routes, whenCapped: 'defer', via: 'push' }),
    expect.objectContaining({ best: routes, via: 'email', choice: CHOICE }),
  ]);
  expect(sends[0].choice).toBeUndefined();
  expect(sends[0].fallback).toBeUndefined();
  expect(result.sends).toEqual([expect.objectContaining({ status: 'sent', channel: 'email' })]);
});

test('when the split puts the customer in the holdout, then the run ends there and no later block sends', async () => {
  const { result, sends } = await run<{ path: string[]; exitReason: string }>('everyBlockWorkflow', customerOn('holdout'), { at: new Date().toISOString() }, 1, async (handle) => {
    while ((await handle.query(journeyStateQuery)).currentStep !== 'bought') await env.sleep('1h');
    await env.sleep('2h');
  });
  expect(result.path.slice(-2)).toEqual(['plan', 'ab']);
  expect(result.exitReason).toBe('holdout');
  expect(sends.map((s) => s.stepId)).toEqual(['receipt', 'promo', 'promo']);
});

test('when no branch case holds, then branch answers undefined and the code goes on without the split', async () => {
  const { result } = await run<{ path: string[] }>('everyBlockWorkflow', 'kit-none', { at: new Date().toISOString() }, -1, async (handle) => {
    while ((await handle.query(journeyStateQuery)).currentStep !== 'bought') await env.sleep('1h');
    await env.sleep('2h');
  });
  expect(result.path.slice(-2)).toEqual(['plan', 'out']);
});

test.each([
  ['a step its declaration does not list', 'undeclaredStepWorkflow', 'does not declare step "helo"'],
  ['an event its declaration does not list', 'unheardEventWorkflow', 'waits for "checkout" but does not list it in waitsFor'],
  ['a fallback template its declaration does not list', 'undeclaredTemplateWorkflow', 'uses template "hello-web" but does not list it in templates'],
  ['a best-channel template its declaration does not list', 'undeclaredBestTemplateWorkflow', 'uses template "hello-sms" but does not list it in templates'],
  ['a segment its declaration does not list', 'undeclaredSegmentWorkflow', 'uses segment "vip" but does not list it in segments'],
])('when a type uses %s, then the run fails at once, naming it', async (_what, workflowType, message) => {
  const failure = await run(workflowType, `kit-${workflowType}`, {}, -1).catch((err: unknown) => err);
  expect(failure).toBeInstanceOf(WorkflowFailedError);
  expect((failure as WorkflowFailedError).cause).toMatchObject({ type: 'InvalidJourneyDefinition', message: expect.stringContaining(message) });
});

test('when a type declares an optimizing split, then the kit picks through the optimizer, hears its goal, and the run listens until the goal comes', async () => {
  expect(optimizing.listensTo).toEqual(['purchase']);
  const { result, sends, choices } = await run<{ splits: Record<string, string>; trials: Record<string, { path: string; context: string; converted?: { eventId: string } }> }>(
    'optimizingKitWorkflow',
    'kit-optimizer',
    {},
    -1,
    async (handle) => {
      while ((await handle.query(journeyStateQuery)).status !== 'waiting') await new Promise((r) => setTimeout(r, 25));
      await handle.signal(customerEventSignal, { id: 'kit-buy', name: 'purchase', timestamp: new Date().toISOString() });
    },
  );
  expect(choices).toEqual([{ journeyId: 'kit-optimizing', stepId: 'subject', customerId: 'kit-optimizer', paths: ['plain', 'emoji'], minShare: 0.1, segments: ['vip'] }]);
  expect(result.splits).toEqual({ subject: 'emoji' });
  expect(result.trials.subject).toMatchObject({ path: 'emoji', context: 'vip', converted: { eventId: 'kit-buy' } });
  expect(sends.map((s) => s.stepId)).toEqual(['emoji']);
});
