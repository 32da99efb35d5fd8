// Segment membership for journeys (the branch step): the segment and the customer are read by
// `_id` and the rule evaluated in memory, the same rule the API previews against MongoDB.
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../core/failures';
import type { BranchCondition } from '../core/journey-steps';
import { matchesSegment } from '../core/segment-match';
import type { SegmentRule } from '../core/segment-rules';
import type { CustomerReader } from '../db/customer-reader';
import { InvalidStoredRule, SegmentModels, storedRule } from '../db/segment-model';

export interface SegmentActivityDeps extends Pick<SegmentModels, 'segments'> {
  customer: CustomerReader;
  /** The clock that rule windows ("within 7d") count back from (a simulation's: simulated time). */
  now?: () => Date;
  /** Where a branch case naming a deleted segment is reported; by default the activity's log. */
  warn?: (message: string, meta: Record<string, unknown>) => void;
}

export function createSegmentActivities(deps: SegmentActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const warn = deps.warn ?? ((message, meta) => log.warn(message, meta));
  /** A saved segment's rule, undefined (and reported) when it was deleted; an invalid rule fails without retry. */
  async function segmentRule(segmentId: string): Promise<SegmentRule | undefined> {
    const segment = await deps.segments.findById(segmentId).lean();
    if (!segment) {
      warn(`segment "${segmentId}" does not exist: the branch case naming it does not hold`, { segmentId });
      return undefined;
    }
    try {
      return storedRule(segment);
    } catch (err) {
      if (!(err instanceof InvalidStoredRule)) throw err;
      throw ApplicationFailure.create({ message: err.message, type: FailureType.SegmentRuleInvalid, nonRetryable: true });
    }
  }

  return {
    /**
     * A branch step's decision (and the code-first kit's inSegment): the index of the first case
     * whose condition holds for the customer now (segment membership or an inline rule), or -1
     * for the default path. A customer that no longer exists is in no segment. A case whose
     * segment was deleted does not hold, and the cases after it are still asked: the warning
     * (with the run's workflow ID, from the activity's log) says why the customer went on.
     */
    async evaluateBranch(input: { customerId: string; cases: BranchCondition[] }): Promise<number> {
      const customer = await deps.customer(input.customerId);
      const at = now();
      for (const [index, condition] of input.cases.entries()) {
        const rule = 'segment' in condition ? await segmentRule(condition.segment) : condition.rule;
        if (rule && customer && matchesSegment(rule, customer, at)) return index;
      }
      return -1;
    },
  };
}

export type SegmentActivities = ReturnType<typeof createSegmentActivities>;
