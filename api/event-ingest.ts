// Event ingest: store each event once (keyed by the client's event ID) and fold it into the
// customer's roll-ups (count, first and last time per event name, last seen), so behavioural
// segment conditions read one customer document instead of scanning the event log.
import type { Models } from '../db/models';

export interface IncomingEvent {
  id: string;
  customerId: string;
  name: string;
  timestamp?: Date;
  properties?: Record<string, unknown>;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
}

/**
 * An event stays `pending` from its insert until its roll-up is written. If the process dies in
 * between, a resend of the event finds it pending with a claim older than this and applies the
 * roll-up itself; a resend within this time is taken as a duplicate of work still under way.
 */
export const STALE_CLAIM_MS = 30_000;

const DUPLICATE_KEY = 11000;

export async function ingestEvents(models: Pick<Models, 'events' | 'customers'>, incoming: IncomingEvent[]): Promise<IngestResult> {
  const now = new Date();
  const docs = incoming.map((e) => ({
    _id: e.id,
    customerId: e.customerId,
    name: e.name,
    timestamp: e.timestamp ?? now,
    properties: e.properties,
    state: 'pending' as const,
    claimedAt: now,
    receivedAt: now,
  }));

  const duplicateIds = await insertNew(models, docs);
  const fresh = docs.filter((d) => !duplicateIds.has(d._id));
  const reclaimed = await reclaimStale(models, [...duplicateIds], now);
  const toApply = [...fresh, ...reclaimed];
  await applyRollups(models, toApply);
  if (toApply.length > 0) {
    await models.events.updateMany({ _id: { $in: toApply.map((d) => d._id) } }, { $set: { state: 'applied' }, $unset: { claimedAt: '' } });
  }
  return { accepted: fresh.length, duplicates: duplicateIds.size };
}

/** Inserts every event whose ID is new; returns the IDs that were already stored. */
async function insertNew(models: Pick<Models, 'events'>, docs: { _id: string }[]): Promise<Set<string>> {
  const duplicates = new Set<string>();
  try {
    await models.events.insertMany(docs, { ordered: false, rawResult: true });
  } catch (err) {
    const writeErrors = (err as { writeErrors?: { code?: number; err?: { code?: number; index: number }; index?: number }[] }).writeErrors;
    if (!writeErrors) throw err;
    for (const we of writeErrors) {
      const code = we.code ?? we.err?.code;
      const index = we.index ?? we.err?.index;
      if (code !== DUPLICATE_KEY || index === undefined) throw err;
      duplicates.add(docs[index]._id);
    }
  }
  return duplicates;
}

/** Duplicates whose first ingest died before its roll-up: claims them for this request. */
async function reclaimStale(models: Pick<Models, 'events'>, ids: string[], now: Date) {
  if (ids.length === 0) return [];
  const stale = await models.events
    .find({ _id: { $in: ids }, state: 'pending', claimedAt: { $lt: new Date(now.getTime() - STALE_CLAIM_MS) } })
    .lean();
  const claimed = await Promise.all(
    stale.map((e) =>
      models.events.findOneAndUpdate({ _id: e._id, state: 'pending', claimedAt: e.claimedAt }, { $set: { claimedAt: now } }).lean(),
    ),
  );
  return stale.filter((_, i) => claimed[i] !== null);
}

/** One update per customer folds all of its events in: $inc the counts, $min/$max the times. */
async function applyRollups(models: Pick<Models, 'customers'>, events: { customerId: string; name: string; timestamp: Date }[]) {
  const byCustomer = new Map<string, { $inc: Record<string, number>; $min: Record<string, Date>; $max: Record<string, Date> }>();
  for (const e of events) {
    let update = byCustomer.get(e.customerId);
    if (!update) byCustomer.set(e.customerId, (update = { $inc: {}, $min: {}, $max: {} }));
    const base = `events.${e.name}`;
    update.$inc[`${base}.count`] = (update.$inc[`${base}.count`] ?? 0) + 1;
    update.$min[`${base}.first`] = earliest(update.$min[`${base}.first`], e.timestamp);
    update.$max[`${base}.last`] = latest(update.$max[`${base}.last`], e.timestamp);
    update.$max.lastSeenAt = latest(update.$max.lastSeenAt, e.timestamp);
  }
  if (byCustomer.size === 0) return;
  // An event for an unknown customer creates the customer, as identify would.
  await models.customers.bulkWrite(
    [...byCustomer].map(([customerId, update]) => ({ updateOne: { filter: { _id: customerId }, update, upsert: true } })),
    { ordered: false },
  );
}

const earliest = (a: Date | undefined, b: Date) => (a && a < b ? a : b);
const latest = (a: Date | undefined, b: Date) => (a && a > b ? a : b);
