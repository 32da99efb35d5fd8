import type { SegmentRule } from '../core/segment-rules';
import { InvalidStoredRule, storedRule, type SegmentDoc } from '../db/segment-model';
import { conflict } from './errors';

/**
 * The segment's rule, to query by; a stored rule that no longer validates (written past the API,
 * or under an older rule language) is a 409 that says to save the segment again.
 */
export function queryableRule(segment: SegmentDoc, before: string): SegmentRule {
  try {
    return storedRule(segment);
  } catch (err) {
    if (!(err instanceof InvalidStoredRule)) throw err;
    throw conflict(`${err.message}: save the segment again before ${before}`);
  }
}
