// Worker entry point: `node dist/workers/main.js`. Stops cleanly on SIGINT/SIGTERM (the
// Temporal runtime catches them and lets running tasks finish).
import { getHeapStatistics } from 'node:v8';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { registerCodeJourneys } from '../db/code-journey-records';
import { connectDatabase } from '../db/connect';
import { ConfigError, configuredChannels, loadConfig, requireSigningSecret } from '../lib/config';
import { backfillEntryRegistry } from '../lib/entry-backfill';
import { ensureEventSweep } from '../lib/event-sweep';
import { logger, temporalLogger } from '../lib/logger';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { temporalConnectionOptions } from '../lib/temporal';
import { createRealActivities } from './activity-deps';
import { createJourneyWorkers } from './create-worker';
import { sdkMetricsAddress, serveWorkerMetrics } from './metrics-server';

async function main(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  const signingSecret = requireSigningSecret(config);
  const sdkMetrics = config.worker.metricsAddress ? await sdkMetricsAddress() : undefined;
  // Before any connection: the runtime is made once per process. The SDK logs through ours, and
  // so does its Core (forwarded, at its default of warnings and up): every line is JSON.
  Runtime.install({
    logger: temporalLogger(),
    telemetryOptions: {
      logging: { forward: {} },
      ...(sdkMetrics ? { metrics: { prometheus: { bindAddress: sdkMetrics } } } : {}),
    },
  });
  const metricsServer = config.worker.metricsAddress ? await serveWorkerMetrics(config.worker.metricsAddress, sdkMetrics) : undefined;
  warnIfHeapTooSmall(config.worker.workflowCacheSize);
  const db = await connectDatabase(config.mongodbUri);
  const clientConnection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const added = await ensureSearchAttributes(clientConnection, config.temporal.namespace);
  if (added.length > 0) logger.info({ searchAttributes: added }, 'registered search attributes');
  await ensureEventSweep(client, config.temporal.taskQueue);
  await registerCodeJourneys(db.models);
  const backfilled = await backfillEntryRegistry(client, config.temporal.taskQueue, db.models);
  if (backfilled > 0) logger.info({ runs: backfilled }, 'registered runs started before the entry registry held every entry');
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
      workflowCacheSize: config.worker.workflowCacheSize,
      ...(config.worker.workflowBundle ? { workflowBundle: { codePath: config.worker.workflowBundle } } : {}),
    });
    const rates = configuredChannels(config).map((c) => `${c} ${config.sendRates[c]}/s`).join(', ');
    logger.info(
      { taskQueue: config.temporal.taskQueue },
      `polling task queue ${config.temporal.taskQueue} (+ one per channel: ${rates}) on ${config.temporal.address}, ` +
        `caching up to ${config.worker.workflowCacheSize} runs${config.worker.metricsAddress ? `, metrics at http://${config.worker.metricsAddress}/metrics` : ''}`,
    );
    await worker.run();
  } finally {
    metricsServer?.close();
    await close();
    await connection.close();
    await clientConnection.close();
    await db.close();
  }
}

/**
 * A cached run holds about 0.1 MB of the workflow thread's heap (more with a large definition):
 * a heap capped for a small cache (workers/process-env.ts) would run out under a large one.
 */
function warnIfHeapTooSmall(cacheSize: number): void {
  const heapMiB = getHeapStatistics().heap_size_limit / 2 ** 20;
  const neededMiB = 64 + cacheSize * 0.25;
  if (neededMiB > heapMiB) {
    logger.warn(
      `caching ${cacheSize} runs may need about ${neededMiB.toFixed(0)} MB of heap, over the limit of ${heapMiB.toFixed(0)} MB: ` +
        'raise --max-old-space-size (NODE_OPTIONS) or lower CAIRN_WORKFLOW_CACHE_SIZE',
    );
  }
}

main().catch((err) => {
  // A configuration error says all in its message; anything else keeps its stack.
  logger.fatal(err instanceof ConfigError ? {} : { err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
});
