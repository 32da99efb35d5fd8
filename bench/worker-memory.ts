// `npm run bench:worker-memory`: the journey worker's memory with many runs waiting, for several
// workflow cache sizes, and what a small cache costs when runs wake.
//
// Starts its own Temporal dev server and embedded store and bundles the workflows once (as
// `npm run build` does). For each cache size in BENCH_CACHE_SIZES it starts a real worker
// process (the compiled workers/main.js, with CAIRN_WORKFLOW_CACHE_SIZE, the bundle, the
// environment of workers/process-env.ts, and its SDK metrics on a Prometheus endpoint) and reads
// its resident set (VmRSS, and the peak VmHWM) from /proc once all BENCH_RUNS (default 10,000)
// runs have been through it and wait. With the first size it enters them, into a journey whose
// first step is a 1-day wait, through lib/journey-runs as a launch does (500 at a time, 16 starts
// in flight); every later size wakes them instead, one customerEvent signal each (an event a
// waiting run hears and goes on waiting), so each run's task replays its history on the new
// worker and the cache keeps the latest. Then the cost of the cache's size: it wakes the
// BENCH_WAKE_SAMPLE runs the worker ran last (still cached) and those it ran first (dropped by a
// cache smaller than the runs), signal then query, 16 at a time, timing each; the worker's
// metrics count its sticky-cache hits and misses (a miss fetches and replays the run's history).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { journeyWorkflowId } from '../core/ids';
import { customerEventSignal, journeyStateQuery } from '../core/journey-contract';
import { journeyDefinitionSchema } from '../core/journey-definition';
import { connectDatabase } from '../db/connect';
import { freePort, ManagedProcess, runProcess } from '../dev/servers';
import { createJourneyRuns, JourneyRuns } from '../lib/journey-runs';
import { WORKER_PROCESS_ENV } from '../workers/process-env';
import { Bench, chunks, cpuSeconds, envInt, fmt, inLanes, log, machine, pad, peakRssMiB, quietLogger, report, Row, runBench, sleepMs, timed } from './support';

const TASK_QUEUE = 'bench-worker-memory';
const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
const WORKER_SCRIPT = path.resolve(__dirname, '..', 'workers', 'main.js');
const PAGE = 500;
const WAKE_CONCURRENCY = 16;
const JOURNEY = 'waiting';
/** The RSS target of issue 9: with 10,000 runs waiting, at most this. */
const RSS_GOAL_MIB = 300;

const runsWanted = envInt('BENCH_RUNS', 10_000);
const wakeSample = envInt('BENCH_WAKE_SAMPLE', 100);
const cacheSizes = (process.env.BENCH_CACHE_SIZES ?? '100,250,500').split(',').map((s) => {
  const n = Number(s.trim());
  if (!Number.isInteger(n) || n < 0 || n === 1) throw new Error(`BENCH_CACHE_SIZES: "${s}" is not 0 or an integer of at least 2`);
  return n;
});

interface Wake {
  runs: number;
  seconds: number;
  latencyMs: { mean: number; p50: number; p95: number; max: number };
  cacheHits: number;
  cacheMisses: number;
  /** Mean time the worker took per workflow task meanwhile (a miss replays the run's history first). */
  taskMeanMs: number;
}

interface Pass {
  cacheSize: number;
  idleRssMiB: number;
  /** How the runs reached this worker: entered (started) by it, or woken on it, and how long until all waited again. */
  loaded: { how: 'entered' | 'woken'; seconds: number; startS?: number; wake?: Wake };
  rssMiB: number;
  peakMiB: number;
  cached: number;
  workerCpuS: number;
  first: Wake;
  last: Wake;
}

runBench('worker-memory', 1_200, async (bench) => {
  log(`machine: ${JSON.stringify(machine())}`);
  log(`worker memory benchmark: ${fmt.n(runsWanted)} runs, cache sizes ${cacheSizes.join(', ')}; data in ${bench.dir}`);
  const [temporal, store] = await Promise.all([bench.startTemporal(), bench.startMongoStore()]);
  const mongoUri = `${store.baseUri}/cairn_bench_memory`;
  const db = await connectDatabase(mongoUri);
  bench.onCleanup('database connection', () => db.close());
  const connection = await Connection.connect({ address: temporal.address });
  bench.onCleanup('client connection', () => connection.close());
  const client = new Client({ connection, namespace: 'default' });
  // The workflows bundled once, here, as `npm run build` does for a deployment.
  const bundlePath = path.join(bench.dir, 'workflow-bundle.js');
  const bundle = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '..', 'workflows'), logger: quietLogger });
  writeFileSync(bundlePath, bundle.code);
  const ctx: Context = { bench, temporalAddress: temporal.address, mongoUri, client, bundlePath, customers: Array.from({ length: runsWanted }, (_, i) => `m${pad(i)}`) };

  const passes: Pass[] = [];
  for (const [i, cacheSize] of cacheSizes.entries()) {
    passes.push(await measure(ctx, cacheSize, i === 0 ? createJourneyRuns(client, TASK_QUEUE, db.models.journeyEntries) : undefined));
  }

  const wakeCell = (w: Wake) =>
    `${w.latencyMs.mean.toFixed(0)} / ${w.latencyMs.p50.toFixed(0)} / ${w.latencyMs.p95.toFixed(0)} ms; ` +
    `${fmt.n(w.cacheHits)} hits, ${fmt.n(w.cacheMisses)} misses; ${w.taskMeanMs.toFixed(1)} ms per task`;
  const rows: Row[] = passes.flatMap((p): Row[] => [
    [
      `**cache ${fmt.n(p.cacheSize)}: worker RSS with ${fmt.n(runsWanted)} runs waiting** (VmRSS; peak VmHWM; runs cached)`,
      `**${fmt.mib(p.rssMiB)}**; ${fmt.mib(p.peakMiB)}; ${fmt.n(p.cached)}${p.rssMiB <= RSS_GOAL_MIB ? '' : ` (over ${RSS_GOAL_MIB} MiB)`}`,
    ],
    [
      `cache ${fmt.n(p.cacheSize)}: RSS once started, before any run; how the runs reached it`,
      `${fmt.mib(p.idleRssMiB)}; ` +
        (p.loaded.how === 'entered'
          ? `entered by it (${fmt.s(p.loaded.startS!)}), all waiting after ${fmt.s(p.loaded.seconds)}`
          : `woken on it, an event each (${fmt.s(p.loaded.seconds)}, ${fmt.rate(runsWanted / p.loaded.seconds)}; ${wakeCell(p.loaded.wake!)})`),
    ],
    [`cache ${fmt.n(p.cacheSize)}: wake the ${fmt.n(wakeSample)} runs it ran last (signal, then query): latency mean / p50 / p95; worker cache`, wakeCell(p.last)],
    [`cache ${fmt.n(p.cacheSize)}: wake the ${fmt.n(wakeSample)} it ran first`, wakeCell(p.first)],
    [`cache ${fmt.n(p.cacheSize)}: worker CPU, runs reaching it to the end`, `${p.workerCpuS.toFixed(0)} s`],
  ]);
  rows.unshift([
    'worker process: NODE_OPTIONS; MALLOC_ARENA_MAX; workflows',
    `${workerEnv().NODE_OPTIONS || '(none)'}; ${workerEnv().MALLOC_ARENA_MAX || '(glibc default)'}; ${process.env.BENCH_WORKER_BUNDLE === '0' ? 'bundled by the worker at start' : 'the bundle made ahead'}`,
  ]);
  const peaks = bench.serverPeaks();
  rows.push(['peak RSS of the servers', `Temporal ${fmt.mib(peaks.temporal)}, store ${fmt.mib(peaks.store)}`]);
  report('worker-memory', `Worker memory, ${fmt.n(runsWanted)} runs waiting`, rows, { runs: runsWanted, wakeSample, passes });
});

interface Context {
  bench: Bench;
  temporalAddress: string;
  mongoUri: string;
  client: Client;
  bundlePath: string;
  customers: string[];
}

/**
 * One cache size: a new worker; the runs entered through it (`enter`, the first size) or woken
 * on it, one event each (the others); its resident set once all wait; then the wake samples.
 */
async function measure(ctx: Context, cacheSize: number, enter: JourneyRuns | undefined): Promise<Pass> {
  const worker = await startWorkerProcess(ctx, cacheSize);
  const pid = worker.process.child.pid!;
  const idleRssMiB = rssMiB(pid);
  log(`cache ${cacheSize}: worker ${pid} ready, RSS ${fmt.mib(idleRssMiB)}`);
  const cpu0 = cpuSeconds(pid) ?? 0;

  let loaded: Pass['loaded'];
  if (enter) {
    const definition = journeyDefinitionSchema.parse({ name: 'Waiting', steps: [{ id: 'later', type: 'wait', duration: '1d' }] });
    const tasks0 = await worker.metrics();
    const start = Date.now();
    const startS = await timed(async () => {
      for (const page of chunks(ctx.customers, PAGE)) {
        const outcome = await enter.launch({ journeyId: JOURNEY, journeyVersion: 1, definition }, page);
        if (outcome.entered.length !== page.length) throw new Error(`expected ${page.length} entered, got ${outcome.entered.length}`);
      }
    });
    log(`cache ${cacheSize}: ${fmt.n(runsWanted)} runs entered in ${fmt.s(startS)}`);
    await untilTasksDone(worker, tasks0, runsWanted);
    loaded = { how: 'entered', seconds: (Date.now() - start) / 1000, startS };
  } else {
    const woken = await wake(ctx.client, worker, ctx.customers, false);
    loaded = { how: 'woken', seconds: woken.seconds, wake: woken };
  }
  // The resident set a moment later, when the last tasks' garbage has had a chance to go.
  await sleepMs(5_000);
  const rss = rssMiB(pid);
  const peak = peakRssMiB(pid) ?? 0;
  const cached = metric(await worker.metrics(), 'sticky_cache_size');
  log(`cache ${cacheSize}: all ${loaded.how} and waiting after ${fmt.s(loaded.seconds)}; RSS ${fmt.mib(rss)}, peak ${fmt.mib(peak)}, ${cached} cached`);

  // The last ones first: waking the first ones would push them out of a small cache.
  const last = await wake(ctx.client, worker, ctx.customers.slice(-wakeSample), true);
  const first = await wake(ctx.client, worker, ctx.customers.slice(0, wakeSample), true);
  log(`cache ${cacheSize}: woke the last ${wakeSample} (${last.cacheMisses} misses, ${last.latencyMs.mean.toFixed(0)} ms), the first (${first.cacheMisses} misses, ${first.latencyMs.mean.toFixed(0)} ms)`);
  const workerCpuS = (cpuSeconds(pid) ?? 0) - cpu0;
  await worker.process.stop();
  return { cacheSize, idleRssMiB, loaded, rssMiB: rss, peakMiB: peak, cached, workerCpuS, first, last };
}

interface WorkerProcess {
  process: ManagedProcess;
  metrics(): Promise<Map<string, number>>;
}

/** `node workers/main.js` with the cache size given; ready once it says it polls. */
async function startWorkerProcess(ctx: Context, cacheSize: number): Promise<WorkerProcess> {
  const metricsPort = await freePort();
  const logFile = path.join(ctx.bench.dir, `worker-cache-${cacheSize}.log`);
  const proc = runProcess('worker', process.execPath, [WORKER_SCRIPT], { logFile }, {
    ...process.env,
    TEMPORAL_ADDRESS: ctx.temporalAddress,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    MONGODB_URI: ctx.mongoUri,
    // No send step runs: the transport is made but never connects.
    SMTP_URL: 'smtp://127.0.0.1:9',
    EMAIL_FROM: 'Bench <bench@example.test>',
    CAIRN_PUBLIC_URL: 'http://127.0.0.1:9',
    CAIRN_SIGNING_SECRET: SIGNING_SECRET,
    CAIRN_WORKFLOW_CACHE_SIZE: String(cacheSize),
    // BENCH_WORKER_BUNDLE=0: the worker bundles workflows/ itself at start, as before `npm run build` made a bundle.
    CAIRN_WORKFLOW_BUNDLE: process.env.BENCH_WORKER_BUNDLE === '0' ? '' : ctx.bundlePath,
    CAIRN_WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
    ...workerEnv(),
  });
  ctx.bench.onCleanup(`worker (cache ${cacheSize})`, () => proc.stop());
  const deadline = Date.now() + 180_000;
  while (!(existsSync(logFile) && readFileSync(logFile, 'utf8').includes('cairn worker: polling'))) {
    if (proc.child.exitCode !== null) throw new Error(`the worker exited with code ${proc.child.exitCode}; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`the worker did not start within 180 s; see ${logFile}`);
    await sleepMs(250);
  }
  return {
    process: proc,
    async metrics() {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const sums = new Map<string, number>();
      for (const line of text.split('\n')) {
        const match = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})?\s+(\S+)$/.exec(line);
        if (match) sums.set(match[1], (sums.get(match[1]) ?? 0) + Number(match[2]));
      }
      return sums;
    },
  };
}

/**
 * The worker's process settings: as a deployment's (workers/process-env.ts), unless
 * BENCH_WORKER_NODE_OPTIONS or BENCH_WORKER_MALLOC_ARENA_MAX replace them ("" for Node's and glibc's defaults).
 */
function workerEnv(): { NODE_OPTIONS: string; MALLOC_ARENA_MAX: string } {
  return {
    NODE_OPTIONS: process.env.BENCH_WORKER_NODE_OPTIONS ?? WORKER_PROCESS_ENV.NODE_OPTIONS,
    MALLOC_ARENA_MAX: process.env.BENCH_WORKER_MALLOC_ARENA_MAX ?? WORKER_PROCESS_ENV.MALLOC_ARENA_MAX,
  };
}

/** A metric summed over its labels, by its name without the `temporal_` prefix (0 when absent). */
function metric(metrics: Map<string, number>, name: string): number {
  return metrics.get(`temporal_${name}`) ?? 0;
}

/** The count and sum of a histogram, whatever unit suffix its name carries. */
function histogram(metrics: Map<string, number>, name: string): { count: number; sum: number; unitMs: number } {
  for (const [suffix, unitMs] of [['', 1], ['_milliseconds', 1], ['_seconds', 1_000]] as const) {
    const count = metrics.get(`temporal_${name}${suffix}_count`);
    if (count !== undefined) return { count, sum: metrics.get(`temporal_${name}${suffix}_sum`) ?? 0, unitMs };
  }
  return { count: 0, sum: 0, unitMs: 1 };
}

/** Until the worker has completed `wanted` more workflow tasks than at `before`, and then none for 3 s. */
async function untilTasksDone(worker: WorkerProcess, before: Map<string, number>, wanted: number): Promise<void> {
  const done = (m: Map<string, number>) => histogram(m, 'workflow_task_execution_latency').count - histogram(before, 'workflow_task_execution_latency').count;
  let last = -1;
  let quietSince = Date.now();
  const deadline = Date.now() + 600_000;
  for (;;) {
    const now = done(await worker.metrics());
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    } else if (now >= wanted && Date.now() - quietSince >= 3_000) {
      return;
    }
    if (Date.now() > deadline) throw new Error(`the worker ran ${now} of ${wanted} workflow tasks within 600 s`);
    await sleepMs(500);
  }
}

/**
 * Sends each customer's run an event, 16 at a time; with `answer`, queries it after, which
 * Temporal answers once the run has handled the signal (latency: until then); without, waits
 * until the worker has run all their tasks (latency: the signal alone).
 */
async function wake(client: Client, worker: WorkerProcess, customers: string[], answer: boolean): Promise<Wake> {
  const before = await worker.metrics();
  const latencies: number[] = [];
  const stamp = Date.now();
  const seconds = await timed(async () => {
    await inLanes(customers.length, WAKE_CONCURRENCY, async (i) => {
      const handle = client.workflow.getHandle(journeyWorkflowId(JOURNEY, customers[i], 1));
      const start = performance.now();
      await handle.signal(customerEventSignal, { id: `wake-${stamp}-${i}`, name: 'bench.wake', timestamp: new Date().toISOString() });
      if (answer) await handle.query(journeyStateQuery);
      latencies.push(performance.now() - start);
    });
    if (!answer) await untilTasksDone(worker, before, customers.length);
  });
  const after = await worker.metrics();
  const tasks = histogram(after, 'workflow_task_execution_latency');
  const tasksBefore = histogram(before, 'workflow_task_execution_latency');
  const taskCount = tasks.count - tasksBefore.count;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    runs: customers.length,
    seconds,
    latencyMs: { mean: latencies.reduce((a, b) => a + b, 0) / latencies.length, p50: at(0.5), p95: at(0.95), max: latencies[latencies.length - 1] },
    cacheHits: metric(after, 'sticky_cache_hit') - metric(before, 'sticky_cache_hit'),
    cacheMisses: metric(after, 'sticky_cache_miss') - metric(before, 'sticky_cache_miss'),
    taskMeanMs: taskCount > 0 ? ((tasks.sum - tasksBefore.sum) * tasks.unitMs) / taskCount : 0,
  };
}

/** The resident set (VmRSS) of a process, in MiB. */
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}
