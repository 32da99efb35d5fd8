// The optimizing split's pick (workflows/steps/split.ts): the customer's context (the first of
// the split's segments they are in), each path's evidence in that context, counted in Temporal's
// visibility from the runs' CairnOptimize values, and a draw by the allocation shares. The draw
// happens here, so the workflow only replays the recorded answer.
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { allocationShares, EVERYONE, type PathEvidence, pickByShare, trialValue } from '../core/split-optimize';
import type { SegmentActivities } from './segments';

export interface ChooseSplitInput {
  journeyId: string;
  stepId: string;
  customerId: string;
  paths: string[];
  minShare: number;
  segments?: string[];
}

export interface SplitChoice {
  path: string;
  context: string;
  /** Path → the share of customers it was getting when this one was drawn. */
  shares: Record<string, number>;
}

export interface OptimizeDeps {
  /** How many of the journey's runs hold the CairnOptimize value. */
  countTrials: (journeyId: string, value: string) => Promise<number>;
  evaluateBranch: SegmentActivities['evaluateBranch'];
  random?: () => number;
  /** How long counted evidence is reused for the same (journey, step, context, paths). */
  evidenceTtlMs?: number;
  now?: () => number;
  warn?: (message: string, meta: Record<string, unknown>) => void;
}

/**
 * Evidence is counted once per five seconds per split and context, not per customer: a launch
 * of thousands asks visibility a few times, and a pick on five-second-old counts is as good.
 */
export const EVIDENCE_TTL_MS = 5_000;

/** Each path's settled trials and conversions in a context, from 2 counts per path. */
export async function pathEvidence(
  countTrials: OptimizeDeps['countTrials'],
  journeyId: string,
  stepId: string,
  context: string,
  paths: readonly string[],
): Promise<PathEvidence[]> {
  return Promise.all(
    paths.map(async (path) => {
      const [settled, conversions] = await Promise.all([
        countTrials(journeyId, trialValue(stepId, context, path, 'settled')),
        countTrials(journeyId, trialValue(stepId, context, path, 'converted')),
      ]);
      return { settled, conversions };
    }),
  );
}

export function createOptimizeActivities(deps: OptimizeDeps) {
  const random = deps.random ?? Math.random;
  const ttl = deps.evidenceTtlMs ?? EVIDENCE_TTL_MS;
  const now = deps.now ?? Date.now;
  const warn = deps.warn ?? ((message, meta) => log.warn(message, meta));
  const cache = new Map<string, { at: number; shares: Promise<number[]> }>();

  /** The allocation shares of the split's paths in a context: counted and worked out once per TTL. */
  function sharesOf(input: ChooseSplitInput, context: string): Promise<number[]> {
    const key = JSON.stringify([input.journeyId, input.stepId, context, input.paths, input.minShare]);
    const at = now();
    const cached = cache.get(key);
    if (cached && at - cached.at < ttl) return cached.shares;
    for (const [k, entry] of cache) if (at - entry.at >= ttl) cache.delete(k);
    // Concurrent picks share one count; a failed count is not kept.
    const shares = pathEvidence(deps.countTrials, input.journeyId, input.stepId, context, input.paths).then((evidence) => allocationShares(evidence, input.minShare));
    cache.set(key, { at, shares });
    shares.catch(() => cache.delete(key));
    return shares;
  }

  async function contextOf(input: ChooseSplitInput): Promise<string> {
    if (!input.segments?.length) return EVERYONE;
    try {
      const index = await deps.evaluateBranch({ customerId: input.customerId, cases: input.segments.map((segment) => ({ segment })) });
      return index >= 0 ? input.segments[index] : EVERYONE;
    } catch (err) {
      // A stored rule that cannot be evaluated: the customer learns with everyone else.
      if (err instanceof ApplicationFailure && err.nonRetryable) return EVERYONE;
      throw err;
    }
  }

  return {
    /**
     * The path for the customer, the context whose evidence chose it, and the shares it was drawn
     * by (kept in the run's history: why this customer got this path). When visibility cannot
     * be counted, every path is as good as unknown (equal shares): the customer goes on rather
     * than waiting on visibility, and the warning says why.
     */
    async chooseSplitPath(input: ChooseSplitInput): Promise<SplitChoice> {
      const context = await contextOf(input);
      let shares: number[];
      try {
        shares = await sharesOf(input, context);
      } catch (err) {
        warn(`could not count the split's evidence: its paths get equal shares (${(err as Error).message})`, { journeyId: input.journeyId, stepId: input.stepId });
        shares = input.paths.map(() => 1 / input.paths.length);
      }
      return { path: input.paths[pickByShare(shares, random())], context, shares: Object.fromEntries(input.paths.map((p, k) => [p, shares[k]])) };
    },
  };
}

export type OptimizeActivities = ReturnType<typeof createOptimizeActivities>;
