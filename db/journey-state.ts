// A journey's state as sends and launches see it, read per journey through a short cache: a
// pause or a stop reaches every process within JOURNEY_STATE_REFRESH_MS, and a stop waits that
// long before it answers (api/routes/launches.ts).
import type { Models } from './models';
import { refreshedEvery } from '../lib/refreshed';

export const JOURNEY_STATE_REFRESH_MS = 2_000;

export interface JourneyState {
  paused: boolean;
  /** Stopped or archived: its runs send nothing more, and its launches enter nobody. */
  stopped: boolean;
}

/** The journey's state now, read from the store (code-first types have no journey document: neither). */
export async function readJourneyState(models: Pick<Models, 'journeys'>, journeyId: string): Promise<JourneyState> {
  const journey = await models.journeys.findById(journeyId, { paused: 1, stopped: 1, archived: 1 }).lean();
  return { paused: journey?.paused === true, stopped: journey?.stopped === true || journey?.archived === true };
}

/** readJourneyState through the cache. */
export function cachedJourneyState(models: Pick<Models, 'journeys'>) {
  return refreshedEvery(JOURNEY_STATE_REFRESH_MS, (journeyId: string) => readJourneyState(models, journeyId));
}
