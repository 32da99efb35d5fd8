// The minute sweep's activities, run by the worker's schedule (lib/event-sweep.ts): finishing
// ingest batches whose request died part-way (lib/event-ingest.ts), and telling runs whose
// customers left their entry segment with time alone (lib/journey-entry.ts).
import type { SweepResult } from '../lib/event-ingest';

export interface EventSweepDeps {
  finishEvents: () => Promise<SweepResult>;
  recheckLapsed: (asOf: Date) => Promise<number>;
}

export function createEventActivities(deps: EventSweepDeps) {
  return {
    /** Batches finished and events read now; everything received up to `through` is finished. */
    async finishEvents(): Promise<{ finished: number; examined: number; through: string }> {
      const result = await deps.finishEvents();
      return { finished: result.finished, examined: result.examined, through: result.through.toISOString() };
    },

    /**
     * How many runs were told that their customer's windowed segment membership lapsed, with
     * windows counted back from `asOf` (the sweep's workflow time; passes recorded before it sent none).
     */
    async recheckSegmentExits(input?: { asOf?: string }): Promise<{ told: number }> {
      return { told: await deps.recheckLapsed(input?.asOf ? new Date(input.asOf) : new Date()) };
    },
  };
}
