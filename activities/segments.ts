// Segment membership for journeys (the branch step): the segment and the customer are read by
// `_id` and the rule evaluated in memory, the same rule the API previews against MongoDB.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../core/failures';
import { matchesSegment } from '../core/segment-match';
import { InvalidStoredRule, SegmentModels, storedRule } from '../db/segment-model';

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
          type: FailureType.SegmentNotFound,
          nonRetryable: true,
        });
      }
      let rule;
      try {
        rule = storedRule(segment);
      } catch (err) {
        if (!(err instanceof InvalidStoredRule)) throw err;
        throw ApplicationFailure.create({ message: err.message, type: FailureType.SegmentRuleInvalid, nonRetryable: true });
      }
      return customer ? matchesSegment(rule, customer, now()) : false;
    },
  };
}

export type SegmentActivities = ReturnType<typeof createSegmentActivities>;
