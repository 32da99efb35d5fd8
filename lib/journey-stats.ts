// Per-journey and per-step numbers. Where runs are and have been comes from Temporal's
// visibility: the search attributes a run starts with (its first step) and upserts when it
// begins to wait and when it ends, not on every step. Steps a run passes between two waits
// (sends, branches, splits) are counted once it next waits or ends, and until then the run
// shows the step where it last waited. What was sent comes from the delivery ledger, per send.
// Visibility lags the runs by up to a second or so on a real cluster. Runs of erased customers,
// deleted from Temporal, are counted from what erasure kept of them (db/erased-runs.ts).
import type { Client } from '@temporalio/client';
import { SA_CONVERTED, SA_JOURNEY, SA_OPTIMIZE, SA_SPLITS, SA_STATUS, SA_STEP, SA_VISITED } from '../core/journey-contract';
import type { CodeJourneyType } from '../core/code-journey-type';
import type { SplitOptimize, Step } from '../core/journey-definition';
import { failureCode } from '../core/send-explanation';
import { HOLDOUT } from '../core/split';
import type { Models } from '../db/models';
import { providerStatusCounts } from '../db/delivery-reports';
import { readErasedRuns } from '../db/erased-runs';
import { type OptimizeStats, splitOptimizeStats } from './split-optimize-stats';

export interface StepStats {
  /** Customers who reached the step (those on their way through it once they next wait or end). */
  entered: number;
  /**
   * Customers held on the step right now: waiting on it, or a send deferred or paused there,
   * and runs on their way from it to the next wait.
   */
  now: number;
  /** Ledger outcomes of the step's sends: sent, skipped, failed, and `skipped:<reason>`, `failed:<reason>`. */
  deliveries?: Record<string, number>;
  /** Sent messages per channel they went out on; `fallbacks`: those sent on the step's fallback. */
  byChannelUsed?: Record<string, number>;
  fallbacks?: number;
  /** What the provider last reported for the step's sent messages (SMS: delivered, undelivered...). */
  provider?: Record<string, number>;
}

export interface JourneyStats {
  journeyId: string;
  entered: number;
  running: number;
  waiting: number;
  completed: number;
  exited: number;
  stopped: number;
  converted: number;
  steps: Record<string, StepStats>;
  /** Split step → path → customers assigned. */
  splits: Record<string, Record<string, number>>;
  /** Optimizing split step → its paths' conversions and chances of being best (lib/split-optimize-stats.ts). */
  optimize?: Record<string, OptimizeStats>;
}

export type JourneyStatsReader = ReturnType<typeof createJourneyStats>;

/** The interpreter's workflow type: JSON journeys' runs. */
export const JOURNEY_WORKFLOW_TYPE = 'journeyWorkflow';

/** A step as stats count it: its ID, and a split's path names (with the holdout's). */
export interface StatsStep {
  id: string;
  splitPaths?: string[];
  /** An optimizing split's settings. */
  optimize?: SplitOptimize;
}

/** Which runs are the journey's (by workflow type: a JSON journey's or a code-first type's) and their steps. */
export interface StatsShape {
  workflowType: string;
  steps: StatsStep[];
}

export function statsStep(step: Step): StatsStep {
  if (step.type !== 'split') return { id: step.id };
  return { id: step.id, splitPaths: [...step.paths.map((p) => p.name), ...(step.holdout ? [HOLDOUT] : [])], ...(step.optimize ? { optimize: step.optimize } : {}) };
}

/** A code-first type's declared steps, its splits with their paths. */
export function codeJourneySteps(type: Pick<CodeJourneyType, 'steps' | 'splits'>): StatsStep[] {
  return type.steps.map((id) => {
    const split = type.splits?.[id];
    if (!split) return { id };
    return { id, splitPaths: [...split.paths.map((p) => p.name), ...(split.holdout ? [HOLDOUT] : [])], ...(split.optimize ? { optimize: split.optimize } : {}) };
  });
}

export function createJourneyStats(client: Client, models: Pick<Models, 'deliveries' | 'deliveryReports' | 'erasedRuns'>) {
  return async function journeyStats(journeyId: string, shape: StatsShape): Promise<JourneyStats> {
    // IDs and workflow type names match ID_PATTERN or are identifiers: safe inside the query.
    const base = `WorkflowType = "${shape.workflowType}" AND ${SA_JOURNEY.name} = "${journeyId}"`;
    const count = async (filter?: string) => (await client.workflow.count(filter ? `${base} AND ${filter}` : base)).count;
    const status = (value: string) => count(`${SA_STATUS.name} = "${value}"`);

    const erased = await readErasedRuns(models.erasedRuns, journeyId);
    const ended = async (value: string) => (await status(value)) + (erased.status[value] ?? 0);
    const [entered, running, waiting, completed, exited, stopped, converted, deliveries, provider] = await Promise.all([
      count().then((n) => n + erased.entered),
      status('running'),
      status('waiting'),
      ended('completed'),
      ended('exited'),
      ended('stopped'),
      count(`${SA_CONVERTED.name} = true`).then((n) => n + erased.converted),
      deliveryCounts(models, journeyId),
      providerStatusCounts(models.deliveryReports, journeyId),
    ]);
    const steps: Record<string, StepStats> = {};
    const splits: Record<string, Record<string, number>> = {};
    const optimize: Record<string, OptimizeStats> = {};
    const trialCount = async (value: string) => (await count(`${SA_OPTIMIZE.name} = "${value}"`)) + (erased.optimize[value] ?? 0);
    await Promise.all(
      shape.steps.map(async (step) => {
        const [stepEntered, now] = await Promise.all([
          count(`${SA_VISITED.name} = "${step.id}"`),
          count(`${SA_STEP.name} = "${step.id}" AND ExecutionStatus = "Running"`),
        ]);
        steps[step.id] = {
          entered: stepEntered + (erased.visited[step.id] ?? 0),
          now,
          ...deliveries[step.id],
          ...(provider[step.id] ? { provider: provider[step.id] } : {}),
        };
        if (step.splitPaths) {
          const paths = step.splitPaths;
          const counts = await Promise.all(paths.map((path) => count(`${SA_SPLITS.name} = "${step.id}:${path}"`)));
          splits[step.id] = Object.fromEntries(paths.map((path, i) => [path, counts[i] + (erased.splits[`${step.id}:${path}`] ?? 0)]));
        }
        if (step.optimize && step.splitPaths) {
          optimize[step.id] = await splitOptimizeStats(trialCount, step.id, step.optimize, step.splitPaths.filter((p) => p !== HOLDOUT));
        }
      }),
    );
    return { journeyId, entered, running, waiting, completed, exited, stopped, converted, steps, splits, ...(Object.keys(optimize).length > 0 ? { optimize } : {}) };
  };
}

/**
 * Ledger outcomes per step: { stepId: { deliveries: { sent: n, skipped: n, 'skipped:unreachable': n, failed: n,
 * 'failed:ChannelPermanentRejection': n, ... },
 * byChannelUsed: { web: n }, fallbacks: n } }. A row's `channel` is the one used once sent;
 * `plannedChannel` is the step's (rows written before it was kept count as planned).
 */
async function deliveryCounts(models: Pick<Models, 'deliveries'>, journeyId: string) {
  const rows = await models.deliveries.aggregate<{
    _id: { stepId: string; state: string; reason?: string; failureType?: string; channel: string; planned?: string };
    n: number;
  }>([
    { $match: { journeyId } },
    {
      $group: {
        _id: { stepId: '$stepId', state: '$state', reason: '$reason', failureType: '$failureType', channel: '$channel', planned: '$plannedChannel' },
        n: { $sum: 1 },
      },
    },
  ]);
  const out: Record<string, Pick<StepStats, 'deliveries' | 'byChannelUsed' | 'fallbacks'>> = {};
  const add = (counts: Record<string, number>, key: string, n: number) => (counts[key] = (counts[key] ?? 0) + n);
  for (const { _id, n } of rows) {
    const step = (out[_id.stepId] ??= { deliveries: {} });
    add(step.deliveries!, _id.state, n);
    if (_id.state === 'skipped' && _id.reason) add(step.deliveries!, `skipped:${_id.reason}`, n);
    // A failure's reason is the provider's or renderer's words: counted by its code instead.
    const failure = _id.state === 'failed' ? failureCode(_id) : undefined;
    if (failure) add(step.deliveries!, `failed:${failure}`, n);
    if (_id.state !== 'sent') continue;
    add((step.byChannelUsed ??= {}), _id.channel, n);
    if (_id.planned && _id.planned !== _id.channel) step.fallbacks = (step.fallbacks ?? 0) + n;
  }
  return out;
}
