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
 * An event is claimed by the request that stores it until it is fully applied. If that request
 * dies, a resend of the event finds the claim older than this and finishes the work; a resend
 * within this time is taken as a duplicate of work still under way.
 */
export const STALE_CLAIM_MS = 30_000;

const DUPLICATE_KEY = 11000;

/** What happens once an event is in the roll-ups: signals to journeys, journey entries. */
export type EventDispatch = (events: StoredEvent[]) => Promise<void>;

export interface StoredEvent {
  _id: string;
  customerId: string;
  name: string;
  timestamp: Date;
  properties?: Record<string, unknown>;
}

/**
 * Stores the events, folds them into the roll-ups, then dispatches them. Each event moves
 * pending → rolledUp → applied, so a resend after a crash redoes exactly the part not done.
 * When dispatch fails the error propagates (the client should retry) and the events are left
 * claimable at once, so the retry dispatches them.
 */
export async function ingestEvents(
  models: Pick<Models, 'events' | 'customers'>,
  incoming: IncomingEvent[],
  dispatch: EventDispatch = async () => undefined,
): Promise<IngestResult> {
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
  const fresh: StoredEvent[] = docs.filter((d) => !duplicateIds.has(d._id));
  const reclaimed = await reclaimStale(models, [...duplicateIds], now);
  const toRollUp = [...fresh, ...reclaimed.filter((e) => e.state === 'pending')];
  const toDispatch = [...fresh, ...reclaimed];
  const setEach = (events: StoredEvent[], update: object) => models.events.updateMany({ _id: { $in: events.map((e) => e._id) } }, update);

  await applyRollups(models, toRollUp);
  await setEach(toRollUp, { $set: { state: 'rolledUp' } });
  if (toDispatch.length === 0) return { accepted: 0, duplicates: duplicateIds.size };
  try {
    await dispatch(toDispatch);
  } catch (err) {
    await setEach(toDispatch, { $set: { claimedAt: new Date(0) } }).catch(() => undefined);
    throw err;
  }
  await setEach(toDispatch, { $set: { state: 'applied' }, $unset: { claimedAt: '' } });
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

/** Duplicates whose first ingest died before it finished: claims them for this request. */
async function reclaimStale(models: Pick<Models, 'events'>, ids: string[], now: Date) {
  if (ids.length === 0) return [];
  const cutoff = now.getTime() - STALE_CLAIM_MS;
  const found = await Promise.all(ids.map((id) => models.events.findById(id).lean()));
  const stale = found.filter(
    (e): e is NonNullable<typeof e> => e !== null && e.state !== 'applied' && (e.claimedAt?.getTime() ?? 0) < cutoff,
  );
  const claimed = await Promise.all(
    stale.map((e) =>
      models.events.findOneAndUpdate({ _id: e._id, state: e.state, claimedAt: e.claimedAt }, { $set: { claimedAt: now } }).lean(),
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
    [...byCustomer].map(([customerId, update]) => ({
      updateOne: { filter: { _id: customerId }, update: { ...update, $setOnInsert: { attributes: {}, createdAt: new Date() }, $currentDate: { updatedAt: true } }, upsert: true },
    })),
    { ordered: false, timestamps: false },
  );
}

const earliest = (a: Date | undefined, b: Date) => (a && a < b ? a : b);
const latest = (a: Date | undefined, b: Date) => (a && a > b ? a : b);
