// The registry of kept series (core/event-windows.ts): which (event, where) pairs every
// customer's roll-up keeps times for, derived from the saved rules that count over a window.
//
// A series is kept from the moment a rule naming it is saved, exactly: saving registers it with
// `from` a little ahead (every process's ingest reads the registry at most KEPT_SERIES_REFRESH_MS
// late, so every batch received from `from` on folds it), then the backfill folds the stored
// events received before `from` from the event log, one guarded update per customer (a marker
// `windowFills.<key>`, so a backfill that is run again, after a crash, adds nothing twice), and
// the save answers once it has. Events received before `from` but stored after the backfill read
// the log would be missed: the backfill waits FILL_SETTLE_MS past `from` first, far longer than
// an ingest request takes between its receipt time and its insert. A save that dies part-way
// leaves `filledAt` unset: the event sweep finishes that backfill.
import { KEPT_WINDOW_MS, WINDOW_CAP, type EventWhere, whereMatches } from '../core/event-windows';
import { isDuplicateKey } from '../db/duplicate-key';
import { suppressedAmong } from '../db/suppressions';
import { seriesRead, type SegmentRule } from '../core/segment-rules';
import type { EventDoc, EventWindowDoc, Models } from '../db/models';
import { refreshedEvery } from './refreshed';

/** How stale a process's copy of the registry may be. */
export const KEPT_SERIES_REFRESH_MS = 2_000;
/** A new series is folded by ingest from this long after it is saved. */
const FROM_LEAD_MS = KEPT_SERIES_REFRESH_MS + 1_000;
/** The backfill reads the log this long after `from`, once events received before it are stored. */
const FILL_SETTLE_MS = 2_000;
const FILL_CHUNK = 500;

export interface KeptSeries {
  key: string;
  where: EventWhere;
  from: Date;
}

/** The kept series by event name. */
export type KeptSeriesIndex = ReadonlyMap<string, KeptSeries[]>;

export type WindowModels = Pick<Models, 'eventWindows' | 'events' | 'customers' | 'suppressions'>;

/** The registry as ingest reads it: at most KEPT_SERIES_REFRESH_MS old. */
export function keptSeriesReader(models: Pick<Models, 'eventWindows'>) {
  return refreshedEvery(KEPT_SERIES_REFRESH_MS, async () => {
    const index = new Map<string, KeptSeries[]>();
    for (const doc of await models.eventWindows.find({}, { event: 1, where: 1, from: 1 }).lean<EventWindowDoc[]>()) {
      index.set(doc.event, [...(index.get(doc.event) ?? []), { key: doc._id, where: doc.where as EventWhere, from: doc.from }]);
    }
    return index as KeptSeriesIndex;
  });
}

/**
 * Makes sure every series the rules read is kept and backfilled, so the rules are exact from
 * now on; answers once they are. Series kept already cost one read.
 */
export async function keepSeriesOf(models: WindowModels, rules: SegmentRule[], sleep = delay): Promise<void> {
  const wanted = new Map(rules.flatMap((rule) => [...seriesRead(rule)]));
  if (wanted.size === 0) return;
  const now = Date.now();
  await models.eventWindows.bulkWrite(
    [...wanted].map(([key, series]) => ({
      updateOne: {
        filter: { _id: key },
        update: { $setOnInsert: { event: series.event, where: series.where, from: new Date(now + FROM_LEAD_MS), createdAt: new Date(now) } },
        upsert: true,
      },
    })),
    { ordered: false },
  );
  const pending = await models.eventWindows.find({ _id: { $in: [...wanted.keys()] }, filledAt: { $exists: false } }).lean<EventWindowDoc[]>();
  for (const series of pending) await backfill(models, series, sleep);
}

/**
 * Finishes the backfills a save left unfinished (it died part-way): the event sweep runs this.
 * Running beside a save's own backfill of the same series is harmless (each customer's marker).
 */
export async function finishPendingSeries(models: WindowModels, now = new Date()): Promise<number> {
  const pending = await models.eventWindows.find({ filledAt: { $exists: false }, from: { $lt: new Date(now.getTime() - FILL_SETTLE_MS) } }).lean<EventWindowDoc[]>();
  for (const series of pending) await backfill(models, series, delay);
  return pending.length;
}

/** Folds the logged events received before the series' `from` into each customer's kept times. */
async function backfill(models: WindowModels, series: EventWindowDoc, sleep: (ms: number) => Promise<void>): Promise<void> {
  const wait = series.from.getTime() + FILL_SETTLE_MS - Date.now();
  if (wait > 0) await sleep(wait);
  const where = series.where as EventWhere;
  const since = new Date(Date.now() - KEPT_WINDOW_MS);
  // One customer's events together: the log is read in customer order, folded a customer at a time.
  const cursor = models.events
    .find({ name: series.event, receivedAt: { $lt: series.from }, timestamp: { $gte: since } }, { customerId: 1, timestamp: 1, properties: 1 })
    .sort({ customerId: 1 })
    .lean<Pick<EventDoc, 'customerId' | 'timestamp' | 'properties'>[]>()
    .cursor();
  let ops: object[] = [];
  let filled: string[] = [];
  let current: { customerId: string; times: Date[] } | undefined;
  const flush = async (force: boolean) => {
    if (current && current.times.length > 0) {
      ops.push(fillOp(series._id, current.customerId, current.times));
      filled.push(current.customerId);
    }
    current = undefined;
    if (ops.length >= FILL_CHUNK || (force && ops.length > 0)) {
      try {
        await models.customers.collection.bulkWrite(ops as never, { ordered: false });
      } catch (err) {
        // A customer already filled: the filter misses, and the upsert meets the `_id`.
        if (!isDuplicateKey(err)) throw err;
      }
      // An erasure under way deletes the profile before the events this read: a fill that came
      // after its suppression must not leave the customer created again (ingest's fold does the same).
      const erased = await suppressedAmong(models.suppressions, filled);
      if (erased.size > 0) await models.customers.deleteMany({ _id: { $in: [...erased] } });
      ops = [];
      filled = [];
    }
  };
  for await (const event of cursor) {
    if (current?.customerId !== event.customerId) await flush(false);
    current ??= { customerId: event.customerId, times: [] };
    if (whereMatches(where, event.properties)) current.times.push(event.timestamp);
  }
  await flush(true);
  await models.eventWindows.updateOne({ _id: series._id }, { $set: { filledAt: new Date() } });
}

/**
 * One customer's backfill, applied once: ingest's own pushes since `from` stay beside it. It
 * creates the customer, as their fold would: a request that died after storing their first
 * events leaves no document until the sweep folds that batch, and the fold of a batch received
 * before `from` pushes nothing into the series.
 */
function fillOp(key: string, customerId: string, times: Date[]): object {
  return {
    updateOne: {
      filter: { _id: customerId, [`windowFills.${key}`]: { $exists: false } },
      update: {
        $push: { [`windows.${key}`]: { $each: times, $sort: -1, $slice: WINDOW_CAP } },
        $set: { [`windowFills.${key}`]: 1 },
        $setOnInsert: { attributes: {}, createdAt: new Date(), updatedAt: new Date() },
      },
      upsert: true,
    },
  };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
