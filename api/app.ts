// The HTTP API. createApp builds it from its dependencies; server.ts listens.
import express, { Express } from 'express';
import type { Models } from '../db/models';
import { requireApiKey } from './auth';
import { errorHandler, notFound } from './errors';
import type { JourneyEntry } from '../lib/journey-entry';
import type { JourneyStatsReader } from '../lib/journey-stats';
import type { JourneyRuns } from '../lib/journey-runs';
import type { Launches } from '../lib/launches';
import { openApiDocument } from './openapi';
import { codeJourneysRouter } from './routes/code-journeys';
import { customersRouter } from './routes/customers';
import { eventsRouter } from './routes/events';
import { journeysRouter } from './routes/journeys';
import { launchesRouter } from './routes/launches';
import { segmentsRouter } from './routes/segments';
import { settingsRouter } from './routes/settings';
import { templatesRouter } from './routes/templates';

export interface AppDeps {
  apiKeys: string[];
  models: Models;
  runs: JourneyRuns;
  launches: Launches;
  entry: JourneyEntry;
  stats: JourneyStatsReader;
  /** Each answers true when its server is reachable; /readyz asks them all. */
  readiness: Record<string, () => Promise<boolean>>;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = Object.fromEntries(
      await Promise.all(Object.entries(deps.readiness).map(async ([name, check]) => [name, await check().catch(() => false)])),
    );
    const ready = Object.values(checks).every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });

  const v1 = express.Router();
  v1.use(requireApiKey(deps.apiKeys));
  v1.use(express.json({ limit: '1mb' }));
  v1.use('/customers', customersRouter(deps.models, deps.entry));
  v1.use('/events', eventsRouter(deps.models, deps.entry));
  v1.use('/templates', templatesRouter(deps.models));
  v1.use('/segments', segmentsRouter(deps.models));
  v1.use('/journeys', journeysRouter(deps), launchesRouter(deps));
  v1.use('/code-journeys', codeJourneysRouter(deps));
  v1.use('/settings', settingsRouter(deps.models));
  app.use('/v1', v1);

  app.use((req, _res, next) => next(notFound(`route ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return app;
}
