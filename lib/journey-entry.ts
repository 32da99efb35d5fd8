// Continuous entry and real-time events: what happens after customers change or events arrive.
// - every running journey of the customer hears each event (the customerEvent signal);
// - live journeys whose entry is that event start a run for the customer (signal-with-start);
// - live journeys whose entry is a segment start a run for customers who now belong to it;
// - runs of journeys that exit on leaving their segment hear when their customer no longer does.
import type { CustomerEvent } from '../core/journey-contract';
import type { JourneyDefinition } from '../core/journey-definition';
import { matchesSegment } from '../core/segment-match';
import type { StoredEvent } from './event-ingest';
import { storedRule } from '../db/segment-model';
import type { CustomerDoc, JourneyDoc, Models } from '../db/models';
import type { JourneyRuns, RunTemplate } from './journey-runs';
import { refreshedEvery } from './refreshed';

/** Live journeys are read at most this often: entry reacts to going live within this time. */
const LIVE_CACHE_MS = 2_000;
const CONCURRENCY = 8;

export type JourneyEntry = ReturnType<typeof createJourneyEntry>;

export function createJourneyEntry(deps: { models: Models; runs: Pick<JourneyRuns, 'start' | 'signalRunning' | 'leftSegment'> }) {
  const liveJourneys = refreshedEvery(LIVE_CACHE_MS, () => deps.models.journeys.find({ live: true, paused: { $ne: true } }).lean().exec());
  // Runs can outlive a journey's live period, so these are all such journeys but archived ones.
  const exitOnLeave = refreshedEvery(LIVE_CACHE_MS, () =>
    deps.models.journeys.find({ 'definition.settings.exitOnLeavingSegment': true, archived: { $ne: true } }).lean().exec(),
  );
  const template = (j: JourneyDoc): RunTemplate => ({
    journeyId: j._id,
    journeyVersion: j.version,
    definition: j.definition as JourneyDefinition,
  });

  // Segment rules change rarely: read like the live journeys, at most every LIVE_CACHE_MS.
  const segmentRules = refreshedEvery(LIVE_CACHE_MS, async (key: string) => {
    const segments = await deps.models.segments.find({ _id: { $in: key.split('\n') } }).lean();
    return new Map(segments.map((s) => [s._id, storedRule(s)]));
  });

  /**
   * Enters the customers into each live segment-entry journey whose segment they now match, and
   * tells the runs of journeys that exit on leaving their segment when they no longer match.
   * Takes the customers' IDs, or their documents when the caller has just read or written them.
   */
  async function customersChanged(changed: string[] | CustomerDoc[]): Promise<void> {
    if (changed.length === 0) return;
    const [live, exiting] = await Promise.all([liveJourneys(), exitOnLeave()]);
    const entering = live.filter((j) => segmentOf(j) !== undefined);
    if (entering.length === 0 && exiting.length === 0) return;
    const segmentIds = [...new Set([...entering, ...exiting].map((j) => segmentOf(j)!))].sort();
    const [rules, customers] = await Promise.all([
      segmentRules(segmentIds.join('\n')),
      typeof changed[0] === 'string'
        ? // One read for the lot.
          deps.models.customers.find({ _id: { $in: changed as string[] } }).lean<CustomerDoc[]>()
        : (changed as CustomerDoc[]),
    ]);
    const now = new Date();
    const matches = (j: JourneyDoc, c: CustomerDoc) => {
      const rule = rules.get(segmentOf(j)!);
      return rule !== undefined && matchesSegment(rule, c, now);
    };
    await inLanes([
      ...entering.flatMap((j) => customers.filter((c) => matches(j, c)).map((c) => () => deps.runs.start(template(j), c._id))),
      ...exiting.flatMap((j) => customers.filter((c) => !matches(j, c)).map((c) => () => deps.runs.leftSegment(j._id, c._id))),
    ]);
  }

  /** Signals each event to the customer's running journeys, then enters event- and segment-entry journeys. */
  async function eventsStored(events: StoredEvent[]): Promise<void> {
    const live = await liveJourneys();
    const byEvent = (name: string) =>
      live.filter((j) => {
        const entry = (j.definition as JourneyDefinition).entry;
        return entry?.type === 'event' && entry.event === name;
      });
    // One task per customer: their events in time order, to their runs, then to entries.
    const byCustomer = new Map<string, CustomerEvent[]>();
    for (const e of [...events].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())) {
      const list = byCustomer.get(e.customerId) ?? [];
      list.push({ id: e._id, name: e.name, timestamp: e.timestamp.toISOString(), properties: e.properties });
      byCustomer.set(e.customerId, list);
    }
    const tasks = [...byCustomer].map(([customerId, list]) => async () => {
      await deps.runs.signalRunning(customerId, list);
      for (const event of list) for (const j of byEvent(event.name)) await deps.runs.start(template(j), customerId, event);
    });
    await inLanes(tasks);
    // The roll-ups changed, and behavioural segments read them.
    await customersChanged([...new Set(events.map((e) => e.customerId))]);
  }

  return { customersChanged, eventsStored };
}

function segmentOf(journey: JourneyDoc): string | undefined {
  const entry = (journey.definition as JourneyDefinition | undefined)?.entry;
  return entry?.type === 'segment' ? entry.segmentId : undefined;
}

/** Runs the tasks CONCURRENCY at a time; the first failure is rethrown once all have settled. */
async function inLanes(tasks: (() => Promise<unknown>)[]): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const lane = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task().catch((err) => errors.push(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, tasks.length) }, lane));
  if (errors.length > 0) throw errors[0];
}
