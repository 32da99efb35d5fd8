// The whole Cairn stack for one integration test file, on the shared real servers: its own
// MongoDB database, task queue, SMTP sink, worker and API (over real HTTP).
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, Connection, ScheduleOverlapPolicy, WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { registerCodeJourneys } from '../../db/code-journey-records';
import type { Channel } from '../../core/channels';
import { journeyWorkflowId } from '../../core/ids';
import type { journeyWorkflow } from '../../workflows/journey';
import { DEFAULT_SEND_RATES } from '../../lib/config';
import { ensureEventSweep, eventSweepScheduleId, removeEventSweep } from '../../lib/event-sweep';
import { logger } from '../../lib/logger';
import { createServices } from '../../lib/services';
import { connectDatabase, Database } from '../../db/connect';
import { FcmServer, startFcmServer } from '../../dev/fcm-server';
import { startSmtpSink, SmtpSink } from '../../dev/smtp-sink';
import { startTwilioServer, TwilioServer } from '../../dev/twilio-server';
import { createRealActivities } from '../../workers/activity-deps';
import { createChannelAdapters } from '../../lib/delivery-channels';
import { createJourneySimulator } from '../../lib/journey-simulation';
import { createSimulationHosts } from '../../lib/simulation-hosts';
import { unsubscribeUrl } from '../../core/unsubscribe-links';
import { BIN_DIR } from '../../dev/servers';
import { createJourneyWorkers } from '../../workers/create-worker';
import { testEnv, testRunDir } from './test-env';
import { visibilityTrialCount } from '../../lib/split-optimize-stats';

export const API_KEY = 'test-key-0123456789';
/** The SMTP sink refuses mail to this domain with 550, as a provider refuses a bad address. */
export const REJECTED_DOMAIN = 'rejected.test';
export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
/** The local Twilio server's account; +15005550006 is Twilio's test sender. */
export const TWILIO = { accountSid: `AC${'0123456789abcdef'.repeat(2)}`, authToken: 'test-twilio-auth-token', from: '+15005550006' };
export const FCM_PROJECT = 'cairn-test';

export interface StackOptions {
  /** false: no worker in this process (a test runs its own, e.g. a process it can kill). */
  worker?: boolean;
  /** Holds each email recipient this long before accepting it, as a slow provider does. */
  smtpDelayMs?: number;
  /** The channels the API takes as configured (default: all four). */
  apiChannels?: Channel[];
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Stack {
  db: Database;
  sink: SmtpSink;
  twilio: TwilioServer;
  fcm: FcmServer;
  /** Where the stack's API listens (also its public URL: links in messages, webhooks). */
  baseUrl: string;
  client: Client;
  taskQueue: string;
  /** The handle of a customer's run of a journey (entry 1 unless given). */
  run(journeyId: string, customerId: string, entry?: number): WorkflowHandle<typeof journeyWorkflow>;
  /** Environment for a worker process of this stack (`node dist/workers/main.js`). */
  workerEnv: Record<string, string>;
  api(method: string, path: string, body?: unknown, key?: string | null): Promise<ApiResponse>;
  /** Runs the event sweep now through the worker's schedule (created if missing), and waits for it. */
  sweepNow(): Promise<void>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function startStack(name: string, options: StackOptions = {}): Promise<Stack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  // The API in this process logs a line per request: warnings and errors are enough here.
  logger.level = 'warn';
  const env = testEnv();
  const unique = `${name}-${process.pid}-${Date.now().toString(36)}`;
  const mongoUri = `${env.mongoBaseUri}/cairn_${name.replace(/\W/g, '_')}_${process.pid}`;
  const db = await connectDatabase(mongoUri);
  // As the worker and the API do at start.
  await registerCodeJourneys(db.models);
  const sink = await startSmtpSink({ rejectRecipient: (address) => address.endsWith(`@${REJECTED_DOMAIN}`), delayMs: options.smtpDelayMs });
  const twilio = await startTwilioServer({ accountSid: TWILIO.accountSid, authToken: TWILIO.authToken });
  const fcm = await startFcmServer({ projectId: FCM_PROJECT, tlsDir: path.join(testRunDir(), 'fcm-tls') });
  const taskQueue = `test-${unique}`;
  // The API listens first: its address is the public URL in messages and webhooks.
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const delivery = {
    email: { smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: 'Cairn <journeys@example.test>', messageIdDomain: 'example.test' },
    sms: { ...TWILIO, apiUrl: twilio.url },
    push: { projectId: FCM_PROJECT, localAddress: fcm.address, caFile: fcm.caFile },
    publicUrl: baseUrl,
    signingSecret: SIGNING_SECRET,
  };

  const connection = await Connection.connect({ address: env.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });

  let stopWorker = async () => {};
  if (options.worker !== false) {
    const nativeConnection = await NativeConnection.connect({ address: env.temporalAddress });
    const real = createRealActivities(db, delivery, { client, taskQueue });
    const worker = await createJourneyWorkers({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: real.activities,
      workflowBundle: { codePath: env.workflowBundlePath },
      sendRates: DEFAULT_SEND_RATES,
    });
    const workerRun = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await workerRun;
      await real.close();
      await nativeConnection.close();
    };
  }

  // The API's own adapters, for test sends, as api/server.ts builds them; and its simulations.
  const apiAdapters = createChannelAdapters(db.models, delivery);
  const simulationHosts = createSimulationHosts({
    testServerPath: path.join(BIN_DIR, 'temporal-test-server'),
    workflowBundlePath: env.workflowBundlePath,
    maxConcurrent: 2,
  });
  const app = createApp({
    apiKeys: [API_KEY],
    adapters: apiAdapters.channels,
    simulate: createJourneySimulator({
      models: db.models,
      adapters: apiAdapters.channels,
      unsubscribeUrl: (customerId, journeyId) => unsubscribeUrl(baseUrl, SIGNING_SECRET, customerId, journeyId),
      hosts: simulationHosts,
      countTrials: visibilityTrialCount(client),
    }),
    models: db.models,
    signingSecret: SIGNING_SECRET,
    publicUrl: baseUrl,
    twilioAuthToken: TWILIO.authToken,
    ...(options.apiChannels ? { channels: options.apiChannels } : {}),
    ...createServices(client, taskQueue, db.models),
    readiness: {
      mongodb: () => db.ping(),
      temporal: async () => Boolean(await connection.healthService.check({})),
    },
  });
  server.on('request', app);

  return {
    db,
    sink,
    twilio,
    fcm,
    baseUrl,
    client,
    taskQueue,
    run: (journeyId, customerId, entry = 1) => client.workflow.getHandle<typeof journeyWorkflow>(journeyWorkflowId(journeyId, customerId, entry)),
    workerEnv: {
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      MONGODB_URI: mongoUri,
      SMTP_URL: delivery.email.smtpUrl,
      EMAIL_FROM: delivery.email.from,
      CAIRN_PUBLIC_URL: baseUrl,
      CAIRN_SIGNING_SECRET: SIGNING_SECRET,
      TWILIO_ACCOUNT_SID: TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO.authToken,
      TWILIO_FROM: TWILIO.from,
      TWILIO_API_URL: twilio.url,
      FIREBASE_PROJECT_ID: FCM_PROJECT,
      FCM_LOCAL_ADDRESS: fcm.address,
      FCM_CA_FILE: fcm.caFile,
    },
    async api(method, path, body, key = API_KEY) {
      const headers: Record<string, string> = {};
      if (key !== null) headers.authorization = `Bearer ${key}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
    },
    async sweepNow() {
      await ensureEventSweep(client, taskQueue);
      const schedule = client.schedule.getHandle(eventSweepScheduleId(taskQueue));
      const before = (await schedule.describe()).info.recentActions.length;
      await schedule.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
      const action = await eventually(async () => {
        const recent = (await schedule.describe()).info.recentActions;
        expect(recent.length).toBeGreaterThan(before);
        return recent[recent.length - 1].action;
      });
      await client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId).result();
    },
    async close() {
      await removeEventSweep(client, taskQueue);
      app.closeStreams();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stopWorker();
      await simulationHosts.close();
      await apiAdapters.close();
      await connection.close();
      await db.connection.dropDatabase();
      await db.close();
      await sink.close();
      await twilio.close();
      await fcm.close();
    },
  };
}

/** Polls until check passes or the time runs out; the last failure is rethrown. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
