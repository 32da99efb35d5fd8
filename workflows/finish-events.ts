// Run by the worker's schedule once a minute: finishes ingest batches left unfinished. A
// workflow, so an operator sees each pass and what it did in the Temporal UI.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SWEEP_OPTIONS } from './activity-options';

const { finishEvents } = proxyActivities<Activities>(SWEEP_OPTIONS);

export async function finishEventsWorkflow(): Promise<Awaited<ReturnType<typeof finishEvents>>> {
  return finishEvents();
}
