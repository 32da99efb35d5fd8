// Segment membership for journeys (the branch step): the segment and the customer are read by
// `_id` and the rule evaluated in memory, the same rule the API previews against MongoDB.
import { ApplicationFailure } from '@temporalio/common';
import { matchesSegment } from '../core/segment-match';
import { InvalidStoredRule, SegmentModels, storedRule } from '../db/segment-model';

/** ApplicationFailure types of this activity; no retry can fix either. (To move to core/failures.ts.) */
export const SegmentFailureType = {
  /** The segment a step names does not exist. */
  SegmentNotFound: 'SegmentNotFound',
  /** The stored rule is not valid under the current rule language. */
  SegmentRuleInvalid: 'SegmentRuleInvalid',
} as const;

export interface SegmentActivityDeps extends SegmentModels {
  /** The clock that rule windows ("within 7d") count back from. */
  now?: () => Date;
}

export interface InSegmentInput {
  segmentId: string;
  customerId: string;
}

export function createSegmentActivities(deps: SegmentActivityDeps) {
  const now = deps.now ?? (() => new Date());
  return {
    /** Whether the customer is in the segment now. A customer that no longer exists is in none. */
    async inSegment(input: InSegmentInput): Promise<boolean> {
      const [segment, customer] = await Promise.all([
        deps.segments.findById(input.segmentId).lean(),
        deps.customers.findById(input.customerId).lean(),
      ]);
      if (!segment) {
        throw ApplicationFailure.create({
          message: `segment "${input.segmentId}" does not exist`,
          type: SegmentFailureType.SegmentNotFound,
          nonRetryable: true,
        });
      }
      let rule;
      try {
        rule = storedRule(segment);
      } catch (err) {
        if (!(err instanceof InvalidStoredRule)) throw err;
        throw ApplicationFailure.create({ message: err.message, type: SegmentFailureType.SegmentRuleInvalid, nonRetryable: true });
      }
      return customer ? matchesSegment(rule, customer, now()) : false;
    },
  };
}

export type SegmentActivities = ReturnType<typeof createSegmentActivities>;
