// Starting and reading journey runs in Temporal. Knows nothing of HTTP.
import {
  Client,
  Workflow,
  WorkflowExecutionAlreadyStartedError,
  WorkflowHandle,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { Model } from 'mongoose';
import { parseDuration } from '../core/duration';
import { journeyWorkflowId } from '../core/ids';
import {
  CustomerEvent,
  customerEventSignal,
  JourneyRunInput,
  JourneyRunState,
  journeyStateQuery,
  SA_JOURNEY,
  SA_STATUS,
  SA_STEP,
  leftSegmentSignal,
  pauseSignal,
  resumeSignal,
  startSearchAttributes,
  stopSignal,
} from '../core/journey-contract';
import type { JourneyEntryDoc } from '../db/models';
import { isDuplicateKey } from '../db/duplicate-key';
import { runLimited } from './concurrency';
import { countEntry } from './metrics';
import { describeIfExists } from './temporal';

/** How many workflow starts one launch keeps in flight at once. */
const START_CONCURRENCY = 16;
/** Entries a launch registers per write, ahead of their starts. */
const REGISTER_CHUNK = 100;

export interface LaunchOutcome {
  /** Customers who entered the journey now. */
  entered: string[];
  /** Customers who already had a run of this journey: not entered again. */
  alreadyEntered: string[];
  /** `proceed` said no: the customers after those above were not tried. */
  halted?: boolean;
}

export interface RunView {
  workflowId: string;
  runId: string;
  status: string;
  startedAt?: Date;
  closedAt?: Date;
  /** The run's own state; absent if no worker answered the query. */
  state?: JourneyRunState;
}

/** A run in a journey's list of runs: whose, which entry, and where it is as its search attributes say. */
export interface RunSummary {
  customerId: string;
  entry: number;
  workflowId: string;
  enteredAt: Date;
  /** Temporal's status of the run; NOT_STARTED for an entry registered whose start has not happened (yet). */
  status: string;
  /** Cairn's status and the step, as of the run's latest wait or its end (CairnStatus, CairnStep). */
  runStatus?: string;
  step?: string;
}

export type JourneyRuns = ReturnType<typeof createJourneyRuns>;

/** A run's input without the customer: the same for everyone a launch enters. */
export type RunTemplate = Omit<JourneyRunInput, 'customerId' | 'entry'>;

/** A code-first journey (workflows/code-first/): its ID, the workflow type that runs it, and the launch's input. */
export interface CodeRunTemplate {
  journeyId: string;
  workflowType: string;
  /** Validated by the type's schema; every run of the launch gets it. */
  input: unknown;
}

export function createJourneyRuns(client: Client, taskQueue: string, entries: Model<JourneyEntryDoc>) {
  /** The handle of the customer's latest entry into the journey (from the entry registry; 1 without one). */
  async function latestRun(journeyId: string, customerId: string) {
    const entry = (await entries.findById(`${journeyId}:${customerId}`).lean())?.last ?? 1;
    return client.workflow.getHandle(journeyWorkflowId(journeyId, customerId, entry));
  }

  const policyOf = (run: RunTemplate | CodeRunTemplate) => ('workflowType' in run ? 'never' : (run.definition.settings?.reentry ?? 'never'));
  const entryKey = (journeyId: string, customerId: string) => `${journeyId}:${customerId}`;

  /**
   * Enters the customer, as the journey's re-entry policy allows; with an event, starts the run
   * with that event as its first signal (event-triggered entry). False when the customer is
   * not entered (already in, or already entered and re-entry not allowed yet); an event that
   * enters nobody still reaches the customer's running run of the journey.
   *
   * Every entry is in the registry before its run starts, so an event that arrives a moment
   * after the run began is routed to it (see signalHeard). A customer already registered for a
   * journey without re-entry is not asked of Temporal again, unless there is an event to deliver.
   *
   * Who enters is decided by one atomic operation, never by looking first. Without an event it
   * is Temporal's start, which refuses a second run. With one it is the registry write, as
   * signal-with-start cannot say whether it started the run (the TS SDK drops the server's
   * `started`): the caller whose write took the entry counts it, and every caller
   * signals-with-start its event into that entry's run, which starts the run if the winner has
   * not yet (or died before it could) and else only signals it. The run keeps each event ID once.
   */
  async function start(run: RunTemplate | CodeRunTemplate, customerId: string, event?: CustomerEvent): Promise<boolean> {
    const policy = policyOf(run);
    const key = entryKey(run.journeyId, customerId);
    if (policy === 'never') {
      const first = (await registerFirstEntries([key])) > 0;
      if (!event) return first && startEntry(run, customerId, 1);
      return (await startEntry(run, customerId, 1, event)) && first;
    }
    // Entry numbers come from the registry: a start takes the next number by moving the
    // registry from the number it read, so of two racing starts one moves on and one reads again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await entries.findById(key).lean();
      const last = record?.last ?? 0;
      let next = last + 1;
      if (last > 0) {
        const handle = client.workflow.getHandle(journeyWorkflowId(run.journeyId, customerId, last));
        const previous = await describeIfExists(handle);
        if (!previous) {
          // Registered, but its run has not started: its winner is on the way, or died before
          // starting it (a crash in between). An event goes into that run, starting it if need
          // be; without one, Temporal's start decides who starts it.
          if (!event) next = last;
          else if (await startEntry(run, customerId, last, event)) return false;
          else continue; // it ran and closed meanwhile: read again
        } else if (previous.status.name === 'RUNNING') {
          // Already in: the event goes to that run; if it closed meanwhile, read again.
          if (!event || (await signalRun(handle, [event]))) return false;
          continue;
        } else {
          const cooldown = typeof policy === 'object' ? parseDuration(policy.after)! : 0;
          if (Date.now() - record!.lastEnteredAt.getTime() < cooldown) return false;
        }
      }
      // From the number read; a first entry only if no racing start has created the record since.
      const moved = await entries
        .updateOne({ _id: key, last: record ? last : { $exists: false } }, { $set: { last: next, lastEnteredAt: new Date() } }, { upsert: !record })
        .then((r) => r.modifiedCount + r.upsertedCount > 0, (err) => (isDuplicateKey(err) ? false : Promise.reject(err)));
      if (moved && (await startEntry(run, customerId, next, event))) return true;
    }
    return false;
  }

  /** Registers first entries not registered yet, in one write; returns how many were new. */
  async function registerFirstEntries(keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const lastEnteredAt = new Date();
    const result = await entries.bulkWrite(
      keys.map((key) => ({ updateOne: { filter: { _id: key }, update: { $setOnInsert: { last: 1, lastEnteredAt } }, upsert: true } })),
      { ordered: false },
    ).catch((err) => {
      // Two first entries racing: the loser's upsert meets the winner's document.
      if (isDuplicateKey(err)) return (err as { result: { upsertedCount: number } }).result;
      throw err;
    });
    return result.upsertedCount;
  }

  /**
   * Starts entry number `entry` of the customer's run. With an event, signals-with-start it: a
   * running run is only signalled. False when that run has closed (or, without an event, exists).
   */
  async function startEntry(run: RunTemplate | CodeRunTemplate, customerId: string, entry: number, event?: CustomerEvent): Promise<boolean> {
    const code = 'workflowType' in run;
    const args = code ? [{ customerId, entry, input: run.input }] : [{ ...run, customerId, entry } satisfies JourneyRunInput];
    const options = {
      workflowId: journeyWorkflowId(run.journeyId, customerId, entry),
      taskQueue,
      args,
      // Each entry runs once: a second start finds the first run, even closed.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: startSearchAttributes(run.journeyId, customerId, code ? undefined : run.definition.steps[0].id),
    };
    const workflowType = code ? run.workflowType : 'journeyWorkflow';
    try {
      if (event) {
        await client.workflow.signalWithStart<Workflow, [CustomerEvent]>(workflowType, {
          ...options,
          signal: customerEventSignal,
          signalArgs: [event],
        });
      } else {
        await client.workflow.start(workflowType, {
          ...options,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        });
      }
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }

  /** Signals the events to the run, in order; false when it has ended (nothing left to hear). */
  async function signalRun(handle: WorkflowHandle, events: CustomerEvent[]): Promise<boolean> {
    try {
      for (const event of events) await handle.signal(customerEventSignal, event);
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /**
   * Sends a signal to every running journey run matching the filter, START_CONCURRENCY at a
   * time. IDs in filters match ID_PATTERN (no quotes), so they are safe inside the query.
   */
  async function signalAll(filter: string, send: (handle: WorkflowHandle) => Promise<void>): Promise<number> {
    // Journey runs of every type (interpreted and code-first); launches are not runs.
    const query = `WorkflowType != "launchWorkflow" AND ExecutionStatus = "Running" AND ${filter}`;
    const inFlight = new Set<Promise<void>>();
    let signalled = 0;
    let failure: unknown;
    for await (const run of client.workflow.list({ query })) {
      if (failure) break;
      const task: Promise<void> = send(client.workflow.getHandle(run.workflowId))
        .then(() => void (signalled += 1))
        .catch((err) => {
          // A run that closed since the listing has nothing left to hear.
          if (!(err instanceof WorkflowNotFoundError)) failure ??= err;
        })
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (inFlight.size >= START_CONCURRENCY) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    return signalled;
  }

  return {
    start,

    /**
     * Sends each customer's events to their latest run of each journey that hears them, found by
     * workflow ID through the entry registry (one read for all), not through visibility. A
     * customer never entered gets no call; a run that has ended has nothing left to hear.
     */
    async signalHeard(targets: { journeyId: string; customerId: string; events: CustomerEvent[] }[]): Promise<number> {
      if (targets.length === 0) return 0;
      const registered = new Map(
        (await entries.find({ _id: { $in: targets.map((t) => entryKey(t.journeyId, t.customerId)) } }).lean()).map((e) => [e._id, e.last]),
      );
      let signalled = 0;
      await runLimited(
        START_CONCURRENCY,
        targets.flatMap((t) => {
          const entry = registered.get(entryKey(t.journeyId, t.customerId));
          if (entry === undefined) return [];
          const handle = client.workflow.getHandle(journeyWorkflowId(t.journeyId, t.customerId, entry));
          // In order, one after the other: a run hears the customer's events as they happened.
          return [
            async () => {
              if (await signalRun(handle, t.events)) signalled += 1;
            },
          ];
        }),
      );
      return signalled;
    },

    /** Asks every running run of the journey to stop; each ends through its own logic. */
    stopAll(journeyId: string, reason: string): Promise<number> {
      return signalAll(`${SA_JOURNEY.name} = "${journeyId}"`, (handle) => handle.signal(stopSignal, { reason }));
    },

    /** Tells every running run of the journey that it is paused (or resumed). */
    pauseAll(journeyId: string, paused: boolean): Promise<number> {
      return signalAll(`${SA_JOURNEY.name} = "${journeyId}"`, (handle) => handle.signal(paused ? pauseSignal : resumeSignal));
    },

    /** Tells the customer's run that they no longer match the journey's entry segment. */
    async leftSegment(journeyId: string, customerId: string): Promise<void> {
      await (await latestRun(journeyId, customerId))
        .signal(leftSegmentSignal)
        .catch((err) => {
          // No run, or it has ended: there is nothing to leave.
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        });
    },

    /** Asks one customer's run to stop; false when there is no running run. */
    async stop(journeyId: string, customerId: string, reason: string): Promise<boolean> {
      try {
        await (await latestRun(journeyId, customerId)).signal(stopSignal, { reason });
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },

    /**
     * Enters each customer, START_CONCURRENCY starts at a time. `onEntered` hears of each
     * customer as its start completes; `signal` stops taking new customers; `proceed` is asked
     * before each REGISTER_CHUNK customers' starts, and no further start begins once it says no.
     */
    async launch(
      run: RunTemplate | CodeRunTemplate,
      customerIds: string[],
      options: { signal?: AbortSignal; onEntered?: (index: number, entered: boolean) => void; proceed?: () => Promise<boolean> } = {},
    ): Promise<LaunchOutcome> {
      const outcome: LaunchOutcome = { entered: [], alreadyEntered: [] };
      // Without re-entry, the customers are registered REGISTER_CHUNK to a write, one write after
      // the other from the start, and each customer's start waits for its own chunk's write, so
      // the writes overlap the starts. Every customer's start goes to Temporal (which refuses a
      // second run): a launch resumed after a crash between registering and starting still
      // starts them.
      const once = policyOf(run) === 'never';
      const registered: Promise<unknown>[] = [];
      if (once) {
        for (let from = 0; from < customerIds.length; from += REGISTER_CHUNK) {
          const keys = customerIds.slice(from, from + REGISTER_CHUNK).map((c) => entryKey(run.journeyId, c));
          const write = (registered.at(-1) ?? Promise.resolve()).then(() => registerFirstEntries(keys));
          write.catch(() => {}); // awaited by the chunk's starts; a start that never runs must not leave it unhandled
          registered.push(write);
        }
      }
      const gates = new Map<number, Promise<boolean>>();
      const gate = (chunk: number) => {
        let open = gates.get(chunk);
        if (!open) {
          open = (once ? registered[chunk] : Promise.resolve()).then(() => (options.proceed ? options.proceed() : true));
          open.catch(() => {}); // awaited by the chunk's starts, like the registration write
          gates.set(chunk, open);
        }
        return open;
      };
      await runLimited(
        START_CONCURRENCY,
        customerIds.map((customerId, index) => async () => {
          options.signal?.throwIfAborted();
          if (outcome.halted || !(await gate(Math.floor(index / REGISTER_CHUNK)))) {
            outcome.halted = true;
            return;
          }
          const entered = once ? await startEntry(run, customerId, 1) : await start(run, customerId);
          (entered ? outcome.entered : outcome.alreadyEntered).push(customerId);
          countEntry(run.journeyId, 'launch', entered);
          options.onEntered?.(index, entered);
        }),
      );
      return outcome;
    },

    /**
     * Each registered entry's latest run, described by workflow ID (strongly consistent, unlike
     * a visibility listing): the entries come from the registry, a page at a time.
     */
    async summaries(journeyId: string, registered: Pick<JourneyEntryDoc, '_id' | 'last' | 'lastEnteredAt'>[]): Promise<RunSummary[]> {
      const out: RunSummary[] = new Array(registered.length);
      await runLimited(
        START_CONCURRENCY,
        registered.map((entry, i) => async () => {
          const customerId = entry._id.slice(journeyId.length + 1);
          const workflowId = journeyWorkflowId(journeyId, customerId, entry.last);
          const description = await describeIfExists(client.workflow.getHandle(workflowId));
          const attributes = description?.typedSearchAttributes;
          const [runStatus, step] = [attributes?.get(SA_STATUS), attributes?.get(SA_STEP)];
          out[i] = {
            customerId,
            entry: entry.last,
            workflowId,
            enteredAt: entry.lastEnteredAt,
            status: description?.status.name ?? 'NOT_STARTED',
            ...(runStatus !== undefined ? { runStatus } : {}),
            ...(step !== undefined ? { step } : {}),
          };
        }),
      );
      return out;
    },

    /** The customer's latest run of the journey. */
    async describe(journeyId: string, customerId: string): Promise<RunView | undefined> {
      const handle = await latestRun(journeyId, customerId);
      const description = await describeIfExists(handle);
      if (!description) return undefined;
      const state = await handle.query(journeyStateQuery).catch(() => undefined);
      return {
        workflowId: description.workflowId,
        runId: description.runId,
        status: description.status.name,
        startedAt: description.startTime,
        closedAt: description.closeTime,
        state,
      };
    },
  };
}
