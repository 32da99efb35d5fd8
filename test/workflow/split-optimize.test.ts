// Optimizing splits under the time-skipping server: the real workflow and the real optimizer
// activity (activities/split-optimize.ts). The test server answers no visibility query, so the
// optimizer's counts here read each run's CairnOptimize through describe, the values real
// visibility counts (test/integration/split-optimize.test.ts counts them there).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities } from '../../activities';
import { createOptimizeActivities, type SplitChoice } from '../../activities/split-optimize';
import { journeyWorkflowId } from '../../core/ids';
import { customerEventSignal, SA_JOURNEY, SA_OPTIMIZE, stopSignal } from '../../core/journey-contract';
import { assignSplit, HOLDOUT } from '../../core/split';
import { seededRandom } from '../../core/split-optimize';
import { journeyWorkflow } from '../../workflows/journey';
import { optimizingSplit } from '../support/journeys';
import { journeyWorker, startTimeSkipping, stateWhen } from '../support/time-skipping';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

const JOURNEY = 'optimize-ts';
const started: string[] = [];
/** The runs' descriptions, read once per pick (the wrapper below forgets them before each). */
let described: ReturnType<typeof describeAll> | undefined;
const describeAll = () => Promise.all(started.map((id) => env.client.workflow.getHandle(id).describe()));
/** Runs of the journey holding the value, as visibility would count them. */
async function countTrials(journeyId: string, value: string): Promise<number> {
  return (await (described ??= describeAll())).filter((d) => d.typedSearchAttributes.get(SA_JOURNEY) === journeyId && (d.typedSearchAttributes.get(SA_OPTIMIZE) ?? []).includes(value)).length;
}

const choices = new Map<string, SplitChoice>();
const optimizer = createOptimizeActivities({
  countTrials,
  evaluateBranch: async () => -1,
  random: seededRandom(2026),
  // Every pick counts afresh: the phases below change the evidence between them.
  evidenceTtlMs: 0,
});
const activities: Partial<Activities> = {
  async send(input) {
    return { status: 'sent', messageId: input.key };
  },
  async chooseSplitPath(input) {
    described = undefined;
    const choice = await optimizer.chooseSplitPath(input);
    choices.set(input.customerId, choice);
    return choice;
  },
};

const definition = optimizingSplit({ goal: 'purchase', within: '1d', minShare: 0.1 }, { holdout: 2 });

function start(taskQueue: string, customerId: string) {
  const workflowId = journeyWorkflowId(JOURNEY, customerId);
  started.push(workflowId);
  return env.client.workflow.start(journeyWorkflow, {
    workflowId,
    taskQueue,
    args: [{ journeyId: JOURNEY, journeyVersion: 1, customerId, entry: 1, definition }],
    searchAttributes: { CairnJourneyId: [JOURNEY] },
  });
}

/** Runs `customers` through the split; those the optimizer sends down "plain" buy, the others never do. */
async function phase(taskQueue: string, customers: string[]) {
  const handles = [];
  for (const customerId of customers) {
    const handle = await start(taskQueue, customerId);
    handles.push(handle);
    // One at a time: each pick sees the evidence before it, and the seeded draws go in order.
    const state = await stateWhen(handle, (s) => s.splits.subject !== undefined && (s.splits.subject === HOLDOUT || s.status === 'waiting'));
    if (state.splits.subject === 'plain') {
      await handle.signal(customerEventSignal, { id: `buy-${customerId}`, name: 'purchase', timestamp: new Date().toISOString() });
    }
  }
  // One result at a time: the time-skipping server moves the clock for the one awaited.
  const results = [];
  for (const handle of handles) results.push(await handle.result());
  return results;
}

test('when one path converts and the other does not, then later customers go mostly to the winner, the loser keeps its floor, and the holdout stays fixed', async () => {
  const { worker, taskQueue } = await journeyWorker(env, activities);
  await worker.runUntil(async () => {
    const first = Array.from({ length: 20 }, (_, i) => `first-${i}`);
    const firstResults = await phase(taskQueue, first);
    // With no evidence yet, the paths shared the first customer evenly; plain's conversions
    // count at once (a conversion settles its trial), emoji's failures only as windows close.
    const firstPicks = first.filter((c) => choices.has(c)).map((c) => choices.get(c)!.shares);
    expect(firstPicks[0]).toEqual({ plain: 0.5, emoji: 0.5 });
    expect(firstPicks[firstPicks.length - 1].plain).toBeGreaterThan(0.5);
    for (const [i, result] of firstResults.entries()) {
      const customerId = first[i];
      if (assignSplit(definition.steps[0] as never, JOURNEY, customerId) === HOLDOUT) {
        // The holdout is the hash's, as without optimize: no pick, no trial.
        expect(result.splits.subject).toBe(HOLDOUT);
        expect(choices.has(customerId)).toBe(false);
        continue;
      }
      const trial = result.trials!.subject;
      expect(trial.settled).toBe(true);
      expect(Boolean(trial.converted)).toBe(trial.path === 'plain');
    }
    const plain = firstResults.filter((r) => r.splits.subject === 'plain').length;
    const emoji = firstResults.filter((r) => r.splits.subject === 'emoji').length;
    expect(plain).toBeGreaterThan(0);
    expect(emoji).toBeGreaterThan(0);

    const second = Array.from({ length: 20 }, (_, i) => `second-${i}`);
    const secondResults = await phase(taskQueue, second);
    const picked = second.filter((c) => choices.has(c));
    // Every pick of the second phase saw plain convert and emoji not: emoji, thin, keeps its floor.
    const first2 = choices.get(picked[0])!;
    expect(first2.shares.emoji).toBeCloseTo(0.1, 10);
    expect(first2.shares.plain).toBeCloseTo(0.9, 10);
    for (const id of picked) expect(choices.get(id)!.shares.emoji).toBeGreaterThanOrEqual(0.1 - 1e-12);
    const toPlain = secondResults.filter((r) => r.splits.subject === 'plain').length;
    expect(toPlain / picked.length).toBeGreaterThan(0.7);
    for (const [i, result] of secondResults.entries()) {
      expect(result.splits.subject === HOLDOUT).toBe(assignSplit(definition.steps[0] as never, JOURNEY, second[i]) === HOLDOUT);
    }
  });
}, 300_000);

test('when a run has sent its last message with the window open, then it stays open and waiting until the window closes, and completes then', async () => {
  const { worker, taskQueue } = await journeyWorker(env, activities);
  await worker.runUntil(async () => {
    // A customer the hash keeps out of the holdout.
    const customerId = Array.from({ length: 50 }, (_, i) => `open-${i}`).find((c) => assignSplit(definition.steps[0] as never, JOURNEY, c) !== HOLDOUT)!;
    const handle = await start(taskQueue, customerId);
    const listening = await stateWhen(handle, (s) => s.status === 'waiting');
    expect(listening.currentStep).toBeUndefined();
    expect(listening.waitingFor).toEqual({ event: 'purchase' });
    expect(listening.path).toEqual(['subject', `send-${listening.splits.subject}`]);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect((await handle.describe()).typedSearchAttributes.get(SA_OPTIMIZE)).toEqual([`subject:*:${listening.splits.subject}:entered`]);

    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(result.trials!.subject).toMatchObject({ settled: true, until: listening.waitingUntil });
    expect(result.trials!.subject.converted).toBeUndefined();
    const path = listening.splits.subject;
    expect((await handle.describe()).typedSearchAttributes.get(SA_OPTIMIZE)).toEqual([`subject:*:${path}:entered`, `subject:*:${path}:settled`]);
  });
});

test('when a listening run hears the goal or a stop, then it ends at once: converted, or with its trial unsettled', async () => {
  const { worker, taskQueue } = await journeyWorker(env, activities);
  await worker.runUntil(async () => {
    const [buyer, stopped] = Array.from({ length: 50 }, (_, i) => `late-${i}`).filter((c) => assignSplit(definition.steps[0] as never, JOURNEY, c) !== HOLDOUT);
    const buying = await start(taskQueue, buyer);
    await stateWhen(buying, (s) => s.status === 'waiting');
    await buying.signal(customerEventSignal, { id: `late-buy-${buyer}`, name: 'purchase', timestamp: new Date().toISOString() });
    const bought = await buying.result();
    expect(bought.status).toBe('completed');
    expect(bought.trials!.subject.converted?.eventId).toBe(`late-buy-${buyer}`);
    const path = bought.splits.subject;
    expect((await buying.describe()).typedSearchAttributes.get(SA_OPTIMIZE)).toEqual([`subject:*:${path}:entered`, `subject:*:${path}:settled`, `subject:*:${path}:converted`]);

    const stopping = await start(taskQueue, stopped);
    await stateWhen(stopping, (s) => s.status === 'waiting');
    await stopping.signal(stopSignal, {});
    const result = await stopping.result();
    expect(result.trials!.subject.settled).toBeUndefined();
    const attributes = (await stopping.describe()).typedSearchAttributes.get(SA_OPTIMIZE);
    expect(attributes).toEqual([`subject:*:${result.splits.subject}:entered`]);
  });
});

test('when many customers reach the split at once, then the optimizer counts the evidence once per split and context', async () => {
  let counts = 0;
  const cached = createOptimizeActivities({
    countTrials: async () => {
      counts += 1;
      return 0;
    },
    evaluateBranch: async (input) => (input.customerId.startsWith('vip') ? 0 : -1),
  });
  const input = { journeyId: 'cache', stepId: 's', paths: ['a', 'b', 'c'], minShare: 0.1, segments: ['vips'] };
  const picks = await Promise.all(Array.from({ length: 200 }, (_, i) => cached.chooseSplitPath({ ...input, customerId: i % 2 ? `vip-${i}` : `c-${i}` })));
  // Two contexts, three paths, two counts each.
  expect(counts).toBe(12);
  expect(new Set(picks.map((p) => p.context))).toEqual(new Set(['vips', 'everyone']));
  expect(new Set(picks.map((p) => p.path))).toEqual(new Set(['a', 'b', 'c']));
});
