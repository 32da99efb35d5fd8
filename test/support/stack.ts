// The whole Cairn stack for one integration test file, on the shared real servers: its own
// MongoDB database, task queue, SMTP sink, worker and API (over real HTTP).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createApp } from '../../api/app';
import { journeyWorkflowId } from '../../core/ids';
import type { journeyWorkflow } from '../../workflows/journey';
import { createServices } from '../../lib/services';
import { connectDatabase, Database } from '../../db/connect';
import { startSmtpSink, SmtpSink } from '../../dev/smtp-sink';
import { createRealActivities } from '../../workers/activity-deps';
import { createJourneyWorkers } from '../../workers/create-worker';
import { testEnv } from './test-env';

export const API_KEY = 'test-key-0123456789';
/** The SMTP sink refuses mail to this domain with 550, as a provider refuses a bad address. */
export const REJECTED_DOMAIN = 'rejected.test';

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Stack {
  db: Database;
  sink: SmtpSink;
  client: Client;
  taskQueue: string;
  /** The handle of a customer's run of a journey (entry 1 unless given). */
  run(journeyId: string, customerId: string, entry?: number): WorkflowHandle<typeof journeyWorkflow>;
  /** Environment for a worker process of this stack (`node dist/workers/main.js`). */
  workerEnv: Record<string, string>;
  api(method: string, path: string, body?: unknown, key?: string | null): Promise<ApiResponse>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function startStack(name: string, options: { worker?: boolean } = {}): Promise<Stack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const env = testEnv();
  const unique = `${name}-${process.pid}-${Date.now().toString(36)}`;
  const mongoUri = `${env.mongoBaseUri}/cairn_${name.replace(/\W/g, '_')}_${process.pid}`;
  const db = await connectDatabase(mongoUri);
  const sink = await startSmtpSink({ rejectRecipient: (address) => address.endsWith(`@${REJECTED_DOMAIN}`) });
  const taskQueue = `test-${unique}`;
  const email = { smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: 'Cairn <journeys@example.test>', messageIdDomain: 'example.test' };

  const connection = await Connection.connect({ address: env.temporalAddress });
  const client = new Client({ connection, namespace: 'default' });

  let stopWorker = async () => {};
  if (options.worker !== false) {
    const nativeConnection = await NativeConnection.connect({ address: env.temporalAddress });
    const real = createRealActivities(db, email, { client, taskQueue });
    const worker = await createJourneyWorkers({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: real.activities,
      workflowBundle: { codePath: env.workflowBundlePath },
    });
    const workerRun = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await workerRun;
      real.close();
      await nativeConnection.close();
    };
  }

  const app = createApp({
    apiKeys: [API_KEY],
    models: db.models,
    ...createServices(client, taskQueue, db.models),
    readiness: {
      mongodb: () => db.ping(),
      temporal: async () => Boolean(await connection.healthService.check({})),
    },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    db,
    sink,
    client,
    taskQueue,
    run: (journeyId, customerId, entry = 1) => client.workflow.getHandle<typeof journeyWorkflow>(journeyWorkflowId(journeyId, customerId, entry)),
    workerEnv: {
      TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      MONGODB_URI: mongoUri,
      SMTP_URL: email.smtpUrl,
      EMAIL_FROM: email.from,
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
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stopWorker();
      await connection.close();
      await db.connection.dropDatabase();
      await db.close();
      await sink.close();
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
