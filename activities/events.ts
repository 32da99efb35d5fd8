// The event sweep as an activity: finishes ingest batches whose request died part-way (see
// lib/event-ingest.ts). The worker's schedule runs it once a minute (lib/event-sweep.ts).
import type { SweepResult } from '../lib/event-ingest';

export interface EventSweepDeps {
  finishEvents: () => Promise<SweepResult>;
}

export function createEventActivities(deps: EventSweepDeps) {
  return {
    /** Batches finished and events read now; everything received up to `through` is finished. */
    async finishEvents(): Promise<{ finished: number; examined: number; through: string }> {
      const result = await deps.finishEvents();
      return { finished: result.finished, examined: result.examined, through: result.through.toISOString() };
    },
  };
}
