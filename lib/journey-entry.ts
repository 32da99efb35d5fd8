// Continuous entry and real-time events: what happens after customers change or events arrive.
// - runs of journeys that hear an event get it (the customerEvent signal), found by workflow ID
//   through the entry registry, never through visibility;
// - live journeys whose entry is that event start a run for the customer (signal-with-start);
// - live journeys whose entry is a segment start a run for customers who now belong to it;
// - runs of journeys that exit on leaving their segment hear when their customer no longer does.
import type { CustomerEvent } from '../core/journey-contract';
import { CODE_JOURNEYS, type CodeJourneyType } from '../core/code-journeys';
import type { JourneyDefinition, JourneyEntry as JourneyDefinitionEntry } from '../core/journey-definition';
import { eventsHeard, listenersOf } from '../core/journey-listens';
import { fieldsRead, matchesSegment } from '../core/segment-match';
import { changesWithTime, type SegmentRule } from '../core/segment-rules';
import type { EventDispatch, StoredEvent } from './event-ingest';
import { JOURNEY_STATE_REFRESH_MS } from '../db/journey-state';
import { storedRule } from '../db/segment-model';
import type { CustomerDoc, JourneyDoc, Models } from '../db/models';
import { runLimited } from './concurrency';
import { entriesOfJourney } from './customer-runs';
import { countEntry } from './metrics';
import type { CodeRunTemplate, JourneyRuns, RunTemplate } from './journey-runs';
import { logger } from './logger';
import { refreshedEvery } from './refreshed';

/**
 * Journeys are read at most this often: entry and routing react to a change within this time,
 * the time a stop waits before it answers.
 */
const JOURNEY_CACHE_MS = JOURNEY_STATE_REFRESH_MS;
const CONCURRENCY = 8;
/** Entries whose customers the lapse re-check reads at once. */
const LAPSE_PAGE = 500;

export type JourneyEntry = ReturnType<typeof createJourneyEntry>;

export function createJourneyEntry(deps: {
  models: Pick<Models, 'journeys' | 'journeyVersions' | 'segments' | 'customers' | 'journeyEntries'>;
  runs: Pick<JourneyRuns, 'start' | 'signalHeard' | 'leftSegment'>;
}) {
  const { models } = deps;
  const liveJourneys = refreshedEvery(JOURNEY_CACHE_MS, async () => withLiveInput(await models.journeys.find({ live: true, paused: { $ne: true } }).lean().exec()));
  // Runs can outlive a journey's live period, so these are all such journeys but archived ones.
  const exitOnLeave = refreshedEvery(JOURNEY_CACHE_MS, () =>
    models.journeys
      .find({ $or: [{ 'definition.settings.exitOnLeavingSegment': true }, { _id: { $in: CODE_EXITING_ON_LEAVE }, kind: 'code' }], archived: { $ne: true } })
      .lean()
      .exec(),
  );
  // Archived journeys' runs were stopped: they hear nothing.
  const listeners = refreshedEvery(JOURNEY_CACHE_MS, async () =>
    listenersOf(await withListensTo(models, await models.journeys.find({ archived: { $ne: true }, version: { $gt: 0 } }, { listensTo: 1 }).lean())),
  );
  /** What a live entry's run gets: the JSON journey's published version, or the code-first type's launch input. */
  const template = (j: JourneyDoc): RunTemplate | CodeRunTemplate => {
    const type = codeType(j);
    if (type) return { journeyId: j._id, workflowType: type.workflowType, input: j.liveInput! };
    return { journeyId: j._id, journeyVersion: j.version, definition: j.definition as JourneyDefinition };
  };

  // Segment rules change rarely: read like the journeys, at most every JOURNEY_CACHE_MS.
  const segmentRules = refreshedEvery(JOURNEY_CACHE_MS, async (key: string) => {
    const segments = await models.segments.find({ _id: { $in: key.split('\n') } }).lean();
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
      typeof changed[0] === 'string' ? models.customers.find({ _id: { $in: changed as string[] } }).lean<CustomerDoc[]>() : (changed as CustomerDoc[]),
    ]);
    const now = new Date();
    const matches = (j: JourneyDoc, c: CustomerDoc) => {
      const rule = rules.get(segmentOf(j)!);
      return rule !== undefined && matchesSegment(rule, c, now);
    };
    await runLimited(CONCURRENCY, [
      ...entering.flatMap((j) => customers.filter((c) => matches(j, c)).map((c) => async () => countEntry(j._id, 'segment', await deps.runs.start(template(j), c._id)))),
      ...exiting.flatMap((j) => customers.filter((c) => !matches(j, c)).map((c) => () => deps.runs.leftSegment(j._id, c._id))),
    ]);
  }

  const eventEntries = async () => (await liveJourneys()).filter((j) => entryEvent(j) !== undefined);

  /**
   * The customers whose events give Temporal something to do: a journey hears one, an event
   * starts a live journey, or a segment journey must look at them again (their roll-ups change).
   */
  const plan: EventDispatch['plan'] = async (events) => {
    const [heard, entries, live, exiting] = await Promise.all([listeners(), eventEntries(), liveJourneys(), exitOnLeave()]);
    const segmentJourneys = live.some((j) => segmentOf(j) !== undefined) || exiting.length > 0;
    const entryEvents = new Set(entries.map(entryEvent));
    return new Set(events.filter((e) => segmentJourneys || heard.has(e.name) || entryEvents.has(e.name)).map((e) => e.customerId));
  };

  /** Signals each event to the runs that hear it, then enters event- and segment-entry journeys. */
  const dispatch: EventDispatch['dispatch'] = async (events) => {
    if (events.length === 0) return;
    const [heard, entries] = await Promise.all([listeners(), eventEntries()]);
    // Each customer's events in time order.
    const byCustomer = new Map<string, CustomerEvent[]>();
    for (const e of [...events].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())) {
      byCustomer.set(e.customerId, [...(byCustomer.get(e.customerId) ?? []), toSignal(e)]);
    }
    // Runs first, then entries: a run an event starts gets that event with its start. An entry
    // event a journey also hears reaches its running run twice (here and through start, which
    // delivers every entry event): harmless, as the run keeps each event ID once, and rare.
    const targets = [...byCustomer].flatMap(([customerId, list]) => {
      const journeys = new Set(list.flatMap((e) => heard.get(e.name) ?? []));
      return [...journeys].map((journeyId) => ({ journeyId, customerId, events: list.filter((e) => heard.get(e.name)?.includes(journeyId)) }));
    });
    await deps.runs.signalHeard(targets);
    await runLimited(
      CONCURRENCY,
      [...byCustomer].map(([customerId, list]) => async () => {
        for (const event of list) for (const j of entries.filter((j) => entryEvent(j) === event.name)) countEntry(j._id, 'event', await deps.runs.start(template(j), customerId, event));
      }),
    );
    // The roll-ups changed, and behavioural segments read them.
    await customersChanged([...byCustomer.keys()]);
  };

  /**
   * Membership that lapses with time alone (a window's oldest counted event ages out, no event or
   * profile change to notice it): for each journey that exits on leaving a segment whose rule
   * has a window, tells the runs of its entered customers who no longer match. Each entry is told
   * once: the registry records it (`left`), so a customer whose run has ended costs one signal,
   * not one a pass. The worker's minute sweep runs this; `now` is the clock windows count back from.
   */
  async function recheckLapsed(now = new Date()): Promise<number> {
    const exiting = await exitOnLeave();
    const segmentIds = [...new Set(exiting.map((j) => segmentOf(j)!))].sort();
    if (segmentIds.length === 0) return 0;
    const rules = await segmentRules(segmentIds.join('\n'));
    let told = 0;
    for (const journey of exiting) {
      const rule = rules.get(segmentOf(journey)!);
      if (!rule || !changesWithTime(rule)) continue;
      const prefix = `${journey._id}:`;
      const entries = (await models.journeyEntries.find(entriesOfJourney(journey._id)).lean()).filter((e) => e.left !== e.last);
      for (let i = 0; i < entries.length; i += LAPSE_PAGE) {
        const page = new Map(entries.slice(i, i + LAPSE_PAGE).map((e) => [e._id.slice(prefix.length), e]));
        const customers = await models.customers.find({ _id: { $in: [...page.keys()] } }, projection(rule)).lean<CustomerDoc[]>();
        const present = new Set(customers.map((c) => c._id));
        const lapsed = [...customers.filter((c) => !matchesSegment(rule, c, now)).map((c) => c._id), ...[...page.keys()].filter((id) => !present.has(id))];
        await runLimited(
          CONCURRENCY,
          lapsed.map((customerId) => async () => {
            const entry = page.get(customerId)!;
            await deps.runs.leftSegment(journey._id, customerId);
            // Only this entry: a later one (the customer entered again) is asked about afresh.
            await models.journeyEntries.updateOne({ _id: entry._id, last: entry.last }, { $set: { left: entry.last } });
            told += 1;
          }),
        );
      }
    }
    return told;
  }

  /** This process changed a journey (published, went live, paused, archived): read them afresh. */
  function journeysChanged(): void {
    for (const cache of [liveJourneys, exitOnLeave, listeners]) cache.clear();
  }

  return { customersChanged, plan, dispatch, journeysChanged, recheckLapsed };
}

function toSignal(e: StoredEvent): CustomerEvent {
  return { id: e._id, name: e.name, timestamp: e.timestamp.toISOString(), ...(e.properties ? { properties: e.properties } : {}) };
}

/** The code-first type a journey record stands for. */
/** Live journeys' inputs that did not parse, already logged (once per journey and input). */
const reportedInputs = new Set<string>();

/**
 * The live journeys customers may enter, a code-first type's with its launch input as its
 * schema outputs it. One whose stored input its schema now refuses (a deployment changed the
 * type) enters no one, and says why once: launching it again with valid input sets it right.
 */
function withLiveInput(journeys: JourneyDoc[]): JourneyDoc[] {
  return journeys.flatMap((j) => {
    const type = codeType(j);
    if (!type) return [j];
    const parsed = type.input.safeParse(j.liveInput ?? {});
    if (parsed.success) return [{ ...j, liveInput: parsed.data as Record<string, unknown> }];
    const key = `${j._id}\u0000${JSON.stringify(j.liveInput ?? {})}`;
    if (!reportedInputs.has(key)) {
      reportedInputs.add(key);
      const problems = parsed.error.issues.map((i) => `input.${i.path.join('.')}: ${i.message}`).join('; ');
      logger.error({ journeyId: j._id, problems }, `live journey "${j._id}" enters no one: its launch input no longer fits the type (${problems}); launch it again with valid input`);
    }
    return [];
  });
}

function codeType(journey: JourneyDoc): CodeJourneyType | undefined {
  return journey.kind === 'code' ? CODE_JOURNEYS[journey._id] : undefined;
}

/** Code-first types that exit runs whose customer leaves their entry segment. */
const CODE_EXITING_ON_LEAVE = Object.values(CODE_JOURNEYS)
  .filter((t) => t.settings?.exitOnLeavingSegment)
  .map((t) => t.id);

/** How customers enter: a JSON journey's published definition says, or a code-first type's declaration. */
function entryOf(journey: JourneyDoc): JourneyDefinitionEntry | undefined {
  return codeType(journey)?.entry ?? (journey.definition as JourneyDefinition | undefined)?.entry;
}

/** Only the fields the rule reads. */
function projection(rule: SegmentRule): Record<string, 1> {
  return Object.fromEntries(fieldsRead(rule).map((field) => [field, 1]));
}

function segmentOf(journey: JourneyDoc): string | undefined {
  const entry = entryOf(journey);
  return entry?.type === 'segment' ? entry.segmentId : undefined;
}

function entryEvent(journey: JourneyDoc): string | undefined {
  const entry = entryOf(journey);
  return entry?.type === 'event' ? entry.event : undefined;
}

/**
 * Journeys published before `listensTo` was kept lack it: it is worked out once from all their
 * versions and stored, so it covers runs still on old versions.
 */
async function withListensTo(models: Pick<Models, 'journeys' | 'journeyVersions'>, journeys: Pick<JourneyDoc, '_id' | 'listensTo'>[]) {
  return Promise.all(
    journeys.map(async (j) => {
      if (j.listensTo) return j;
      const versions = await models.journeyVersions.find({ journeyId: j._id }, { definition: 1 }).lean();
      const listensTo = [...new Set(versions.flatMap((v) => eventsHeard(v.definition as JourneyDefinition)))];
      await models.journeys.updateOne({ _id: j._id }, { $addToSet: { listensTo: { $each: listensTo } } });
      return { ...j, listensTo };
    }),
  );
}
