// Event ingest. On the hot path, two writes: one insert of the batch's events (keyed by the
// client's event IDs, so a resent event is a duplicate) and one roll-up update per customer
// (lib/event-rollups.ts). Then the events go to the journeys that hear them (lib/journey-entry.ts);
// only a batch that had something to dispatch writes a third, small document saying it was.
//
// A request that dies part-way leaves its events finishable: the sweep (finishEvents, run every
// minute by the worker) reads the batches received since it last passed, folds the customers
// whose roll-up lacks the batch's marker, and dispatches the batches that needed it and were not
// recorded as dispatched. Roll-ups are idempotent per batch, and runs ignore an event ID they
// have heard, so finishing twice changes nothing.
import { randomBytes } from 'node:crypto';
import type { EventDoc, Models } from '../db/models';
import { isDuplicateKey, writeErrorsOf } from '../db/duplicate-key';
import { SETTINGS_CACHE_MS } from '../db/settings';
import { suppressedAmong } from '../db/suppressions';
import { foldBatch, markerOf } from './event-rollups';
import { finishPendingSeries, keptSeriesReader } from './event-windows';
import { logger } from './logger';
import { eventsIngested } from './metrics';
import { refreshedEvery } from './refreshed';

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
  /** Events of erased customers (db/suppressions.ts): not stored. */
  suppressed: number;
  /** Their IDs. */
  suppressedEvents: string[];
}

export interface StoredEvent {
  _id: string;
  customerId: string;
  name: string;
  timestamp: Date;
  properties?: Record<string, unknown>;
}

/** What happens once events are in the roll-ups: signals to runs, journey entries. */
export interface EventDispatch {
  /** The customers whose events give Temporal something to do; decided without I/O beyond caches. */
  plan(events: StoredEvent[]): Promise<Set<string>>;
  dispatch(events: StoredEvent[]): Promise<void>;
}

export const NO_DISPATCH: EventDispatch = { plan: async () => new Set(), dispatch: async () => undefined };

/** The sweep leaves a batch to its own request for this long after it was received. */
export const SWEEP_GRACE_MS = 60_000;
/** Each sweep looks this far behind the time it last passed, for batches inserted late. */
const SWEEP_OVERLAP_MS = 60_000;
/** On its first run, the sweep looks back this far. */
const FIRST_SWEEP_LOOKBACK_MS = 60 * 60_000;
const SWEEP_PAGE = 5_000;
export const SWEEP_SETTING = 'event-sweep';


export type IngestModels = Pick<Models, 'events' | 'customers' | 'eventBatches' | 'eventWindows' | 'settings' | 'suppressions'>;

export type EventIngest = ReturnType<typeof createEventIngest>;

export function createEventIngest(
  models: IngestModels,
  dispatch: EventDispatch = NO_DISPATCH,
  onDispatchError: (err: unknown) => void = (err) => logger.error({ err }, 'event dispatch failed; the sweep will finish it'),
) {
  // Only decides which old roll-up markers may go, so it may lag.
  const sweptThrough = refreshedEvery(SETTINGS_CACHE_MS, async () => new Date((await sweepState(models)) ?? 0));
  // The kept series of windowed rules: read after a batch's receipt time is set (see lib/event-windows.ts).
  const keptSeries = keptSeriesReader(models);
  const fold: Fold = async (batch, events, dispatching) => foldBatch(models.customers, batch, events, dispatching, await keptSeries());

  /**
   * Stores the events, folds them into their customers' roll-ups and dispatches them. Answers
   * once the events are stored and rolled up: if dispatch fails, the sweep dispatches them
   * within two minutes, so the client has nothing to resend.
   */
  async function ingest(incoming: IncomingEvent[]): Promise<IngestResult> {
    const receivedAt = new Date();
    const batch = randomBytes(9).toString('base64url');
    const docs: EventDoc[] = incoming.map((e) => ({
      _id: e.id,
      customerId: e.customerId,
      name: e.name,
      timestamp: e.timestamp ?? receivedAt,
      ...(e.properties ? { properties: e.properties } : {}),
      receivedAt,
      batch,
    }));
    // The suppression read beside the insert costs no time; an erased customer's events are
    // taken out again at once (finishBatch checks again after folding, for an erasure under way).
    const [duplicates, suppressed] = await Promise.all([insertNew(models.events, docs), suppressedAmong(models.suppressions, docs.map((d) => d.customerId))]);
    const refused = docs.filter((d) => suppressed.has(d.customerId));
    const fresh = docs.filter((d) => !duplicates.has(d._id) && !suppressed.has(d.customerId));
    if (refused.length > 0) await models.events.deleteMany({ _id: { $in: refused.filter((d) => !duplicates.has(d._id)).map((d) => d._id) } });
    eventsIngested.inc({ outcome: 'accepted' }, fresh.length);
    eventsIngested.inc({ outcome: 'duplicate' }, docs.filter((d) => duplicates.has(d._id) && !suppressed.has(d.customerId)).length);
    eventsIngested.inc({ outcome: 'suppressed' }, refused.length);
    let late = new Set<string>();
    if (fresh.length > 0) {
      late = await finishBatch(models, dispatch, fold, { id: batch, receivedAt, sweptThrough: await sweptThrough() }, fresh, [], suppressed).catch((err) => {
        if (!(err instanceof DispatchError)) throw err;
        onDispatchError(err.cause);
        return err.late;
      });
    }
    const stored = fresh.filter((d) => !late.has(d.customerId));
    const dropped = [...refused, ...fresh.filter((d) => late.has(d.customerId))];
    return {
      accepted: stored.length,
      duplicates: docs.length - stored.length - dropped.length,
      suppressed: dropped.length,
      suppressedEvents: dropped.map((d) => d._id),
    };
  }

  /**
   * Finishes every batch received before `now - SWEEP_GRACE_MS` that its request left
   * unfinished. Safe to run beside ingest and beside itself; the worker runs it once a minute.
   */
  async function finishEvents(now = new Date()): Promise<SweepResult> {
    const last = await sweepState(models);
    const swept = new Date(last ?? 0);
    const cutoff = now.getTime() - SWEEP_GRACE_MS;
    let from = (last ?? now.getTime() - FIRST_SWEEP_LOOKBACK_MS) - SWEEP_OVERLAP_MS;
    const result: SweepResult = { finished: 0, examined: 0, through: swept };
    while (from < cutoff) {
      const window = { receivedAt: { $gt: new Date(from), $lte: new Date(cutoff) }, batch: { $exists: true } };
      let page = await models.events.find(window).sort({ receivedAt: 1 }).limit(SWEEP_PAGE).lean<EventDoc[]>();
      let upTo = cutoff;
      if (page.length === SWEEP_PAGE) {
        // A batch's events share one receipt time: end the page before its last time, so no
        // batch is cut in two, unless the whole page has one time; then take all of that time.
        const lastTime = page[page.length - 1].receivedAt.getTime();
        if (page[0].receivedAt.getTime() === lastTime) {
          page = await models.events.find({ receivedAt: new Date(lastTime), batch: { $exists: true } }).lean<EventDoc[]>();
          upTo = lastTime;
        } else {
          upTo = lastTime - 1;
          page = page.filter((e) => e.receivedAt.getTime() <= upTo);
        }
      }
      result.examined += page.length;
      result.finished += await finishPage(models, dispatch, fold, page, swept);
      await models.settings.updateOne({ _id: SWEEP_SETTING }, { $max: { 'value.through': upTo }, $set: { updatedAt: new Date() } }, { upsert: true });
      result.through = new Date(upTo);
      from = upTo;
    }
    // Series whose save died before its backfill finished (lib/event-windows.ts).
    await finishPendingSeries(models, now);
    return result;
  }

  return { ingest, finishEvents };
}

class DispatchError extends Error {
  constructor(
    readonly late: Set<string>,
    options: ErrorOptions,
  ) {
    super('dispatch failed', options);
  }
}

type Fold = (batch: { id: string; receivedAt: Date; sweptThrough: Date }, events: StoredEvent[], dispatching: ReadonlySet<string>) => Promise<void>;

/**
 * Folds the events of customers not yet folded for the batch, then dispatches those that need
 * it together with `pending` (events folded earlier that had something to dispatch), and
 * records the batch as dispatched.
 *
 * Erased customers' events are neither folded nor dispatched: those suppressed before (`known`,
 * else read here) are dropped first; the customers are read again after the fold, as an
 * erasure may have begun meanwhile and deleted the customer before this fold created it again,
 * and those suppressed by then lose the document and their events (the erasure deletes them
 * too, whichever comes last). Returns those found by the second read.
 */
async function finishBatch(
  models: IngestModels,
  dispatch: EventDispatch,
  fold: Fold,
  batch: { id: string; receivedAt: Date; sweptThrough: Date },
  toFoldAll: StoredEvent[],
  pendingAll: StoredEvent[],
  known?: Set<string>,
): Promise<Set<string>> {
  const customers = [...new Set([...toFoldAll, ...pendingAll].map((e) => e.customerId))];
  const before = known ?? (await suppressedAmong(models.suppressions, customers));
  if (!known && before.size > 0) await models.events.deleteMany({ customerId: { $in: [...before] } });
  const toFold = toFoldAll.filter((e) => !before.has(e.customerId));
  const planned = await dispatch.plan(toFold);
  await fold(batch, toFold, planned);
  const late = await suppressedAmong(models.suppressions, customers.filter((c) => !before.has(c)));
  if (late.size > 0) {
    await Promise.all([models.customers.deleteMany({ _id: { $in: [...late] } }), models.events.deleteMany({ customerId: { $in: [...late] } })]);
  }
  const admitted = (e: StoredEvent) => !before.has(e.customerId) && !late.has(e.customerId);
  const dispatching = [...pendingAll.filter(admitted), ...toFold.filter((e) => admitted(e) && planned.has(e.customerId))];
  if (dispatching.length === 0) return late;
  try {
    await dispatch.dispatch(dispatching);
  } catch (err) {
    throw new DispatchError(late, { cause: err });
  }
  await models.eventBatches.create({ _id: batch.id, dispatchedAt: new Date() }).catch((err) => {
    if (!isDuplicateKey(err)) throw err;
  });
  return late;
}

/** Finishes the open batches of one page of the sweep; returns how many needed it. */
async function finishPage(models: IngestModels, dispatch: EventDispatch, fold: Fold, events: EventDoc[], swept: Date): Promise<number> {
  const batches = new Map<string, EventDoc[]>();
  for (const e of events) batches.set(e.batch, [...(batches.get(e.batch) ?? []), e]);
  if (batches.size === 0) return 0;
  const recorded = new Set((await models.eventBatches.find({ _id: { $in: [...batches.keys()] } }, { _id: 1 }).lean()).map((b) => b._id));
  const open = [...batches].filter(([id]) => !recorded.has(id));
  if (open.length === 0) return 0;
  const customerIds = [...new Set(open.flatMap(([, list]) => list.map((e) => e.customerId)))];
  const customers = new Map((await models.customers.find({ _id: { $in: customerIds } }, { ingest: 1 }).lean()).map((c) => [c._id, c]));
  let finished = 0;
  for (const [id, list] of open) {
    const receivedAt = list[0].receivedAt;
    const marker = (customerId: string) => {
      const customer = customers.get(customerId);
      return customer ? markerOf(customer, id, receivedAt) : undefined;
    };
    const toFold = list.filter((e) => marker(e.customerId) === undefined);
    const pending = list.filter((e) => marker(e.customerId) === 1);
    if (toFold.length === 0 && pending.length === 0) continue;
    await finishBatch(models, dispatch, fold, { id, receivedAt, sweptThrough: swept }, toFold, pending);
    finished += 1;
  }
  return finished;
}

/** Inserts every event whose ID is new; returns the IDs that were already stored. */
async function insertNew(events: Models['events'], docs: EventDoc[]): Promise<Set<string>> {
  const duplicates = new Set<string>();
  try {
    // The driver's collection, not the model: the documents are built here from validated input,
    // and mongoose's casting of each one costs more than the insert.
    await events.collection.insertMany(docs as never[], { ordered: false });
  } catch (err) {
    const writeErrors = writeErrorsOf(err);
    if (!writeErrors || !isDuplicateKey(err)) throw err;
    for (const { index } of writeErrors) {
      if (index === undefined) throw err;
      duplicates.add(docs[index]._id);
    }
  }
  return duplicates;
}

/** When the sweep last passed: every batch received before then is finished. */
async function sweepState(models: Pick<Models, 'settings'>): Promise<number | undefined> {
  const doc = await models.settings.findById(SWEEP_SETTING).lean();
  const through = (doc?.value as { through?: unknown } | undefined)?.through;
  return typeof through === 'number' ? through : undefined;
}

export interface SweepResult {
  /** Batches that needed folding or dispatch, and were finished now. */
  finished: number;
  /** Events read. */
  examined: number;
  /** Everything received up to this time is finished. */
  through: Date;
}
