// The Temporal-facing services the API uses, built once from a client and a task queue.
import type { Client } from '@temporalio/client';
import type { Models } from '../db/models';
import { createEventIngest } from './event-ingest';
import { createJourneyEntry } from './journey-entry';
import { createJourneyRuns } from './journey-runs';
import { createJourneyStats } from './journey-stats';
import { createLaunches } from './launches';
import { createCustomerErasure } from './customer-erasure';
import { createCustomerRuns } from './customer-runs';

export function createServices(client: Client, taskQueue: string, models: Models) {
  const runs = createJourneyRuns(client, taskQueue, models.journeyEntries);
  const entry = createJourneyEntry({ models, runs });
  const customerRuns = createCustomerRuns(client, models);
  return {
    customerRuns,
    erasure: createCustomerErasure({ models, runs: customerRuns }),
    runs,
    launches: createLaunches(client, taskQueue),
    entry,
    events: createEventIngest(models, entry),
    stats: createJourneyStats(client, models),
  };
}
