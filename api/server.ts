// API entry point: `node dist/api/server.js`. Stops accepting on SIGINT/SIGTERM, finishes
// in-flight requests, then closes its connections.
import { Client, Connection } from '@temporalio/client';
import { registerCodeJourneys } from '../db/code-journey-records';
import { connectDatabase } from '../db/connect';
import { ConfigError, configuredChannels, loadConfig, requireSigningSecret } from '../lib/config';
import { logger, temporalLogger } from '../lib/logger';
import { Runtime } from '@temporalio/worker';
import { temporalConnectionOptions } from '../lib/temporal';
import { createApp } from './app';
import { createServices } from '../lib/services';
import { createChannelAdapters } from '../lib/delivery-channels';
import { createJourneySimulator } from '../lib/journey-simulation';
import { createSimulationHosts } from '../lib/simulation-hosts';
import { unsubscribeUrl } from '../core/unsubscribe-links';
import { visibilityTrialCount } from '../lib/split-optimize-stats';

async function main(): Promise<void> {
  const config = loadConfig();
  logger.level = config.logLevel;
  if (config.apiKeys.length === 0) throw new ConfigError('invalid configuration:\n  CAIRN_API_KEYS: set at least one API key');
  const signingSecret = requireSigningSecret(config);
  // Simulations run Temporal workers in this process: the SDK and its Core log through ours.
  Runtime.install({ logger: temporalLogger(), telemetryOptions: { logging: { forward: {} } } });
  const db = await connectDatabase(config.mongodbUri);
  await registerCodeJourneys(db.models);
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  const client = new Client({ connection, namespace: config.temporal.namespace });
  // Test sends (POST /v1/templates/{id}/test-send) reach the providers as the worker does.
  const adapters = createChannelAdapters(db.models, { ...config, signingSecret });
  // Simulations run here, each on a time-skipping server of its own; one is kept warm.
  const simulationHosts = createSimulationHosts(config.simulation);
  void simulationHosts.warm();

  const app = createApp({
    apiKeys: config.apiKeys,
    models: db.models,
    signingSecret,
    publicUrl: config.publicUrl,
    channels: configuredChannels(config),
    adapters: adapters.channels,
    simulate: createJourneySimulator({
      models: db.models,
      adapters: adapters.channels,
      unsubscribeUrl: (customerId, journeyId) => unsubscribeUrl(config.publicUrl, signingSecret, customerId, journeyId),
      hosts: simulationHosts,
      countTrials: visibilityTrialCount(client),
    }),
    ...(config.sms ? { twilioAuthToken: config.sms.authToken } : {}),
    ...createServices(client, config.temporal.taskQueue, db.models),
    readiness: {
      mongodb: () => db.ping(),
      temporal: async () => {
        await connection.healthService.check({});
        return true;
      },
    },
  });
  const server = app.listen(config.port, () => logger.info({ port: config.port }, `listening on http://localhost:${config.port}`));

  const stop = () => {
    app.closeStreams();
    server.close(async () => {
      await simulationHosts.close();
      await adapters.close();
      await connection.close();
      await db.close();
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  // A configuration error says all in its message; anything else keeps its stack.
  logger.fatal(err instanceof ConfigError ? {} : { err }, err instanceof Error ? err.message : String(err));
  process.exit(1);
});
