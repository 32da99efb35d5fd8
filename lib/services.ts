// The Temporal-facing services the API uses, built once from a client and a task queue.
import type { Client } from '@temporalio/client';
import type { Models } from '../db/models';
import { createJourneyEntry } from './journey-entry';
import { createJourneyRuns } from './journey-runs';
import { createJourneyStats } from './journey-stats';
import { createLaunches } from './launches';

export function createServices(client: Client, taskQueue: string, models: Models) {
  const runs = createJourneyRuns(client, taskQueue, models.journeyEntries);
  return {
    runs,
    launches: createLaunches(client, taskQueue),
    entry: createJourneyEntry({ models, runs }),
    stats: createJourneyStats(client, models),
  };
}
