// Run by the worker's schedule once a minute: finishes ingest batches left unfinished, then
// tells runs whose customers left a windowed entry segment with time alone. A workflow, so an
// operator sees each pass and what it did in the Temporal UI.
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { SWEEP_OPTIONS } from './activity-options';

const { finishEvents, recheckSegmentExits } = proxyActivities<Activities>(SWEEP_OPTIONS);

/** Passes recorded before it ran the first activity only. */
export const SWEEP_RECHECKS_EXITS = 'sweep-rechecks-segment-exits';

export async function finishEventsWorkflow(): Promise<Awaited<ReturnType<typeof finishEvents>> & { exitsTold?: number }> {
  const finished = await finishEvents();
  if (!patched(SWEEP_RECHECKS_EXITS)) return finished;
  // The workflow's clock: windows count back from the pass's own time (skipped time in tests).
  return { ...finished, exitsTold: (await recheckSegmentExits({ asOf: new Date().toISOString() })).told };
}
