// Best-time waits under the time-skipping server, on the real stack: engagement ingested through
// the API (POST /v1/events) folds into the customer's hours in the store, the launched run's
// resolveBestTime reads them there, and the real send goes out (to a local SMTP sink) at the
// hour chosen; a customer without history gets the default local time in their zone.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp } from '../../api/app';
import { journeyStateQuery, type JourneyRunState } from '../../core/journey-contract';
import { journeyWorkflowId } from '../../core/ids';
import { connectDatabase, type Database } from '../../db/connect';
import { startSmtpSink, type SmtpSink } from '../../dev/smtp-sink';
import { DEFAULT_SEND_RATES } from '../../lib/config';
import { createServices } from '../../lib/services';
import { logger } from '../../lib/logger';
import { createRealActivities } from '../../workers/activity-deps';
import { createJourneyWorkers, type WorkerGroup } from '../../workers/create-worker';
import { startTimeSkipping } from '../support/time-skipping';
import { testEnv } from '../support/test-env';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const KEY = 'best-time-key-0123456789';
const SECRET = 'best-time-signing-secret-0123456789';

let env: TestWorkflowEnvironment;
let db: Database;
let sink: SmtpSink;
let server: Server;
let baseUrl: string;
let worker: WorkerGroup;
let closeActivities: () => Promise<void>;
const taskQueue = `best-time-${process.pid}`;

beforeAll(async () => {
  logger.level = 'warn';
  env = await startTimeSkipping();
  db = await connectDatabase(`${testEnv().mongoBaseUri}/cairn_best_time_${process.pid}`);
  sink = await startSmtpSink();
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const delivery = {
    email: { smtpUrl: `smtp://127.0.0.1:${sink.port}`, from: 'Cairn <journeys@example.test>', messageIdDomain: 'example.test' },
    publicUrl: baseUrl,
    signingSecret: SECRET,
  };
  const real = createRealActivities(db, delivery, { client: env.client, taskQueue });
  closeActivities = real.close;
  worker = await createJourneyWorkers({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: testEnv().workflowBundlePath },
    activities: real.activities,
    sendRates: DEFAULT_SEND_RATES,
  });
  // A plain client for the API: the testing client would let time skip while a request waits.
  const plain = new Client({ connection: env.connection });
  server.on(
    'request',
    createApp({ apiKeys: [KEY], models: db.models, signingSecret: SECRET, publicUrl: baseUrl, ...createServices(plain, taskQueue, db.models), readiness: {} }),
  );
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await closeActivities?.();
  await sink?.close();
  await db?.connection.dropDatabase();
  await db?.close();
  await env?.teardown();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** Until the run reports a wait with its end (its first workflow task has run). */
async function waiting(run: WorkflowHandle): Promise<JourneyRunState> {
  for (;;) {
    const state = await run.query(journeyStateQuery);
    if (state.waitingUntil) return state;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The run's result once it has completed, without letting time skip while waiting for it. */
async function completed(run: WorkflowHandle): Promise<JourneyRunState> {
  for (;;) {
    if ((await run.describe()).status.name === 'COMPLETED') return run.result();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('when a customer engaged mostly on Tuesdays at 18:00 UTC, then a best-time send from a Monday goes out Tuesday 18:00 UTC; one without history gets 10:00 in their zone', async () => {
  expect((await api('PUT', '/v1/templates/best-hello', { channel: 'email', content: { subject: 'Evening, {{customer.attributes.name}}', text: 'Hi' } })).status).toBe(201);
  for (const [id, zone] of [
    ['bt-ada', 'Europe/Paris'],
    ['bt-bo', 'Asia/Kolkata'],
  ]) {
    expect((await api('PUT', `/v1/customers/${id}`, { email: `${id}@example.test`, timeZone: zone, attributes: { name: id } })).status).toBe(201);
  }
  // Ada: six engagements on Tuesdays between 18:00 and 19:00 UTC, two on a Monday at noon.
  const history: [string, string][] = [
    ['session_started', '2026-11-17T18:05:00Z'],
    ['message_opened', '2026-11-17T18:40:00Z'],
    ['session_started', '2026-11-10T18:10:00Z'],
    ['message_clicked', '2026-11-10T18:12:00Z'],
    ['session_started', '2026-11-03T18:59:00Z'],
    ['message_opened', '2026-10-27T18:00:00Z'],
    ['session_started', '2026-11-16T12:30:00Z'],
    ['message_opened', '2026-11-09T12:15:00Z'],
  ];
  for (const [i, [name, timestamp]] of history.entries()) {
    const properties = name === 'session_started' ? {} : { channel: 'email' };
    expect((await api('POST', '/v1/events', { id: `bt-ada-${i}`, customerId: 'bt-ada', name, timestamp, properties })).status).toBe(202);
  }
  // Bo: two sessions, too few to go by.
  for (const i of [0, 1]) expect((await api('POST', '/v1/events', { id: `bt-bo-${i}`, customerId: 'bt-bo', name: 'session_started', timestamp: '2026-11-17T18:05:00Z' })).status).toBe(202);
  expect((await db.models.customers.findById('bt-ada').lean())?.engagement?.hours).toEqual({ h42: 6, h12: 2 });

  expect(
    (
      await api('PUT', '/v1/journeys/best-evening', {
        name: 'Best evening',
        steps: [
          { id: 'evening', type: 'wait', untilBestTime: { within: '2d', default: '10:00' }, next: 'hello' },
          { id: 'hello', type: 'send', channel: 'email', template: 'best-hello' },
        ],
      })
    ).status,
  ).toBe(201);

  await worker.runUntil(async () => {
    // Skip to the next Monday, 09:20 UTC.
    const now = new Date(await env.currentTimeMs());
    const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + ((8 - now.getUTCDay()) % 7 || 7), 9, 20));
    await env.sleep(monday.getTime() - now.getTime());
    const tuesday = (hh: number, mm: number) => monday.getTime() + DAY + (hh - 9) * HOUR + (mm - 20) * 60_000;

    const launch = await api('POST', '/v1/journeys/best-evening/launch', { customerIds: ['bt-ada', 'bt-bo'] });
    expect([...launch.body.entered].sort()).toEqual(['bt-ada', 'bt-bo']);
    const ada = env.client.workflow.getHandle(journeyWorkflowId('best-evening', 'bt-ada'));
    const bo = env.client.workflow.getHandle(journeyWorkflowId('best-evening', 'bt-bo'));

    const adaWaits = await waiting(ada);
    expect(Date.parse(adaWaits.waitingUntil!)).toBe(tuesday(18, 0));
    expect(adaWaits.waitReason).toBe("the customer's busiest hour in the window: Tuesday 18:00 UTC (6 of their 8 engagements)");
    const boWaits = await waiting(bo);
    // 10:00 in Kolkata (UTC+5:30) is 04:30 UTC; on Monday it had passed.
    expect(Date.parse(boWaits.waitingUntil!)).toBe(tuesday(4, 30));
    expect(boWaits.waitReason).toBe('too little history (2 engagements, fewer than 5): the default, 10:00 in Asia/Kolkata');

    // The clock moves on by hand to just past each end, and each run is watched at that time: a
    // result() would let it skip on while the other run's send is still under way.
    for (const [run, at] of [
      [bo, tuesday(4, 30)],
      [ada, tuesday(18, 0)],
    ] as const) {
      await env.sleep(at + 60_000 - (await env.currentTimeMs()));
      const done = await completed(run);
      expect(done.path).toEqual(['evening', 'hello']);
      expect(done.sends[0].status).toBe('sent');
      expect(Date.parse(done.sends[0].at)).toBeGreaterThanOrEqual(at);
      expect(Date.parse(done.sends[0].at)).toBeLessThan(at + HOUR);
      expect(done.waitReason).toBeUndefined();
    }
  });
  expect(sink.messages.filter((m) => m.to.includes('bt-ada@example.test'))).toHaveLength(1);
  expect(sink.messages.filter((m) => m.to.includes('bt-bo@example.test'))).toHaveLength(1);
});
