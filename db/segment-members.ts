// Which of a known set of customers a segment holds now: the segment's filter (core/segment-filter.ts)
// over those customers' `_id`s, a chunk at a time, so each query stays small and selects by `_id`
// (an index) rather than running the rule over every customer stored.
import type { SegmentFilter } from '../core/segment-filter';
import { chunksOf, runLimited } from '../lib/concurrency';
import type { Models } from './models';

/** Customer IDs per `$in` query: large enough for few round trips, small enough for quick ones. */
export const MEMBER_CHUNK = 500;
const CONCURRENCY = 4;

/** Those of `customerIds` the filter selects now; customers no longer stored (erased) are in no segment. */
export async function membersAmong(customers: Models['customers'], filter: SegmentFilter, customerIds: Iterable<string>): Promise<Set<string>> {
  const members = new Set<string>();
  await runLimited(
    CONCURRENCY,
    chunksOf([...new Set(customerIds)], MEMBER_CHUNK).map((chunk) => async () => {
      const found = await customers.find({ _id: { $in: chunk }, $and: [filter] }, { _id: 1 }).lean<{ _id: string }[]>();
      for (const { _id } of found) members.add(_id);
    }),
  );
  return members;
}
