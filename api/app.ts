// The HTTP API. createApp builds it from its dependencies; server.ts listens.
import express, { Express } from 'express';
import { CHANNELS, type Channel } from '../core/channels';
import type { Models } from '../db/models';
import { requireApiKey } from './auth';
import { errorHandler, notFound } from './errors';
import { noteMatchedRoute } from './matched-route';
import { serveMetrics, timeRequests } from './metrics';
import { requestLog } from './request-log';
import { methodNotAllowed } from './method-not-allowed';
import type { EventIngest } from '../lib/event-ingest';
import type { JourneyEntry } from '../lib/journey-entry';
import type { JourneyStatsReader } from '../lib/journey-stats';
import type { JourneyRuns } from '../lib/journey-runs';
import type { Launches } from '../lib/launches';
import type { ChannelAdapters } from '../lib/delivery-channels';
import type { JourneySimulator } from '../lib/journey-simulation';
import type { CustomerErasure } from '../lib/customer-erasure';
import type { CustomerRuns } from '../lib/customer-runs';
import { gaugeRunningLaunches } from '../lib/metrics';
import { openApiDocument } from './openapi';
import { codeJourneysRouter } from './routes/code-journeys';
import { customersRouter } from './routes/customers';
import { deliveriesRouter } from './routes/deliveries';
import { customerInboxTokenRouter, inboxRouter } from './routes/inbox';
import { twilioWebhooksRouter } from './routes/twilio-webhooks';
import { unsubscribeRouter } from './routes/unsubscribe';
import { eventsRouter } from './routes/events';
import { engagementRouter } from './routes/engagement';
import { createEngagementEvents } from '../lib/engagement-events';
import { journeyPictureRouter } from './routes/journey-picture';
import { journeysRouter } from './routes/journeys';
import { journeySimulationsRouter } from './routes/journey-simulations';
import { launchRoutes } from './routes/launches';
import { segmentsRouter } from './routes/segments';
import { settingsRouter } from './routes/settings';
import { suppressionsRouter } from './routes/suppressions';
import { templatesRouter } from './routes/templates';
import { templateTriesRouter } from './routes/template-tries';

export interface AppDeps {
  apiKeys: string[];
  models: Models;
  runs: JourneyRuns;
  launches: Launches;
  entry: JourneyEntry;
  events: EventIngest;
  stats: JourneyStatsReader;
  /** Erases a customer (DELETE /v1/customers/{id}). */
  erasure: CustomerErasure;
  /** A customer's journey runs in Temporal (their export, their erasure). */
  customerRuns: Pick<CustomerRuns, 'list'>;
  /** Each answers true when its server is reachable; /readyz asks them all. */
  readiness: Record<string, () => Promise<boolean>>;
  /** Signs and checks unsubscribe links and customers' inbox tokens. */
  signingSecret: string;
  /** Where browsers and providers reach this API (CAIRN_PUBLIC_URL); webhook signatures cover it. */
  publicUrl: string;
  /** Twilio's auth token, to check its webhooks' signatures; absent, the Twilio webhooks are off. */
  twilioAuthToken?: string;
  /** The channels with a provider configured; journeys may send only on these (default: all). */
  channels?: readonly Channel[];
  /** Their adapters (lib/delivery-channels.ts), for test sends; absent, test sends are refused. */
  adapters?: ChannelAdapters;
  /** Journey simulations (lib/journey-simulation.ts); absent, they are refused with 503. */
  simulate?: JourneySimulator;
}

export type CairnApp = Express & {
  /** Ends the open inbox streams, so that closing the HTTP server does not wait on them. */
  closeStreams(): void;
};

export function createApp(deps: AppDeps): CairnApp {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(noteMatchedRoute);
  app.use(timeRequests());
  app.use(requestLog);
  app.use(methodNotAllowed(openApiDocument() as { paths: Record<string, object> }));

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
  // Prometheus scrapes with an API key (its `authorization` setting): the API faces customers' browsers.
  gaugeRunningLaunches(() => deps.launches.countRunning());
  app.get('/metrics', requireApiKey(deps.apiKeys), serveMetrics);

  // Reached by customers' browsers, apps and providers: each checks its own credentials (a signed
  // token, Twilio's signature) instead of an API key.
  const engagement = createEngagementEvents({ models: deps.models, events: deps.events });
  const inbox = inboxRouter({ models: deps.models, secret: deps.signingSecret, engagement });
  app.use('/inbox', inbox);
  app.use(engagementRouter({ secret: deps.signingSecret, engagement }));
  app.use('/unsubscribe', unsubscribeRouter({ models: deps.models, secret: deps.signingSecret, entry: deps.entry }));
  if (deps.twilioAuthToken) {
    app.use('/webhooks/twilio', twilioWebhooksRouter({ models: deps.models, authToken: deps.twilioAuthToken, publicUrl: deps.publicUrl, entry: deps.entry }));
  }

  // The journey picture's page and files: static, so without a key; the page asks for one.
  app.use(journeyPictureRouter());

  const v1 = express.Router();
  v1.use(requireApiKey(deps.apiKeys));
  v1.use(express.json({ limit: '1mb' }));
  v1.use('/customers', customersRouter(deps.models, deps.entry, deps), customerInboxTokenRouter({ models: deps.models, secret: deps.signingSecret }));
  v1.use('/events', eventsRouter(deps.events));
  v1.use(
    '/templates',
    templatesRouter(deps.models),
    templateTriesRouter({ models: deps.models, channels: deps.channels ?? CHANNELS, adapters: deps.adapters, publicUrl: deps.publicUrl }),
  );
  v1.use('/segments', segmentsRouter(deps.models));
  const launching = launchRoutes(deps);
  v1.use('/journeys', journeysRouter({ ...deps, channels: deps.channels ?? CHANNELS }), launching.router, journeySimulationsRouter(deps));
  v1.use('/code-journeys', codeJourneysRouter({ ...deps, launch: launching.launch }));
  v1.use('/settings', settingsRouter(deps.models));
  v1.use('/suppressions', suppressionsRouter(deps.models));
  // Sends explained: a customer's messages and a journey's deliveries, both from the ledger.
  v1.use(deliveriesRouter(deps.models));
  app.use('/v1', v1);

  app.use((req, _res, next) => next(notFound(`route ${req.method} ${req.path}`)));
  app.use(errorHandler);
  return Object.assign(app, { closeStreams: () => inbox.closeStreams() });
}
