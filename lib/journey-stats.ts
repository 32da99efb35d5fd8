// Per-journey and per-step numbers. Where runs are and have been comes from Temporal's
// visibility: the search attributes a run starts with (its first step) and upserts when it
// begins to wait and when it ends, not on every step. Steps a run passes between two waits
// (sends, branches, splits) are counted once it next waits or ends, and until then the run
// shows the step where it last waited. What was sent comes from the delivery ledger, per send.
// Visibility lags the runs by up to a second or so on a real cluster. Runs of erased customers,
// deleted from Temporal, are counted from what erasure kept of them (db/erased-runs.ts).
// For a segment's members the same numbers are tallied from a listing of their runs
// (core/run-questions.ts answers each question both ways), as visibility cannot filter by segment.
import type { Client } from '@temporalio/client';
import { SA_CUSTOMER, SA_JOURNEY } from '../core/journey-contract';
import { answers, type RunAttributes, type RunQuestion, runAttributes, visibilityFilter } from '../core/run-questions';
import type { SegmentFilter } from '../core/segment-filter';
import type { CodeJourneyType } from '../core/code-journey-type';
import type { SplitOptimize, Step } from '../core/journey-definition';
import { failureCode } from '../core/send-explanation';
import { HOLDOUT } from '../core/split';
import type { Models } from '../db/models';
import { providerStatusCounts } from '../db/delivery-reports';
import { type ErasedRunCounts, readErasedRuns } from '../db/erased-runs';
import { MEMBER_CHUNK, membersAmong } from '../db/segment-members';
import { chunksOf, limitedTo, runLimited } from './concurrency';
import { entriesOfJourney } from './customer-runs';
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
  /** Sent messages opened, and clicked, at least once (lib/engagement-events.ts); rates over sent messages. */
  opened?: number;
  clicked?: number;
  openRate?: number;
  clickRate?: number;
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

/** Journey stats, with the segment's current members among the journey's customers. */
export interface SegmentStats {
  stats: JourneyStats;
  /** How many of the journey's customers the segment holds now. */
  members: number;
}

/** Counts the runs a question asks for: over visibility, or over a listed set of runs. */
type RunCounter = (question: RunQuestion) => Promise<number>;

/** What a journey's numbers add besides its runs in Temporal: erased runs' kept numbers, and the ledger's. */
interface Kept {
  erased: ErasedRunCounts;
  deliveries: Record<string, LedgerStepStats>;
  provider: Record<string, Record<string, number>>;
}

const NO_ERASED: ErasedRunCounts = { entered: 0, converted: 0, status: {}, visited: {}, splits: {}, optimize: {} };

type StatsModels = Pick<Models, 'deliveries' | 'deliveryReports' | 'erasedRuns' | 'customers' | 'journeyEntries'>;

/** Customer IDs per visibility listing of their runs (`CairnCustomerId IN (...)`): a short query. */
const LISTED_CUSTOMERS = 200;
/**
 * Above this many members, one listing of all the journey's runs costs fewer round trips than a
 * listing per LISTED_CUSTOMERS members.
 */
export const LIST_ALL_RUNS_ABOVE = 10 * LISTED_CUSTOMERS;

/** The visibility counts one stats request asks at a time. */
const COUNTS_AT_ONCE = 8;

export function createJourneyStats(client: Client, models: StatsModels, options: { listAllRunsAbove?: number } = {}) {
  const listAllRunsAbove = options.listAllRunsAbove ?? LIST_ALL_RUNS_ABOVE;
  // IDs and workflow type names match ID_PATTERN or are identifiers: safe inside the query.
  const runsOf = (journeyId: string, shape: StatsShape) => `WorkflowType = "${shape.workflowType}" AND ${SA_JOURNEY.name} = "${journeyId}"`;

  /**
   * Every run of the journey, one visibility count per number: a few per step and split path, and
   * 3 per path and segment of an optimizing split, so at most COUNTS_AT_ONCE are asked at a time.
   */
  async function journeyStats(journeyId: string, shape: StatsShape): Promise<JourneyStats> {
    const base = runsOf(journeyId, shape);
    const limit = limitedTo(COUNTS_AT_ONCE);
    const count: RunCounter = (question) =>
      limit(async () => {
        const filter = visibilityFilter(question);
        return (await client.workflow.count(filter ? `${base} AND ${filter}` : base)).count;
      });
    const [erased, deliveries, provider] = await Promise.all([
      readErasedRuns(models.erasedRuns, journeyId),
      deliveryCounts(models, journeyId),
      providerStatusCounts(models.deliveryReports, journeyId),
    ]);
    return tally(journeyId, shape, count, { erased, deliveries, provider });
  }

  /** The runs visibility lists for the query, with their search attributes. */
  async function listRuns(query: string): Promise<RunAttributes[]> {
    const runs: RunAttributes[] = [];
    for await (const info of client.workflow.list({ query })) runs.push(runAttributes(info));
    return runs;
  }

  /**
   * The same numbers for the runs of the segment's members now (`filter`: its rule compiled at
   * the request). The journey's customers come from the entry registry (in the store, strongly
   * consistent), the members among them from one query per MEMBER_CHUNK, and then only the
   * members' runs from visibility, so a small segment of a large journey lists few runs; many
   * members list the journey's runs once instead. Erased customers are no segment's members.
   */
  async function segmentStats(journeyId: string, shape: StatsShape, filter: SegmentFilter): Promise<SegmentStats> {
    const entries = await models.journeyEntries.find(entriesOfJourney(journeyId), { _id: 1 }).lean();
    const members = await membersAmong(models.customers, filter, entries.map((e) => e._id.slice(journeyId.length + 1)));
    const base = runsOf(journeyId, shape);
    let theirs: RunAttributes[];
    if (members.size > listAllRunsAbove) {
      theirs = (await listRuns(base)).filter((r) => r.customerId !== undefined && members.has(r.customerId));
    } else {
      theirs = [];
      const queries = chunksOf([...members], LISTED_CUSTOMERS).map((chunk) => `${base} AND ${SA_CUSTOMER.name} IN (${chunk.map((c) => `"${c}"`).join(', ')})`);
      await runLimited(4, queries.map((query) => async () => void theirs.push(...(await listRuns(query)))));
    }
    const count: RunCounter = async (question) => theirs.filter((run) => answers(run, question)).length;
    const [deliveries, provider] = await Promise.all([
      deliveryCounts(models, journeyId, [...members]),
      providerStatusCounts(models.deliveryReports, journeyId, members),
    ]);
    return { stats: await tally(journeyId, shape, count, { erased: NO_ERASED, deliveries, provider }), members: members.size };
  }

  return { journeyStats, segmentStats };
}

/** The journey's and each step's numbers, from the runs a counter counts and what is kept beside them. */
async function tally(journeyId: string, shape: StatsShape, count: RunCounter, kept: Kept): Promise<JourneyStats> {
  const { erased, deliveries, provider } = kept;
  const ended = async (status: string) => (await count({ status })) + (erased.status[status] ?? 0);
  const [entered, running, waiting, completed, exited, stopped, converted] = await Promise.all([
    count({}).then((n) => n + erased.entered),
    count({ status: 'running' }),
    count({ status: 'waiting' }),
    ended('completed'),
    ended('exited'),
    ended('stopped'),
    count({ converted: true }).then((n) => n + erased.converted),
  ]);
  const steps: Record<string, StepStats> = {};
  const splits: Record<string, Record<string, number>> = {};
  const optimize: Record<string, OptimizeStats> = {};
  const trialCount = async (value: string) => (await count({ optimize: value })) + (erased.optimize[value] ?? 0);
  await Promise.all(
    shape.steps.map(async (step) => {
      const [stepEntered, now] = await Promise.all([count({ visited: step.id }), count({ on: step.id })]);
      steps[step.id] = {
        entered: stepEntered + (erased.visited[step.id] ?? 0),
        now,
        ...deliveries[step.id],
        ...(provider[step.id] ? { provider: provider[step.id] } : {}),
      };
      if (step.splitPaths) {
        const paths = step.splitPaths;
        const counts = await Promise.all(paths.map((path) => count({ split: `${step.id}:${path}` })));
        splits[step.id] = Object.fromEntries(paths.map((path, i) => [path, counts[i] + (erased.splits[`${step.id}:${path}`] ?? 0)]));
      }
      if (step.optimize && step.splitPaths) {
        optimize[step.id] = await splitOptimizeStats(trialCount, step.id, step.optimize, step.splitPaths.filter((p) => p !== HOLDOUT));
      }
    }),
  );
  return { journeyId, entered, running, waiting, completed, exited, stopped, converted, steps, splits, ...(Object.keys(optimize).length > 0 ? { optimize } : {}) };
}

/** The ledger filters for a journey's sends: with `customers`, one per chunk of them (their groups never overlap, so they sum). */
function ledgerMatches(journeyId: string, customers?: string[]): object[] {
  return customers ? chunksOf(customers, MEMBER_CHUNK).map((chunk) => ({ journeyId, customerId: { $in: chunk } })) : [{ journeyId }];
}

/**
 * Ledger outcomes per step: { stepId: { deliveries: { sent: n, skipped: n, 'skipped:unreachable': n, failed: n,
 * 'failed:ChannelPermanentRejection': n, ... },
 * byChannelUsed: { web: n }, fallbacks: n } }. A row's `channel` is the one used once sent;
 * `plannedChannel` is the step's (rows written before it was kept count as planned). A step
 * that sent also has its opens and clicks (sent rows with a first `openedAt`, `clickedAt`) and
 * their rates. With `customers`, only their sends.
 */
async function deliveryCounts(models: Pick<Models, 'deliveries'>, journeyId: string, customers?: string[]) {
  const matches = ledgerMatches(journeyId, customers);
  const chunkRows = await Promise.all(
    matches.map((match) =>
      models.deliveries.aggregate<{
        _id: { stepId: string; state: string; reason?: string; failureType?: string; channel: string; planned?: string };
        n: number;
        opened: number;
        clicked: number;
      }>([
        { $match: match },
        {
          $group: {
            _id: { stepId: '$stepId', state: '$state', reason: '$reason', failureType: '$failureType', channel: '$channel', planned: '$plannedChannel' },
            n: { $sum: 1 },
            opened: { $sum: { $cond: [{ $ifNull: ['$openedAt', false] }, 1, 0] } },
            clicked: { $sum: { $cond: [{ $ifNull: ['$clickedAt', false] }, 1, 0] } },
          },
        },
      ]),
    ),
  );
  const rows = chunkRows.flat();
  const out: Record<string, LedgerStepStats> = {};
  const engaged: Record<string, { opened: number; clicked: number }> = {};
  const add = (counts: Record<string, number>, key: string, n: number) => (counts[key] = (counts[key] ?? 0) + n);
  for (const { _id, n, opened, clicked } of rows) {
    const step = (out[_id.stepId] ??= { deliveries: {} });
    add(step.deliveries!, _id.state, n);
    if (_id.state === 'skipped' && _id.reason) add(step.deliveries!, `skipped:${_id.reason}`, n);
    // A failure's reason is the provider's or renderer's words: counted by its code instead.
    const failure = _id.state === 'failed' ? failureCode(_id) : undefined;
    if (failure) add(step.deliveries!, `failed:${failure}`, n);
    if (_id.state !== 'sent') continue;
    add((step.byChannelUsed ??= {}), _id.channel, n);
    if (_id.planned && _id.planned !== _id.channel) step.fallbacks = (step.fallbacks ?? 0) + n;
    add((engaged[_id.stepId] ??= { opened: 0, clicked: 0 }), 'opened', opened);
    add(engaged[_id.stepId], 'clicked', clicked);
  }
  for (const [stepId, step] of Object.entries(out)) Object.assign(step, engagementRates(step.deliveries?.sent ?? 0, engaged[stepId]));
  return out;
}

type LedgerStepStats = Pick<StepStats, 'deliveries' | 'byChannelUsed' | 'fallbacks' | 'opened' | 'clicked' | 'openRate' | 'clickRate'>;

/** A step that sent messages: its opens and clicks, and their rates over the sent (four decimals). */
function engagementRates(sent: number, engaged: { opened: number; clicked: number } | undefined): Pick<StepStats, 'opened' | 'clicked' | 'openRate' | 'clickRate'> {
  if (sent === 0) return {};
  const { opened, clicked } = engaged ?? { opened: 0, clicked: 0 };
  const rate = (n: number) => Math.round((n / sent) * 10_000) / 10_000;
  return { opened, clicked, openRate: rate(opened), clickRate: rate(clicked) };
}
