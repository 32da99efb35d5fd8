// Continuous entry and real-time events: what happens after customers change or events arrive.
// - every running journey of the customer hears each event (the customerEvent signal);
// - live journeys whose entry is that event start a run for the customer (signal-with-start);
// - live journeys whose entry is a segment start a run for customers who now belong to it.
import type { CustomerEvent } from '../core/journey-contract';
import type { JourneyDefinition } from '../core/journey-definition';
import { matchesSegment } from '../core/segment-match';
import type { StoredEvent } from './event-ingest';
import { storedRule } from '../db/segment-model';
import type { JourneyDoc, Models } from '../db/models';
import type { JourneyRuns, RunTemplate } from './journey-runs';

/** Live journeys are read at most this often: entry reacts to going live within this time. */
const LIVE_CACHE_MS = 2_000;
const CONCURRENCY = 8;

export type JourneyEntry = ReturnType<typeof createJourneyEntry>;

export function createJourneyEntry(deps: { models: Models; runs: Pick<JourneyRuns, 'start' | 'signalRunning'> }) {
  let cache: { at: number; journeys: Promise<JourneyDoc[]> } | undefined;
  const liveJourneys = () => {
    if (!cache || Date.now() - cache.at > LIVE_CACHE_MS) {
      cache = { at: Date.now(), journeys: deps.models.journeys.find({ live: true, paused: { $ne: true } }).lean().exec() };
      cache.journeys.catch(() => (cache = undefined));
    }
    return cache.journeys;
  };
  const template = (j: JourneyDoc): RunTemplate => ({
    journeyId: j._id,
    journeyVersion: j.version,
    definition: j.definition as JourneyDefinition,
  });

  /** Enters the customers into each live segment-entry journey whose segment they now match. */
  async function customersChanged(customerIds: string[]): Promise<void> {
    const journeys = (await liveJourneys()).filter((j) => (j.definition as JourneyDefinition).entry?.type === 'segment');
    if (journeys.length === 0 || customerIds.length === 0) return;
    const segmentIds = [...new Set(journeys.map((j) => segmentOf(j)))];
    const [segments, customers] = await Promise.all([
      deps.models.segments.find({ _id: { $in: segmentIds } }).lean(),
      deps.models.customers.find({ _id: { $in: customerIds } }).lean(),
    ]);
    const rules = new Map(segments.map((s) => [s._id, storedRule(s)]));
    const now = new Date();
    const starts = journeys.flatMap((j) => {
      const rule = rules.get(segmentOf(j));
      if (!rule) return [];
      return customers.filter((c) => matchesSegment(rule, c, now)).map((c) => () => deps.runs.start(template(j), c._id));
    });
    await inLanes(starts);
  }

  /** Signals each event to the customer's running journeys, then enters event- and segment-entry journeys. */
  async function eventsStored(events: StoredEvent[]): Promise<void> {
    const live = await liveJourneys();
    const byEvent = (name: string) =>
      live.filter((j) => {
        const entry = (j.definition as JourneyDefinition).entry;
        return entry?.type === 'event' && entry.event === name;
      });
    const tasks = events.flatMap((e) => {
      const event: CustomerEvent = { id: e._id, name: e.name, timestamp: e.timestamp.toISOString(), properties: e.properties };
      return [
        () => deps.runs.signalRunning(e.customerId, event),
        ...byEvent(e.name).map((j) => () => deps.runs.start(template(j), e.customerId, event)),
      ];
    });
    await inLanes(tasks);
    // The roll-ups changed, and behavioural segments read them.
    await customersChanged([...new Set(events.map((e) => e.customerId))]);
  }

  return { customersChanged, eventsStored };
}

function segmentOf(journey: JourneyDoc): string {
  const entry = (journey.definition as JourneyDefinition).entry;
  return entry?.type === 'segment' ? entry.segmentId : '';
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
