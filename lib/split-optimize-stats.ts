// The numbers of optimizing splits, counted in Temporal's visibility from the runs' CairnOptimize
// values (core/split-optimize.ts trialValue): per path, and per context when the split learns
// per segment. Journey stats (lib/journey-stats.ts) add them; the worker's optimizer counts the
// same values (activities/split-optimize.ts).
import type { Client } from '@temporalio/client';
import { SA_JOURNEY } from '../core/journey-contract';
import { visibilityFilter } from '../core/run-questions';
import type { SplitOptimize } from '../core/journey-definition';
import { EVERYONE, type PathEvidence, probabilityBest, trialValue, wilsonInterval } from '../core/split-optimize';

export interface OptimizePathStats {
  /** Customers the optimizer sent down the path. */
  entries: number;
  /** Their trials that converted or whose window closed. */
  settled: number;
  conversions: number;
  /** conversions / settled; null before any trial settled. */
  conversionRate: number | null;
  /** The rate's 95% Wilson score interval ([0, 1] before any trial settled). */
  interval: { low: number; high: number };
  /** The chance that the path converts best, from Beta(1 + conversions, 1 + failures) posteriors. */
  probabilityBest: number;
}

export interface OptimizeStats {
  goal: string;
  within: string;
  /** Path → its numbers over every context. */
  paths: Record<string, OptimizePathStats>;
  /** With `segments`: context (segment ID, or "everyone") → path → its numbers there. */
  bySegment?: Record<string, Record<string, OptimizePathStats>>;
}

/** How many runs hold a CairnOptimize value. */
export type TrialCount = (value: string) => Promise<number>;

/**
 * The worker's count for its optimizer: the journey's runs holding a value, asked as the stats'
 * run question (which leaves out the rows of runs that continued as new). IDs are safe inside the query.
 */
export function visibilityTrialCount(client: Client) {
  return async (journeyId: string, value: string): Promise<number> =>
    (await client.workflow.count(`${SA_JOURNEY.name} = "${journeyId}" AND ${visibilityFilter({ optimize: value })}`)).count;
}

type Counts = PathEvidence & { entries: number };

function pathStats(counts: readonly Counts[], paths: readonly string[]): Record<string, OptimizePathStats> {
  const best = probabilityBest(counts);
  return Object.fromEntries(
    paths.map((path, k) => {
      const { entries, settled, conversions } = counts[k];
      return [path, { entries, settled, conversions, conversionRate: settled > 0 ? conversions / settled : null, interval: wilsonInterval(conversions, settled), probabilityBest: best[k] }];
    }),
  );
}

/** An optimizing split's numbers: 3 counts per path and context. */
export async function splitOptimizeStats(count: TrialCount, stepId: string, optimize: SplitOptimize, paths: readonly string[]): Promise<OptimizeStats> {
  const contexts = [...(optimize.segments ?? []), EVERYONE];
  const byContext = await Promise.all(
    contexts.map((context) =>
      Promise.all(
        paths.map(async (path): Promise<Counts> => {
          const [entries, settled, conversions] = await Promise.all(
            (['entered', 'settled', 'converted'] as const).map((mark) => count(trialValue(stepId, context, path, mark))),
          );
          return { entries, settled, conversions };
        }),
      ),
    ),
  );
  const totals = paths.map((_, k) => ({
    entries: byContext.reduce((n, c) => n + c[k].entries, 0),
    settled: byContext.reduce((n, c) => n + c[k].settled, 0),
    conversions: byContext.reduce((n, c) => n + c[k].conversions, 0),
  }));
  return {
    goal: optimize.goal,
    within: optimize.within,
    paths: pathStats(totals, paths),
    ...(optimize.segments ? { bySegment: Object.fromEntries(contexts.map((context, i) => [context, pathStats(byContext[i], paths)])) } : {}),
  };
}
