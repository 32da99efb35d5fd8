// Worker entry point: `node dist/workers/main.js`. Stops cleanly on SIGINT/SIGTERM (the
// Temporal runtime catches them and lets running tasks finish).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { connectDatabase } from '../db/connect';
import { configuredChannels, loadConfig, requireSigningSecret } from '../lib/config';
import { backfillEntryRegistry } from '../lib/entry-backfill';
import { ensureEventSweep } from '../lib/event-sweep';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { temporalConnectionOptions } from '../lib/temporal';
import { createRealActivities } from './activity-deps';
import { createJourneyWorkers } from './create-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const signingSecret = requireSigningSecret(config);
  const db = await connectDatabase(config.mongodbUri);
  const clientConnection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const added = await ensureSearchAttributes(clientConnection, config.temporal.namespace);
  if (added.length > 0) console.log(`cairn worker: registered search attributes ${added.join(', ')}`);
  await ensureEventSweep(client, config.temporal.taskQueue);
  const backfilled = await backfillEntryRegistry(client, config.temporal.taskQueue, db.models);
  if (backfilled > 0) console.log(`cairn worker: registered ${backfilled} runs started before the entry registry held every entry`);
  const { activities, close } = createRealActivities(db, { ...config, signingSecret }, { client, taskQueue: config.temporal.taskQueue });
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  try {
    const worker = await createJourneyWorkers({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities,
      sendRates: config.sendRates,
      sendChannels: configuredChannels(config),
    });
    const rates = configuredChannels(config).map((c) => `${c} ${config.sendRates[c]}/s`).join(', ');
    console.log(`cairn worker: polling task queue ${config.temporal.taskQueue} (+ one per channel: ${rates}) on ${config.temporal.address}`);
    await worker.run();
  } finally {
    await close();
    await connection.close();
    await clientConnection.close();
    await db.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
