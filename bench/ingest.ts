// `npm run bench:ingest`: event ingest through the real HTTP API, against plain inserts of the
// same documents on the same embedded store in the same run.
//
// Starts its own embedded store and Temporal dev server (the API's journey services talk to
// Temporal: ingest signals each event to the runs of journeys that hear it), and the API on an
// ephemeral port over each of three databases holding BENCH_INGEST_CUSTOMERS (default 2,000)
// customers, so that each measurement starts from an empty events collection. Where dispatch is
// on, a journey hears `purchase` (a waitForEvent step) and half of the customers who buy have a run of it
// (on a task queue no worker polls: the runs take signals and do nothing more). Then:
// - batch: BENCH_EVENTS (default 20,000) events, POST /v1/events/batch BENCH_BATCH (default 500)
//   at a time, each batch over BENCH_CUSTOMERS_PER_BATCH (default: one customer per event)
//   customers, one request after another; again with the journey dispatch switched off (what is
//   left: storing and the roll-ups); baseline: the native driver's insertMany of the same
//   documents, as ingest stores them, as many at a time;
// - single: BENCH_SINGLE_EVENTS (default 1,000) events, POST /v1/events, 8 in flight;
//   baseline: insertOne of the same documents, 8 in flight.
// Each baseline runs half before and half after its ingest, so drift weighs on both.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { createApp } from '../api/app';
import { connectDatabase, Database } from '../db/connect';
import { journeyDefinitionSchema } from '../core/journey-definition';
import { saveJourneyVersion } from '../db/journey-versions';
import { createEventIngest } from '../lib/event-ingest';
import { createServices } from '../lib/services';
import { Bench, chunks, cpuSince, envInt, fmt, inLanes, log, machine, pad, report, Row, runBench, selfPeakRssMiB, timed } from './support';

const API_KEY = 'bench-key-0123456789';
const TASK_QUEUE = 'bench-ingest';
const SINGLE_CONCURRENCY = 8;
const NAMES = ['page_view', 'page_view', 'page_view', 'add_to_cart', 'purchase'];

/** Events per POST /v1/events/batch (the API takes up to 1,000). */
const BATCH = envInt('BENCH_BATCH', 500);
const customerCount = envInt('BENCH_INGEST_CUSTOMERS', 2_000);
const batchEvents = envInt('BENCH_EVENTS', 20_000);
const singleEvents = envInt('BENCH_SINGLE_EVENTS', 1_000);
/**
 * Distinct customers in one batch (default: every event of a batch on its own customer, round
 * robin over all of them). Fewer gives each customer several events per batch.
 */
const customersPerBatch = Math.min(envInt('BENCH_CUSTOMERS_PER_BATCH', BATCH), BATCH);
/** A request that takes longer is stuck: fail rather than wait. */
const REQUEST_TIMEOUT_MS = 120_000;

interface WireEvent {
  id: string;
  customerId: string;
  name: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

/**
 * Events with IDs `${prefix}0000000`..., an hour of history ending a minute ago. Each run of
 * `group` consecutive events (a batch) falls on `spread` customers, and the groups move on
 * round the customers, so every customer gets events over the run.
 */
function makeEvents(prefix: string, count: number, group: number, spread: number): WireEvent[] {
  const end = Date.now() - 60_000;
  return Array.from({ length: count }, (_, i) => {
    const customer = (Math.floor(i / group) * spread + (i % group) % spread) % customerCount;
    return {
      id: `${prefix}${pad(i, 7)}`,
      customerId: `c${pad(customer)}`,
      name: NAMES[i % NAMES.length],
      timestamp: new Date(end - Math.floor(((count - i) / count) * 3_600_000)).toISOString(),
      properties: { path: `/products/${i % 97}`, value: i % 13, mobile: i % 2 === 0 },
    };
  });
}

/** The document ingest stores for an event (lib/event-ingest.ts), for the baselines. */
function storedForm(e: WireEvent) {
  const now = new Date();
  return {
    _id: e.id,
    customerId: e.customerId,
    name: e.name,
    timestamp: new Date(e.timestamp),
    properties: e.properties,
    receivedAt: now,
    batch: 'baseline',
  };
}

type StoredForm = ReturnType<typeof storedForm>;

runBench('ingest', 900, async (bench) => {
  log(`machine: ${JSON.stringify(machine())}`);
  log(
    `ingest benchmark: ${fmt.n(batchEvents)} events in batches of ${BATCH} (${customersPerBatch} customers each), ` +
      `${fmt.n(singleEvents)} single, over ${fmt.n(customerCount)} customers; servers and data in ${bench.dir}`,
  );

  const [temporal, store] = await Promise.all([bench.startTemporal(), bench.startMongoStore()]);
  log(`Temporal dev server at ${temporal.address}, store at ${store.baseUri}`);
  const connection = await Connection.connect({ address: temporal.address });
  bench.onCleanup('client connection', () => connection.close());
  const client = new Client({ connection, namespace: 'default' });
  // A database per measurement, so each starts from the same empty events collection.
  const open = (name: string, dispatch: boolean) => openTarget(bench, `${store.baseUri}/${name}`, client, connection, dispatch);
  const full = await open('cairn_bench_batch', true);
  const stored = await open('cairn_bench_batch_nodispatch', false);
  const single = await open('cairn_bench_single', true);
  const warm = await open('cairn_bench_warmup', true);
  log(`inserted ${fmt.n(customerCount)} customers into each of 4 databases`);

  // Batches: A, ingest, ingest without dispatch, A'.
  const events = makeEvents('e', batchEvents, BATCH, customersPerBatch);
  const half = Math.floor(batchEvents / 2);
  const scratchBatch = full.db.connection.db!.collection<StoredForm>('bench_scratch_batch');
  const insertBatches = (list: WireEvent[]) =>
    timed(async () => {
      for (const chunk of chunks(list, BATCH)) await scratchBatch.insertMany(chunk.map(storedForm), { ordered: false });
    });
  // Warm-up (not measured): the store's and the API's first requests are the slowest.
  await ingestBatches(warm.post, makeEvents('w', 4 * BATCH, BATCH, customersPerBatch), 'warm-up ingest');
  await warm.db.connection.db!.collection<StoredForm>('bench_scratch_warmup').insertMany(makeEvents('x', 4 * BATCH, BATCH, customersPerBatch).map(storedForm));
  const batchA = await insertBatches(events.slice(0, half));
  log(`batch baseline A: ${fmt.n(half)} inserted in ${fmt.s(batchA)}`);
  const cpu0 = bench.cpu();
  const batch = await ingestBatches(full.post, events, 'batch ingest');
  const cpu1 = bench.cpu();
  const batchStored = await ingestBatches(stored.post, events, 'batch ingest without dispatch');
  const cpu2 = bench.cpu();
  const batchB = await insertBatches(events.slice(half));
  log(`batch baseline A': ${fmt.n(batchEvents - half)} inserted in ${fmt.s(batchB)}`);

  // Single events: A, ingest, A'.
  const singles = makeEvents('s', singleEvents, 1, 1);
  const singleHalf = Math.floor(singleEvents / 2);
  const scratchSingle = single.db.connection.db!.collection<StoredForm>('bench_scratch_single');
  const insertSingles = (list: WireEvent[]) =>
    timed(() => inLanes(list.length, SINGLE_CONCURRENCY, async (i) => void (await scratchSingle.insertOne(storedForm(list[i])))));
  const singleA = await insertSingles(singles.slice(0, singleHalf));
  log(`single baseline A: ${fmt.n(singleHalf)} inserted in ${fmt.s(singleA)}`);
  let sent = 0;
  const cpu3 = bench.cpu();
  const singleS = await timed(() =>
    inLanes(singles.length, SINGLE_CONCURRENCY, async (i) => {
      const res = await single.post('/v1/events', singles[i]);
      if (res.status !== 202 || res.body.accepted !== 1) throw new Error(`single ingest answered ${res.status} ${JSON.stringify(res.body)}`);
      if (++sent % 250 === 0) log(`  single ingest: ${fmt.n(sent)} events`);
    }),
  );
  const cpu4 = bench.cpu();
  log(`single ingest: ${fmt.n(singleEvents)} in ${fmt.s(singleS)}`);
  const singleB = await insertSingles(singles.slice(singleHalf));
  log(`single baseline A': ${fmt.n(singleEvents - singleHalf)} inserted in ${fmt.s(singleB)}`);

  // What ingest wrote: every event stored once, and the roll-ups add up.
  const applied = [await checkRolledUp(full.db, batchEvents), await checkRolledUp(stored.db, batchEvents), await checkRolledUp(single.db, singleEvents)];

  const batchPerS = batchEvents / batch.seconds;
  const storedPerS = batchEvents / batchStored.seconds;
  const batchBasePerS = batchEvents / (batchA + batchB);
  const singlePerS = singleEvents / singleS;
  const singleBasePerS = singleEvents / (singleA + singleB);
  const firstLast = (times: number[]) => {
    const n = Math.min(10, Math.floor(times.length / 2)) || 1;
    const rate = (t: number[]) => fmt.rate((t.length * BATCH) / t.reduce((a, b) => a + b, 0));
    return `${rate(times.slice(0, n))}; ${rate(times.slice(-n))} (${n} each)`;
  };
  const peaks = bench.serverPeaks();
  const rows: Row[] = [
    [`**batch ingest: events/s** (POST /v1/events/batch, ${BATCH} per request over ${customersPerBatch} customers, 1 in flight)`, `**${fmt.rate(batchPerS)}**`],
    [`**baseline: native insertMany/s** (${BATCH} per call, 1 in flight)`, `**${fmt.rate(batchBasePerS)}**`],
    ['**ratio batch ingest ÷ baseline**', `**${fmt.ratio(batchPerS / batchBasePerS)}**`],
    ['batch ingest without dispatch to journeys (store + roll-ups only): events/s; ratio', `${fmt.rate(storedPerS)}; ${fmt.ratio(storedPerS / batchBasePerS)}`],
    ['times: ingest; without dispatch; baseline (A + A′)', `${fmt.s(batch.seconds)}; ${fmt.s(batchStored.seconds)}; ${fmt.s(batchA)} + ${fmt.s(batchB)}`],
    ['CPU used: ingest; without dispatch', `${cpuSince(cpu0, cpu1)}; ${cpuSince(cpu1, cpu2)}`],
    ['ingest: first batches; last batches', firstLast(batch.times)],
    ['without dispatch: first batches; last batches', firstLast(batchStored.times)],
    [`**single ingest: events/s** (POST /v1/events, ${SINGLE_CONCURRENCY} in flight)`, `**${fmt.rate(singlePerS)}**`],
    [`**baseline: native insertOne/s** (${SINGLE_CONCURRENCY} in flight)`, `**${fmt.rate(singleBasePerS)}**`],
    ['**ratio single ingest ÷ baseline**', `**${fmt.ratio(singlePerS / singleBasePerS)}**`],
    ['single ingest time; baseline time (A + A′)', `${fmt.s(singleS)}; ${fmt.s(singleA)} + ${fmt.s(singleB)}`],
    ['CPU used: single ingest', cpuSince(cpu3, cpu4)],
    ['events stored and in the roll-ups, each once: batch; without dispatch; single', applied.map(fmt.n).join('; ')],
    ['batches dispatched (a run heard a `purchase`): batch; single', `${fmt.n(await full.db.models.eventBatches.estimatedDocumentCount())}; ${fmt.n(await single.db.models.eventBatches.estimatedDocumentCount())}`],
    ['peak RSS of the bench process (API + load)', fmt.mib(selfPeakRssMiB())],
    ['peak RSS of the servers', `Temporal ${fmt.mib(peaks.temporal)}, store ${fmt.mib(peaks.store)}`],
  ];
  report('ingest', `Event ingest, ${fmt.n(batchEvents)} batched + ${fmt.n(singleEvents)} single events over ${fmt.n(customerCount)} customers`, rows, {
    customers: customerCount,
    customersPerBatch,
    temporalStorage: bench.temporalStorage,
    batch: { events: batchEvents, seconds: batch.seconds, baselineA: batchA, baselineB: batchB, perBatchSeconds: batch.times },
    batchWithoutDispatch: { seconds: batchStored.seconds, perBatchSeconds: batchStored.times },
    single: { events: singleEvents, seconds: singleS, baselineA: singleA, baselineB: singleB },
    peaks,
    cpu: [cpu0, cpu1, cpu2, cpu3, cpu4],
  });
});

/** Sends the events BATCH at a time, one request after another; the time of each request too. */
async function ingestBatches(post: Post, events: WireEvent[], what: string): Promise<{ seconds: number; times: number[] }> {
  const times: number[] = [];
  const seconds = await timed(async () => {
    for (const chunk of chunks(events, BATCH)) {
      const t = performance.now();
      const res = await post('/v1/events/batch', { events: chunk });
      if (res.status !== 202 || res.body.accepted !== chunk.length) throw new Error(`${what} answered ${res.status} ${JSON.stringify(res.body)}`);
      times.push((performance.now() - t) / 1000);
      if (times.length % 10 === 0) log(`  ${what}: ${fmt.n(times.length * BATCH)} events`);
    }
  });
  log(`${what}: ${fmt.n(events.length)} in ${fmt.s(seconds)}`);
  return { seconds, times };
}

/** Every event stored and counted once in its customer's roll-ups; returns how many. */
async function checkRolledUp(db: Database, wanted: number): Promise<number> {
  const [stored, withRollups] = await Promise.all([db.models.events.countDocuments({}), db.models.customers.find({}, { events: 1 }).lean()]);
  const rolledUp = withRollups.reduce((sum, c) => sum + Object.values(c.events ?? {}).reduce((n, r) => n + r.count, 0), 0);
  if (stored !== wanted || rolledUp !== wanted) throw new Error(`expected ${wanted} events stored and rolled up; stored ${stored}, rolled up ${rolledUp}`);
  return stored;
}

type Post = (path: string, body: unknown) => Promise<{ status: number; body: { accepted?: number } }>;

/**
 * A database with the customers, and the API over it. Without dispatch, the API's journey entry
 * hears of no stored event: what is left is storing them and the roll-ups.
 */
async function openTarget(bench: Bench, uri: string, client: Client, connection: Connection, dispatch: boolean): Promise<{ db: Database; post: Post }> {
  const db = await connectDatabase(uri);
  bench.onCleanup(`database connection ${uri}`, () => db.close());
  const customers = Array.from({ length: customerCount }, (_, i) => ({
    _id: `c${pad(i)}`,
    email: `c${pad(i)}@example.test`,
    attributes: { tier: i % 3 === 0 ? 'gold' : 'basic' },
  }));
  for (const chunk of chunks(customers, 1000)) await db.models.customers.insertMany(chunk);

  const services = createServices(client, TASK_QUEUE, db.models);
  if (dispatch) {
    // A journey that hears `purchase`, with a run for every tenth customer.
    const journeyId = `purchases-${db.connection.name}`;
    const definition = journeyDefinitionSchema.parse({ name: 'Waits for a purchase', steps: [{ id: 'wait-purchase', type: 'waitForEvent', event: 'purchase', timeout: '30d' }] });
    const { doc } = await saveJourneyVersion(db.models, journeyId, definition);
    // Purchases (every fifth event) fall on customers 4, 9, 14...: half of their buyers have a run.
    const members = customers.filter((_, i) => i % 10 === 4).map((c) => c._id);
    const { entered } = await services.runs.launch({ journeyId, journeyVersion: doc.version, definition }, members);
    log(`${db.connection.name}: ${fmt.n(entered.length)} runs of ${journeyId} wait for a purchase`);
  }
  const app = createApp({
    apiKeys: [API_KEY],
    signingSecret: 'bench-signing-secret-0123456789abcdef',
    publicUrl: 'http://127.0.0.1',
    models: db.models,
    ...services,
    ...(dispatch ? {} : { events: createEventIngest(db.models) }),
    readiness: { mongodb: () => db.ping(), temporal: async () => Boolean(await connection.healthService.check({})) },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  bench.onCleanup(`API on ${uri}`, async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post: Post = async (path, body) => {
    const res = await fetch(baseUrl + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).catch((err: unknown) => {
      if (err instanceof Error && err.name === 'TimeoutError') {
        throw new Error(`POST ${path} had no answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
      }
      throw err;
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
  return { db, post };
}
