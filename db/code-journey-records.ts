// Code-first types as journeys: each registered type has a record in `journeys` (kind "code",
// version 1), so pause, resume, stop, stop-entries, archive, live entry, lists and the send
// activity's pause and stop checks treat it as any journey. Written at worker and API start
// (either may start first), idempotent; flags set through the API stay as they are.
import { CODE_JOURNEYS, type CodeJourneyType } from '../core/code-journeys';
import { logger } from '../lib/logger';
import { isDuplicateKey } from './duplicate-key';
import type { Models } from './models';

export interface Registration {
  registered: string[];
  /** Type IDs a JSON journey already holds: not registered, so their launches are refused. */
  taken: string[];
}

export async function registerCodeJourneys(
  models: Pick<Models, 'journeys'>,
  types: readonly CodeJourneyType[] = Object.values(CODE_JOURNEYS),
): Promise<Registration> {
  const out: Registration = { registered: [], taken: [] };
  for (const type of types) {
    try {
      // Event names are added, never removed: runs of an older build may still listen for one.
      await models.journeys.updateOne(
        { _id: type.id, kind: 'code' },
        { $setOnInsert: { version: 1 }, $addToSet: { listensTo: { $each: [...type.listensTo] } } },
        { upsert: true },
      );
      out.registered.push(type.id);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      out.taken.push(type.id);
      logger.error({ journeyId: type.id }, `code-first type "${type.id}" is not registered: a JSON journey has that ID (rename one of them)`);
    }
  }
  return out;
}
