// Starting and reading journey runs in Temporal. Knows nothing of HTTP.
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { journeyWorkflowId } from '../core/ids';
import {
  JourneyRunInput,
  JourneyRunState,
  journeyStateQuery,
  SA_CUSTOMER,
  SA_JOURNEY,
  SA_STATUS,
  SA_STEP,
} from '../core/journey-contract';
import type { journeyWorkflow } from '../workflows/journey';

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

export function createJourneyRuns(client: Client, taskQueue: string) {
  async function start(run: Omit<JourneyRunInput, 'customerId' | 'entry'>, customerId: string): Promise<boolean> {
    const input: JourneyRunInput = { ...run, customerId, entry: 1 };
    try {
      await client.workflow.start<typeof journeyWorkflow>('journeyWorkflow', {
        workflowId: journeyWorkflowId(run.journeyId, customerId, input.entry),
        taskQueue,
        args: [input],
        // A customer enters a journey once: a second launch finds the first run, even closed.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        typedSearchAttributes: [
          { key: SA_JOURNEY, value: run.journeyId },
          { key: SA_CUSTOMER, value: customerId },
          { key: SA_STEP, value: run.definition.steps[0].id },
          { key: SA_STATUS, value: 'running' },
        ],
      });
      return true;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
      throw err;
    }
  }

  return {
    /**
     * Enters each customer, START_CONCURRENCY starts at a time. `onEntered` hears of each
     * customer as its start completes; `signal` stops taking new customers.
     */
    async launch(
      run: Omit<JourneyRunInput, 'customerId' | 'entry'>,
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

    async describe(journeyId: string, customerId: string): Promise<RunView | undefined> {
      const handle = client.workflow.getHandle(journeyWorkflowId(journeyId, customerId));
      let description;
      try {
        description = await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
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
