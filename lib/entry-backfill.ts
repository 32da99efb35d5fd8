// Once per deployment: registers the runs that started before every entry was registered
// (journeys without re-entry had none), so events reach them through the registry too. Lists
// running runs through visibility, which is fine for a one-off pass at worker start.
import type { Client } from '@temporalio/client';
import type { Models } from '../db/models';
import { isDuplicateKey } from '../db/duplicate-key';

const DONE = 'entry-registry-backfill';
const WORKFLOW_ID = /^journey:([^:]+):([^:]+):(\d+)$/;
const BATCH = 500;

export async function backfillEntryRegistry(client: Client, taskQueue: string, models: Pick<Models, 'journeyEntries' | 'settings'>): Promise<number> {
  if (await models.settings.exists({ _id: DONE })) return 0;
  let registered = 0;
  let ops: Parameters<Models['journeyEntries']['bulkWrite']>[0] = [];
  const flush = async () => {
    if (ops.length === 0) return;
    const result = await models.journeyEntries.bulkWrite(ops, { ordered: false }).catch((err) => {
      if (isDuplicateKey(err)) return (err as { result: { upsertedCount: number } }).result;
      throw err;
    });
    registered += result.upsertedCount;
    ops = [];
  };
  // Task queue names come from configuration; quotes in one would end the query string.
  const query = `ExecutionStatus = "Running" AND TaskQueue = "${taskQueue.replace(/"/g, '')}" AND WorkflowId STARTS_WITH "journey:"`;
  for await (const run of client.workflow.list({ query })) {
    const match = WORKFLOW_ID.exec(run.workflowId);
    if (!match) continue;
    const [, journeyId, customerId, entry] = match;
    ops.push({
      updateOne: {
        filter: { _id: `${journeyId}:${customerId}` },
        update: { $max: { last: Number(entry) }, $setOnInsert: { lastEnteredAt: run.startTime } },
        upsert: true,
      },
    });
    if (ops.length >= BATCH) await flush();
  }
  await flush();
  await models.settings.updateOne({ _id: DONE }, { $set: { value: { registered, at: new Date() }, updatedAt: new Date() } }, { upsert: true });
  return registered;
}
