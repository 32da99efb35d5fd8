// A customer's journey runs in Temporal, for export and erasure. Found two ways: visibility
// (every run that carries the customer's CairnCustomerId, continued-as-new ones included) and
// the entry registry (strongly consistent, so a run started a moment ago is not missed where
// visibility lags). Erasure stops each running run as a journey stop does, waits for it to end
// (a run that does not end in time is terminated), keeps its numbers for journey stats
// (db/erased-runs.ts) and deletes it, history and visibility record, from Temporal.
import { type Client, WorkflowExecutionDescription, WorkflowNotFoundError } from '@temporalio/client';
import { journeyWorkflowId } from '../core/ids';
import { escapeRegExp } from '../core/segment-rules';
import { SA_CONVERTED, SA_CUSTOMER, SA_JOURNEY, SA_OPTIMIZE, SA_SPLITS, SA_STATUS, SA_VISITED, stopSignal } from '../core/journey-contract';
import { countErasedRun } from '../db/erased-runs';
import type { Models } from '../db/models';
import { runLimited } from './concurrency';
import { logger } from './logger';
import { erasedKey } from '../db/erased-sends';
import { describeIfExists } from './temporal';

export interface CustomerRun {
  workflowId: string;
  runId: string;
  journeyId?: string;
  workflowType: string;
  /** Temporal's execution status: RUNNING, COMPLETED, TERMINATED... */
  status: string;
  /** The run's own status (CairnStatus): running, waiting, completed, exited, stopped. */
  journeyStatus?: string;
  startedAt: Date;
  closedAt?: Date;
}

export type CustomerRuns = ReturnType<typeof createCustomerRuns>;

/** How long erasure waits for stopped runs to end before it terminates them. */
const STOP_WAIT_MS = 15_000;
const POLL_MS = 250;
/**
 * How long erasure waits for Temporal to delete a run, asking again every DELETE_RETRY_MS;
 * generous, as a loaded dev server has taken over 30 s to carry one out.
 */
const DELETE_WAIT_MS = 90_000;
const DELETE_RETRY_MS = 3_000;
const CONCURRENCY = 8;
/** gRPC NOT_FOUND: the run is gone already. */
const NOT_FOUND = 5;

/** The entry registry's documents of the customer: `_id` is `<journey>:<customer>`, and neither ID holds ":". */
export const customerEntries = (customerId: string) => ({ _id: { $regex: `^[^:]+:${escapeRegExp(customerId)}$` } });

/** The entry registry's documents of the journey: "<journeyId>:<customerId>", IDs hold no ":" or ";", so `_id`s from "<id>:" to "<id>;". */
export const entriesOfJourney = (journeyId: string) => ({ _id: { $gt: `${journeyId}:`, $lt: `${journeyId};` } });

function runOf(d: Pick<WorkflowExecutionDescription, 'workflowId' | 'runId' | 'type' | 'status' | 'startTime' | 'closeTime' | 'typedSearchAttributes'>): CustomerRun {
  const journeyId = d.typedSearchAttributes.get(SA_JOURNEY);
  const journeyStatus = d.typedSearchAttributes.get(SA_STATUS);
  return {
    workflowId: d.workflowId,
    runId: d.runId,
    ...(journeyId ? { journeyId } : {}),
    workflowType: d.type,
    status: d.status.name,
    ...(journeyStatus ? { journeyStatus } : {}),
    startedAt: d.startTime,
    ...(d.closeTime ? { closedAt: d.closeTime } : {}),
  };
}

export function createCustomerRuns(client: Client, models: Pick<Models, 'journeyEntries' | 'erasedRuns'>) {
  const handleOf = (run: CustomerRun) => client.workflow.getHandle(run.workflowId, run.runId);

  /** Every run of the customer Temporal holds, oldest first. IDs match ID_PATTERN: safe in the query. */
  async function list(customerId: string): Promise<CustomerRun[]> {
    const runs = new Map<string, CustomerRun>();
    const query = `${SA_CUSTOMER.name} = "${customerId}" AND WorkflowType != "launchWorkflow"`;
    for await (const info of client.workflow.list({ query })) runs.set(`${info.workflowId}/${info.runId}`, runOf(info));
    const entries = await models.journeyEntries.find(customerEntries(customerId)).lean();
    const ids = entries.flatMap((e) => Array.from({ length: e.last }, (_, i) => journeyWorkflowId(e._id.slice(0, e._id.indexOf(':')), customerId, i + 1)));
    await runLimited(
      CONCURRENCY,
      ids.map((id) => async () => {
        const description = await describeIfExists(client.workflow.getHandle(id));
        if (description) runs.set(`${description.workflowId}/${description.runId}`, runOf(description));
      }),
    );
    return [...runs.values()].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  }

  /** Ends the run: the stop signal first, so it ends through its own logic; terminated if it has not ended in time. */
  async function end(run: CustomerRun, reason: string): Promise<CustomerRun> {
    const handle = handleOf(run);
    await handle.signal(stopSignal, { reason }).catch(ignoreGone);
    for (const deadline = Date.now() + STOP_WAIT_MS; Date.now() < deadline; ) {
      const d = await describeIfExists(handle);
      if (!d || d.status.name !== 'RUNNING') return d ? runOf(d) : run;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    await handle.terminate(reason).catch(ignoreGone);
    return { ...run, status: 'TERMINATED' };
  }

  /**
   * Stops the customer's running runs (no send goes out after: the send activity checks the
   * suppression under its claim), then counts and deletes every run. Returns how many of each.
   */
  async function erase(customerId: string, reason: string): Promise<{ stopped: number; deleted: number }> {
    const runs = await list(customerId);
    let stopped = 0;
    let deleted = 0;
    await runLimited(
      CONCURRENCY,
      runs.map((run) => async () => {
        if (run.status === 'RUNNING') {
          await end(run, reason);
          stopped += 1;
        }
        const d = await describeIfExists(handleOf(run));
        if (!d) return;
        if (d.type === 'journeyWorkflow' && run.journeyId) {
          const status = d.status.name === 'TERMINATED' ? 'stopped' : (d.typedSearchAttributes.get(SA_STATUS) ?? 'stopped');
          await countErasedRun(models.erasedRuns, {
            workflowId: d.workflowId,
            runId: d.runId,
            journeyId: run.journeyId,
            status,
            visited: d.typedSearchAttributes.get(SA_VISITED) ?? [],
            splits: d.typedSearchAttributes.get(SA_SPLITS) ?? [],
            optimize: d.typedSearchAttributes.get(SA_OPTIMIZE) ?? [],
            converted: d.typedSearchAttributes.get(SA_CONVERTED) === true,
          });
        }
        if (await deleteRun(d.workflowId, d.runId)) deleted += 1;
      }),
    );
    return { stopped, deleted };
  }

  /**
   * Deletes the run's history and visibility record. Temporal deletes asynchronously and, for a
   * run closed a moment ago, may drop the request while it still records the close; so the run
   * is asked after until it is gone, the request repeated. False when it outlived DELETE_WAIT_MS.
   */
  async function deleteRun(workflowId: string, runId: string): Promise<boolean> {
    const handle = client.workflow.getHandle(workflowId, runId);
    for (const deadline = Date.now() + DELETE_WAIT_MS; Date.now() < deadline; ) {
      await client.workflowService.deleteWorkflowExecution({ namespace: client.options.namespace, workflowExecution: { workflowId, runId } }).catch((err) => {
        if ((err as { code?: number }).code !== NOT_FOUND) throw err;
      });
      for (const again = Date.now() + DELETE_RETRY_MS; Date.now() < again; ) {
        if (!(await describeIfExists(handle))) return true;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    }
    logger.warn({ workflowId: erasedKey(workflowId) }, 'an erased customer\'s run was not deleted in time: erase them again to finish');
    return false;
  }

  return { list, erase };
}

function ignoreGone(err: unknown): void {
  if (!(err instanceof WorkflowNotFoundError)) throw err;
}
