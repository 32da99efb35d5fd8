// The one update per customer that folds a batch of their events into the roll-ups on the
// customer document (count, first and last time per event name, last seen, and engagement by
// hour of week and channel: core/engagement.ts), so behavioural segment conditions and
// per-customer decisions read one document instead of scanning the event log.
//
// Each fold leaves a marker, `ingest.h<hour>.<batch>`, and only applies where that marker is
// absent: folding a batch again (the sweep finishing a batch whose request died) changes
// nothing. The marker's value says whether the customer's events in that batch had anything to
// dispatch (1) or not (0). Markers are kept until the sweep has passed their hour by two hours,
// then dropped by later folds of the same customer.
//
// The same update pushes the times of events that pass a kept series' filter into
// `windows.<key>` (core/event-windows.ts): newest first, at most WINDOW_CAP, none older than
// KEPT_WINDOW_MS when pushed; the customer's other series of the batch's event names drop their
// times older than that.
import { engagementChanges } from '../core/engagement';
import { KEPT_WINDOW_MS, WINDOW_CAP, whereMatches } from '../core/event-windows';
import { isDuplicateKey } from '../db/duplicate-key';
import type { CustomerDoc, Models } from '../db/models';
import type { KeptSeries, KeptSeriesIndex } from './event-windows';

export interface RollupEvent {
  customerId: string;
  name: string;
  timestamp: Date;
  properties?: Record<string, unknown>;
}

const HOUR_MS = 3_600_000;
/** How many hourly marker buckets before the prune line a fold clears (covers quiet customers' gaps). */
const PRUNED_BUCKETS = 3;

export const markerBucket = (receivedAt: Date) => `h${Math.floor(receivedAt.getTime() / HOUR_MS)}`;
export const markerPath = (batch: string, receivedAt: Date) => `ingest.${markerBucket(receivedAt)}.${batch}`;

/** The marker a customer document holds for a batch: 1, 0, or undefined when not folded. */
export function markerOf(customer: { ingest?: Record<string, Record<string, number>> }, batch: string, receivedAt: Date): number | undefined {
  return customer.ingest?.[markerBucket(receivedAt)]?.[batch];
}

/**
 * Folds each customer's events of the batch in, one update per customer, all in one bulk write.
 * `dispatching` holds the customers whose events have something to dispatch. `sweptThrough` is
 * the time the sweep has finished every batch before: markers well before it are dropped.
 */
export async function foldBatch(
  customers: Models['customers'],
  batch: { id: string; receivedAt: Date; sweptThrough: Date },
  events: RollupEvent[],
  dispatching: ReadonlySet<string>,
  kept: KeptSeriesIndex = new Map(),
): Promise<void> {
  const byCustomer = new Map<string, RollupEvent[]>();
  for (const e of events) byCustomer.set(e.customerId, [...(byCustomer.get(e.customerId) ?? []), e]);
  if (byCustomer.size === 0) return;
  const marker = markerPath(batch.id, batch.receivedAt);
  const pruneBelow = Math.floor(Math.min(batch.sweptThrough.getTime(), batch.receivedAt.getTime()) / HOUR_MS) - 2;
  const prune = Object.fromEntries(Array.from({ length: PRUNED_BUCKETS }, (_, i) => [`ingest.h${pruneBelow - 1 - i}`, '']));
  const ops = [...byCustomer].map(([customerId, list]) => ({
    updateOne: {
      filter: { _id: customerId, [marker]: { $exists: false } },
      update: {
        ...rollupUpdate(list),
        ...windowsUpdate(list, kept, batch.receivedAt),
        $set: { [marker]: dispatching.has(customerId) ? 1 : 0 },
        $unset: prune,
        // An event for an unknown customer creates the customer, as identify would.
        $setOnInsert: { attributes: {}, createdAt: new Date() },
        $currentDate: { updatedAt: true as const },
      },
      upsert: true,
    },
  }));
  try {
    // The driver's collection: the updates are built here, and mongoose's casting costs more than they do.
    await customers.collection.bulkWrite(ops as never, { ordered: false });
  } catch (err) {
    // A customer already folded for this batch: the filter misses, and the upsert meets the `_id`.
    if (!isDuplicateKey(err)) throw err;
  }
}

/** $inc the counts, $min/$max the times, of one customer's events: roll-ups and engagement. */
function rollupUpdate(events: Omit<RollupEvent, 'customerId'>[]) {
  const engagement = engagementChanges(events);
  const update = { $inc: engagement.inc, $min: {} as Record<string, Date>, $max: engagement.max };
  for (const e of events) {
    const base = `events.${e.name}`;
    update.$inc[`${base}.count`] = (update.$inc[`${base}.count`] ?? 0) + 1;
    update.$min[`${base}.first`] = earliest(update.$min[`${base}.first`], e.timestamp);
    update.$max[`${base}.last`] = latest(update.$max[`${base}.last`], e.timestamp);
    update.$max.lastSeenAt = latest(update.$max.lastSeenAt, e.timestamp);
  }
  return update;
}

/**
 * $push each kept series' new times (those the batch received from the series' `from` on, and
 * inside the kept window), and $pull the expired times of the customer's other series of the
 * same event names (one update cannot push and pull one path).
 */
function windowsUpdate(events: RollupEvent[], kept: KeptSeriesIndex, receivedAt: Date) {
  const oldest = new Date(receivedAt.getTime() - KEPT_WINDOW_MS);
  const pushed = new Map<string, Date[]>();
  const touched = new Set<string>();
  for (const e of events) {
    for (const series of kept.get(e.name) ?? []) {
      touched.add(series.key);
      if (receivedAt < series.from || e.timestamp < oldest || !whereMatches(series.where, e.properties)) continue;
      pushed.set(series.key, [...(pushed.get(series.key) ?? []), e.timestamp]);
    }
  }
  const pull = [...touched].filter((key) => !pushed.has(key));
  return {
    ...(pushed.size > 0
      ? { $push: Object.fromEntries([...pushed].map(([key, times]) => [`windows.${key}`, { $each: times, $sort: -1, $slice: WINDOW_CAP }])) }
      : {}),
    ...(pull.length > 0 ? { $pull: Object.fromEntries(pull.map((key) => [`windows.${key}`, { $lt: oldest }])) } : {}),
  };
}

const earliest = (a: Date | undefined, b: Date) => (a && a < b ? a : b);
const latest = (a: Date | undefined, b: Date) => (a && a > b ? a : b);

/** The series a profile keeps times for, by event name. */
export type ProfileSeries = ReadonlyMap<string, readonly Pick<KeptSeries, 'key' | 'where'>[]>;

/**
 * The same fold, on a customer held in memory (a journey simulation's profile): the same
 * roll-up update applied to the document, then the times of the kept series the event passes
 * (newest first, at most WINDOW_CAP).
 */
export function foldIntoProfile(
  customer: Pick<CustomerDoc, 'events' | 'lastSeenAt' | 'windows' | 'engagement'>,
  events: Omit<RollupEvent, 'customerId'>[],
  kept: ProfileSeries,
): void {
  const update = rollupUpdate(events);
  const doc = customer as Record<string, unknown>;
  for (const [path, n] of Object.entries(update.$inc)) setPath(doc, path, (old) => ((old as number | undefined) ?? 0) + n);
  for (const [path, at] of Object.entries(update.$min)) setPath(doc, path, (old) => earliest(old as Date | undefined, at));
  for (const [path, at] of Object.entries(update.$max)) setPath(doc, path, (old) => latest(old as Date | undefined, at));
  for (const e of events) {
    for (const series of kept.get(e.name) ?? []) {
      if (!whereMatches(series.where, e.properties)) continue;
      const times = [e.timestamp, ...(customer.windows?.[series.key] ?? [])].sort((a, b) => b.getTime() - a.getTime());
      customer.windows = { ...customer.windows, [series.key]: times.slice(0, WINDOW_CAP) };
    }
  }
}

/** Sets a dotted path of a plain document as an update operator would, creating the objects on the way. */
function setPath(doc: Record<string, unknown>, path: string, value: (old: unknown) => unknown): void {
  const keys = path.split('.');
  let at = doc;
  for (const key of keys.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
  const last = keys[keys.length - 1];
  at[last] = value(at[last]);
}
