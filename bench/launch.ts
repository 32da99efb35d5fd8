// `npm run bench:launch`: how fast a segment launch enters customers, against raw workflow
// starts on the same Temporal server in the same run.
//
// Starts its own Temporal dev server and embedded store (mongo-java-server, H2 file), inserts
// BENCH_CUSTOMERS (default 10,000) customers who all match the segment, runs an in-process
// worker and the real API, and launches a journey whose only step is a 30-day wait at the
// segment over HTTP. The rate is customers entered per second from the launch request until the
// launch workflow's progress says completed (its own completion time). The baseline is
// `client.workflow.start` of the same number of idle workflows, 16 at a time as the launch does,
// on the same server and worker: half before the launch and half after, so that a server
// slowing as it fills weighs on both. The profile splits the launch's time between its
// activities (database commands, starts) and what lies between them (workflow tasks).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createApp } from '../api/app';
import { launchWorkflowId } from '../core/ids';
import { startSearchAttributes } from '../core/journey-contract';
import { journeyDefinitionSchema } from '../core/journey-definition';
import { LaunchProgress, launchProgressQuery } from '../core/launch-contract';
import { createAudienceReader } from '../activities/audience-pages';
import { compileSegment } from '../core/segment-filter';
import { fieldsRead, matchesSegment } from '../core/segment-match';
import type { SegmentRule } from '../core/segment-rules';
import { connectDatabase, Database } from '../db/connect';
import { createServices } from '../lib/services';
import { createRealActivities } from '../workers/activity-deps';
import { createJourneyWorkers } from '../workers/create-worker';
import type { benchIdleWorkflow } from './idle-workflow';
import { createLaunchProfile, LaunchProfile } from './launch-profile';
import {
  Bench,
  chunks,
  cpuSince,
  envInt,
  fmt,
  inLanes,
  log,
  machine,
  pad,
  quietLogger,
  report,
  runBench,
  selfPeakRssMiB,
  sleepMs,
  timed,
} from './support';

/** The same as START_CONCURRENCY in lib/journey-runs.ts (not exported there): keep them equal. */
const START_CONCURRENCY = 16;
const INSERT_CHUNK = 1000;
const API_KEY = 'bench-key-0123456789';
const TASK_QUEUE = 'bench-launch';
const JOURNEY = 'bench-idle';
const SEGMENT = 'gold';
const RULE: SegmentRule = { attribute: 'tier', op: 'eq', value: 'gold' };

const customersWanted = envInt('BENCH_CUSTOMERS', 10_000);

runBench('launch', 900, async (bench) => {
  log(`machine: ${JSON.stringify(machine())}`);
  log(`launch benchmark: ${fmt.n(customersWanted)} customers; servers and data in ${bench.dir}`);
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

  const [temporal, store, bundle] = await Promise.all([
    bench.startTemporal(),
    bench.startMongoStore(),
    bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: quietLogger }),
  ]);
  log(`Temporal dev server at ${temporal.address}, store at ${store.baseUri}`);

  const profile = createLaunchProfile();
  const db = await connectDatabase(`${store.baseUri}/cairn_bench?monitorCommands=true`);
  bench.onCleanup('database connection', () => db.close());
  profile.watchCommands(db.connection.getClient());
  const connection = await Connection.connect({ address: temporal.address });
  bench.onCleanup('client connection', () => connection.close());
  const client = new Client({ connection, namespace: 'default', interceptors: { workflow: [profile.startTimer] } });

  // Customers: all of them in the segment.
  const insertS = await timed(async () => {
    const docs = Array.from({ length: customersWanted }, (_, i) => ({ _id: `c${pad(i)}`, attributes: { tier: 'gold', score: i % 100 } }));
    for (const chunk of chunks(docs, INSERT_CHUNK)) await db.models.customers.insertMany(chunk);
  });
  log(`inserted ${fmt.n(customersWanted)} customers in ${fmt.s(insertS)}`);

  const worker = await startWorker(bench, temporal.address, db, client, bundle.code, profile);
  const api = await startApi(bench, db, client, connection);

  // A: the first half of the baseline.
  const firstHalf = Math.floor(customersWanted / 2);
  const cpu0 = bench.cpu();
  profile.phase('A');
  const a = await rawStarts(client, worker, 'a', firstHalf);
  log(`baseline A: ${fmt.n(firstHalf)} raw starts in ${fmt.s(a.startS)}, worker idle after ${fmt.s(a.idleS)}`);

  // B: the launch, through the API.
  expect((await api('PUT', `/v1/segments/${SEGMENT}`, { name: 'Gold', rule: RULE })).status, 201);
  expect((await api('PUT', `/v1/journeys/${JOURNEY}`, { name: 'Idle', steps: [{ id: 'idle', type: 'wait', duration: '30d' }] })).status, 201);
  const cpu1 = bench.cpu();
  profile.phase('launch');
  const launchStart = Date.now();
  expect((await api('POST', `/v1/journeys/${JOURNEY}/launch`, { segmentId: SEGMENT })).status, 202);
  const progress = await waitForLaunch(client);
  const launchS = (Date.parse(progress.completedAt!) - launchStart) / 1000;
  const peakAfterLaunch = selfPeakRssMiB();
  const launchIdleS = ((await settle(worker)) - launchStart) / 1000;
  log(`launch: ${fmt.n(progress.entered)} entered in ${fmt.s(launchS)}, ${progress.pages} pages, worker idle after ${fmt.s(launchIdleS)}`);

  // A again: the second half of the baseline.
  const secondHalf = customersWanted - firstHalf;
  const cpu2 = bench.cpu();
  profile.phase('A′');
  const b = await rawStarts(client, worker, 'b', secondHalf);
  log(`baseline A': ${fmt.n(secondHalf)} raw starts in ${fmt.s(b.startS)}, worker idle after ${fmt.s(b.idleS)}`);

  const cpu3 = bench.cpu();
  profile.phase('checks');
  const runs = await countRuns(client, progress.entered);
  const query = await pageQueries(db);
  const shapes = await startShapes(client);
  if (progress.entered !== customersWanted || progress.alreadyEntered !== 0 || runs !== customersWanted) {
    throw new Error(`expected ${customersWanted} entered and as many runs; progress ${JSON.stringify(progress)}, runs ${runs}`);
  }

  const enrolledPerS = progress.entered / launchS;
  const rawPerS = customersWanted / (a.startS + b.startS);
  const launchIdlePerS = progress.entered / launchIdleS;
  const rawIdlePerS = customersWanted / (a.idleS + b.idleS);
  const peaks = bench.serverPeaks();
  report(
    'launch',
    `Segment launch, ${fmt.n(customersWanted)} customers`,
    [
      ['**launch: customers enrolled/s** (API request → launch progress completed)', `**${fmt.rate(enrolledPerS)}**`],
      ['**baseline: raw `client.workflow.start`/s**, 16 in flight', `**${fmt.rate(rawPerS)}**`],
      ['**ratio launch ÷ baseline**', `**${fmt.ratio(enrolledPerS / rawPerS)}**`],
      ['launch time; baseline time (A + A′)', `${fmt.s(launchS)}; ${fmt.s(a.startS)} + ${fmt.s(b.startS)}`],
      ['baseline halves', `${fmt.rate(firstHalf / a.startS)} before, ${fmt.rate(secondHalf / b.startS)} after the launch`],
      ['launch pages (of 500)', String(progress.pages)],
      ['until every run has run its first task and sleeps: launch; baseline', `${fmt.rate(launchIdlePerS)} (${fmt.s(launchIdleS)}); ${fmt.rate(rawIdlePerS)} (${fmt.s(a.idleS)} + ${fmt.s(b.idleS)})`],
      ['ratio of those', fmt.ratio(launchIdlePerS / rawIdlePerS)],
      ['CPU used, start → worker idle: baseline A + A′', `${cpuSince(cpu0, cpu1)}; ${cpuSince(cpu2, cpu3)}`],
      ['CPU used, start → worker idle: launch', cpuSince(cpu1, cpu2)],
      ['mean latency of one start: baseline A; launch; A′', `${profile.startMs('A').toFixed(0)} ms; ${profile.startMs('launch').toFixed(0)} ms; ${profile.startMs('A′').toFixed(0)} ms`],
      ...profile.rows('launch', launchS),
      [
        'one start by its shape, to a queue no worker polls (mean of 2 × 250 each, 16 in flight): the baseline\'s idle workflow; a journey run\'s (its input, start search attributes)',
        `${shapes.idleMs.toFixed(0)} ms; ${shapes.journeyMs.toFixed(0)} ms (${fmt.ratio(shapes.journeyMs / shapes.idleMs)})`,
      ],
      [
        `one page of 500 members after the middle of ${fmt.n(customersWanted)}: a new scan; continuing a scan; the old way (segment filter, \`_id > cursor\`, sort, limit); the audience count`,
        `${query.newScanMs.toFixed(0)} ms; ${query.continuedMs.toFixed(0)} ms; ${query.filterMs.toFixed(0)} ms; ${query.countMs.toFixed(0)} ms`,
      ],
      ['journey runs counted in visibility', fmt.n(runs)],
      ['peak RSS of the bench process (worker + API + client)', `${fmt.mib(peakAfterLaunch)} after the launch, ${fmt.mib(selfPeakRssMiB())} at the end`],
      ['peak RSS of the servers', `Temporal ${fmt.mib(peaks.temporal)}, store ${fmt.mib(peaks.store)}`],
      ['set-up: customers inserted/s (not a result)', fmt.rate(customersWanted / insertS)],
    ],
    {
      customers: customersWanted,
      temporalStorage: bench.temporalStorage,
      launchS,
      launchIdleS,
      baselineA: a,
      baselineB: b,
      progress,
      runs,
      peaks,
      cpu: [cpu0, cpu1, cpu2, cpu3],
      query,
      shapes,
      insertS,
      profile: profile.snapshot(),
    },
  );
});

async function startWorker(bench: Bench, address: string, db: Database, client: Client, code: string, profile: LaunchProfile): Promise<Worker> {
  const nativeConnection = await NativeConnection.connect({ address });
  bench.onCleanup('worker connection', () => nativeConnection.close());
  // No send step runs: the transport is built but never connects.
  const real = createRealActivities(
    db,
    {
      email: { smtpUrl: 'smtp://127.0.0.1:9', from: 'Bench <bench@example.test>', messageIdDomain: 'example.test' },
      publicUrl: 'http://127.0.0.1:9',
      signingSecret: 'bench-signing-secret-0123456789abcdef',
    },
    { client, taskQueue: TASK_QUEUE },
  );
  bench.onCleanup('SMTP transport', () => real.close());
  const group = await createJourneyWorkers({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue: TASK_QUEUE,
    activities: profile.timeActivities(real.activities),
    workflowBundle: { code },
  });
  const running = group.run();
  bench.onCleanup('worker', async () => {
    group.shutdown();
    await running;
  });
  // The journey worker: the one whose workflow tasks the benchmark watches.
  return group.workers[0];
}

type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

async function startApi(bench: Bench, db: Database, client: Client, connection: Connection): Promise<Api> {
  const app = createApp({
    apiKeys: [API_KEY],
    signingSecret: 'bench-signing-secret-0123456789abcdef',
    publicUrl: 'http://127.0.0.1',
    models: db.models,
    ...createServices(client, TASK_QUEUE, db.models),
    readiness: { mongodb: () => db.ping(), temporal: async () => Boolean(await connection.healthService.check({})) },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  bench.onCleanup('API', async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async (method, path, body) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

function expect(actual: number, wanted: number): void {
  if (actual !== wanted) throw new Error(`API answered ${actual}, expected ${wanted}`);
}

/**
 * Starts `count` idle workflows, START_CONCURRENCY at a time. startS: until the last start
 * returned; idleS: until the worker had run every one's first workflow task.
 */
async function rawStarts(client: Client, worker: Worker, tag: string, count: number): Promise<{ startS: number; idleS: number }> {
  const start = Date.now();
  const startS = await timed(() =>
    inLanes(count, START_CONCURRENCY, async (i) => {
      await client.workflow.start<typeof benchIdleWorkflow>('benchIdleWorkflow', {
        workflowId: `bench-idle-${tag}-${pad(i)}`,
        taskQueue: TASK_QUEUE,
        args: [],
      });
    }),
  );
  return { startS, idleS: ((await settle(worker)) - start) / 1000 };
}

/** Polls the launch's progress query until it says completed (bounded by the run's watchdog). */
async function waitForLaunch(client: Client): Promise<LaunchProgress> {
  const handle = client.workflow.getHandle(launchWorkflowId(JOURNEY, SEGMENT));
  let lastLog = Date.now();
  for (;;) {
    const progress = await handle.query(launchProgressQuery).catch(() => undefined);
    if (progress?.status === 'completed') return progress;
    if (progress && Date.now() - lastLog > 10_000) {
      log(`  launch ${progress.status}: ${fmt.n(progress.entered)} entered, ${progress.pages} pages`);
      lastLog = Date.now();
    }
    await sleepMs(500);
  }
}

/**
 * Waits until the worker has had nothing in flight for 2 s (at most 600 s), so that one phase's
 * leftover workflow tasks do not run in the next phase's time. Returns when the quiet began
 * (Date.now() time): when the worker finished the phase's last task, to within 100 ms.
 */
async function settle(worker: Worker): Promise<number> {
  const start = Date.now();
  let quietSince: number | undefined;
  while (Date.now() - start < 600_000) {
    const status = worker.getStatus();
    if (status.numInFlightWorkflowActivations === 0 && status.numInFlightActivities === 0) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= 2_000) return quietSince;
    } else {
      quietSince = undefined;
    }
    await sleepMs(100);
  }
  throw new Error('the worker did not go quiet within 600 s');
}

/**
 * Milliseconds for the reads a launch makes (means of 5), 500 members after the middle
 * customer: a page that opens a new scan (as a launch's first page, or a page on another worker);
 * a page that continues an open scan (every other page); the page query launches made before
 * (the compiled segment filter with `_id > cursor`, sorted, limited); and countAudience's count.
 */
async function pageQueries(db: Database): Promise<{ newScanMs: number; continuedMs: number; filterMs: number; countMs: number }> {
  const filter = compileSegment(RULE, new Date());
  const read = { fields: fieldsRead(RULE), isMember: (c: object) => matchesSegment(RULE, c, new Date()) };
  const after = `c${pad(Math.floor(customersWanted / 2))}`;
  const reader = createAudienceReader(db.models.customers);
  const mean = async (fn: (i: number) => Promise<unknown>) => {
    let total = 0;
    for (let i = 0; i < 5; i++) total += await timed(async () => void (await fn(i)));
    return (total / 5) * 1000;
  };
  let position: string | undefined = (await reader.page('probe-continued', after, 500, read)).lastId;
  return {
    newScanMs: await mean((i) => reader.page(`probe-${i}`, after, 500, read)),
    continuedMs: await mean(async () => void (position = (await reader.page('probe-continued', position, 500, read)).lastId)),
    filterMs: await mean(() => db.models.customers.find({ $and: [filter, { _id: { $gt: after } }] }, { _id: 1 }).sort({ _id: 1 }).limit(500).lean()),
    countMs: await mean(() => db.models.customers.countDocuments(filter)),
  };
}

/**
 * What one start costs by its shape alone, with no worker taking the runs' tasks: the baseline's
 * idle workflow, and a journey run's start as lib/journey-runs makes it. Alternated, 250 at a time.
 */
async function startShapes(client: Client): Promise<{ idleMs: number; journeyMs: number }> {
  const definition = journeyDefinitionSchema.parse({ name: 'Idle', steps: [{ id: 'idle', type: 'wait', duration: '30d' }] });
  const total = { idle: 0, journey: 0 };
  for (const round of [0, 1]) {
    for (const shape of ['idle', 'journey'] as const) {
      await inLanes(250, START_CONCURRENCY, async (i) => {
        const customerId = `shape-${round}-${pad(i)}`;
        const start = performance.now();
        if (shape === 'idle') {
          await client.workflow.start('benchIdleWorkflow', { workflowId: `shape-idle-${customerId}`, taskQueue: 'bench-no-worker', args: [] });
        } else {
          await client.workflow.start('journeyWorkflow', {
            workflowId: `shape-journey-${customerId}`,
            taskQueue: 'bench-no-worker',
            args: [{ journeyId: 'shape', journeyVersion: 1, definition, customerId, entry: 1 }],
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            typedSearchAttributes: startSearchAttributes('shape', customerId, 'idle'),
          });
        }
        total[shape] += performance.now() - start;
      });
    }
  }
  return { idleMs: total.idle / 500, journeyMs: total.journey / 500 };
}

/** Journey runs of the benchmark's journey in visibility, once the count stops short of `wanted` for 30 s. */
async function countRuns(client: Client, wanted: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { count } = await client.workflow.count(`CairnJourneyId = "${JOURNEY}" AND WorkflowType = "journeyWorkflow"`);
    if (count >= wanted || Date.now() > deadline) return count;
    await sleepMs(1_000);
  }
}
