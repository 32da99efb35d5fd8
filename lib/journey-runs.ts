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
  SA_CUSTOMER,
  SA_JOURNEY,
  SA_STATUS,
  SA_STEP,
  leftSegmentSignal,
  pauseSignal,
  resumeSignal,
  stopSignal,
} from '../core/journey-contract';
import type { JourneyEntryDoc } from '../db/models';
import { describeIfExists } from './temporal';

/** How many workflow starts one launch keeps in flight at once. */
const START_CONCURRENCY = 16;

export interface LaunchOutcome {
  /** Customers who entered the journey now. */
  entered: string[];
  /** Customers who already had a run of this journey: not entered again. */
  alreadyEntered: string[];
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

export type JourneyRuns = ReturnType<typeof createJourneyRuns>;

/** A run's input without the customer: the same for everyone a launch enters. */
export type RunTemplate = Omit<JourneyRunInput, 'customerId' | 'entry'>;

/** A code-first journey (workflows/code-first/): its ID and the workflow type that runs it. */
export interface CodeRunTemplate {
  journeyId: string;
  workflowType: string;
}

export function createJourneyRuns(client: Client, taskQueue: string, entries: Model<JourneyEntryDoc>) {
  /** The handle of the customer's latest entry into the journey (from the entry registry; 1 without one). */
  async function latestRun(journeyId: string, customerId: string) {
    const entry = (await entries.findById(`${journeyId}:${customerId}`).lean())?.last ?? 1;
    return client.workflow.getHandle(journeyWorkflowId(journeyId, customerId, entry));
  }

  /**
   * Enters the customer, as the journey's re-entry policy allows; with an event, starts the run
   * with that event as its first signal (event-triggered entry). False when the customer is
   * not entered (already in, or already entered and re-entry not allowed yet).
   */
  async function start(run: RunTemplate | CodeRunTemplate, customerId: string, event?: CustomerEvent): Promise<boolean> {
    const policy = 'workflowType' in run ? 'never' : (run.definition.settings?.reentry ?? 'never');
    if (policy === 'never') return startEntry(run, customerId, 1, event);
    // Entry numbers come from the registry; a start that finds its number taken (a race, or a
    // crash before the registry was updated) records it and decides again.
    const key = `${run.journeyId}:${customerId}`;
    for (let attempt = 0; attempt < 5; attempt++) {
      const record = await entries.findById(key).lean();
      const last = record?.last ?? 0;
      if (last > 0) {
        const previous = await describeIfExists(client.workflow.getHandle(journeyWorkflowId(run.journeyId, customerId, last)));
        if (previous?.status.name === 'RUNNING') return false;
        const cooldown = typeof policy === 'object' ? parseDuration(policy.after)! : 0;
        if (record && Date.now() - record.lastEnteredAt.getTime() < cooldown) return false;
      }
      const entered = await startEntry(run, customerId, last + 1, event);
      await recordEntry(key, last + 1);
      if (entered) return true;
    }
    return false;
  }

  /** Moves the registry to at least `entry`; two first entries racing to create it both land. */
  async function recordEntry(key: string, entry: number): Promise<void> {
    const update = { $max: { last: entry }, $set: { lastEnteredAt: new Date() } };
    try {
      await entries.updateOne({ _id: key }, update, { upsert: true });
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      await entries.updateOne({ _id: key }, update);
    }
  }

  /** Starts entry number `entry` of the customer's run; false when that run already exists. */
  async function startEntry(run: RunTemplate | CodeRunTemplate, customerId: string, entry: number, event?: CustomerEvent): Promise<boolean> {
    const code = 'workflowType' in run;
    const args = code ? [{ customerId, entry }] : [{ ...run, customerId, entry } satisfies JourneyRunInput];
    const options = {
      workflowId: journeyWorkflowId(run.journeyId, customerId, entry),
      taskQueue,
      args,
      // Each entry runs once: a second start finds the first run, even closed.
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: SA_JOURNEY, value: run.journeyId },
        { key: SA_CUSTOMER, value: customerId },
        ...(code ? [] : [{ key: SA_STEP, value: run.definition.steps[0].id }]),
        { key: SA_STATUS, value: 'running' },
      ],
    };
    const workflowType = code ? run.workflowType : 'journeyWorkflow';
    try {
      if (event) {
        // Signal-with-start on a running run only signals it: that is no new entry.
        const existing = await describeIfExists(client.workflow.getHandle(options.workflowId));
        if (existing) return false;
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

    /** Sends the events to every running journey of the customer (one listing for all of them). */
    async signalRunning(customerId: string, events: CustomerEvent[]): Promise<number> {
      return signalAll(`${SA_CUSTOMER.name} = "${customerId}"`, async (handle) => {
        // In order, one after the other: a run hears the customer's events as they happened.
        for (const event of events) await handle.signal(customerEventSignal, event);
      });
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
     * customer as its start completes; `signal` stops taking new customers.
     */
    async launch(
      run: RunTemplate | CodeRunTemplate,
      customerIds: string[],
      options: { signal?: AbortSignal; onEntered?: (index: number, entered: boolean) => void } = {},
    ): Promise<LaunchOutcome> {
      const outcome: LaunchOutcome = { entered: [], alreadyEntered: [] };
      let next = 0;
      const lane = async () => {
        while (next < customerIds.length) {
          options.signal?.throwIfAborted();
          const index = next++;
          const entered = await start(run, customerIds[index]);
          (entered ? outcome.entered : outcome.alreadyEntered).push(customerIds[index]);
          options.onEntered?.(index, entered);
        }
      };
      await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, customerIds.length) }, lane));
      return outcome;
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
