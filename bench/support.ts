// Shared plumbing of the benchmarks: servers of their own on free ports in a temp folder under
// .cairn/bench, a watchdog that bounds the run, clean-up in reverse order on every exit path,
// concurrency lanes, and the machine and result reports. Timings here are for reports only:
// nothing asserts on them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, ManagedProcess, REPO_ROOT, startMongoStore, startTemporalDevServer } from '../dev/servers';
import { logger } from '../lib/logger';

export const BENCH_ROOT = path.join(REPO_ROOT, '.cairn', 'bench');

/** A positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not "${raw}"`);
  return value;
}

export function log(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  console.log(`[bench ${t}] ${message}`);
}

type Cleanup = { name: string; fn: () => Promise<void> | void };

/** The code measured, taken when the run starts (the tree may move while it runs). */
let measuredCode = 'unknown';

export interface Bench {
  /** This run's folder: server data and logs. Removed at the end unless the run failed or BENCH_KEEP=1. */
  dir: string;
  /** Registers a clean-up step; they run newest first, once, whatever happens. */
  onCleanup(name: string, fn: () => Promise<void> | void): void;
  startTemporal(): Promise<{ address: string; process: ManagedProcess }>;
  startMongoStore(): Promise<{ baseUri: string; process: ManagedProcess }>;
  /**
   * The Temporal dev server's SQLite settings: `fast` (the test suite's: WAL, synchronous=OFF;
   * the default) or `durable` (npm start's), from BENCH_TEMPORAL_STORAGE.
   */
  temporalStorage: 'fast' | 'durable';
  /** The embedded store's backend: `h2` (npm start's, the default) or `memory` (the tests'), from BENCH_STORE. */
  storeBackend: 'h2' | 'memory';
  /** The peak resident set (VmHWM) of the servers this run started, in MiB, where /proc tells. */
  serverPeaks(): Record<string, number | undefined>;
  /** CPU seconds used so far by this process and by each server; pass to cpuSince. */
  cpu(): CpuSnapshot;
}

export type CpuSnapshot = Record<string, number | undefined>;

/** CPU seconds used since `before`, per process, as "bench 12 s, temporal 40 s, store 3 s". */
export function cpuSince(before: CpuSnapshot, after: CpuSnapshot): string {
  return Object.keys(after)
    .map((name) => {
      const a = after[name];
      const b = before[name];
      return `${name} ${a === undefined || b === undefined ? 'n/a' : `${(a - b).toFixed(0)} s`}`;
    })
    .join(', ');
}

/**
 * Runs a benchmark: a watchdog (BENCH_TIMEOUT_S, default `timeoutS`) and SIGINT/SIGTERM stop it
 * cleanly, every registered clean-up runs, and the process exits by itself.
 */
export function runBench(name: string, timeoutS: number, main: (bench: Bench) => Promise<void>): void {
  const storage = process.env.BENCH_TEMPORAL_STORAGE ?? 'fast';
  if (storage !== 'fast' && storage !== 'durable') throw new Error(`BENCH_TEMPORAL_STORAGE must be fast or durable, not "${storage}"`);
  const storeBackend = process.env.BENCH_STORE ?? 'h2';
  if (storeBackend !== 'h2' && storeBackend !== 'memory') throw new Error(`BENCH_STORE must be h2 or memory, not "${storeBackend}"`);
  // The API and activities run in this process: a log line per request would be measured too.
  logger.level = 'warn';
  measuredCode = codeVersion();
  const dir = path.join(BENCH_ROOT, `${name}-${Date.now().toString(36)}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const cleanups: Cleanup[] = [];
  const servers: ManagedProcess[] = [];
  let finished = false;

  const finish = async (code: number, why?: string) => {
    if (finished) return;
    finished = true;
    clearTimeout(watchdog);
    if (why) console.error(`[bench] ${why}`);
    for (const cleanup of cleanups.reverse()) {
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref());
      try {
        const outcome = await Promise.race([Promise.resolve(cleanup.fn()).then(() => 'done' as const), timeout]);
        if (outcome === 'timeout') console.error(`[bench] clean-up "${cleanup.name}" took over 30 s; moving on`);
      } catch (err) {
        console.error(`[bench] clean-up "${cleanup.name}" failed: ${err instanceof Error ? err.message : err}`);
      }
    }
    if (code === 0 && process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    else console.error(`[bench] data and server logs kept in ${path.relative(process.cwd(), dir)}`);
    process.exit(code);
  };

  const timeoutMs = envInt('BENCH_TIMEOUT_S', timeoutS) * 1000;
  const watchdog = setTimeout(() => void finish(2, `stopped by the watchdog after ${timeoutMs / 1000} s (BENCH_TIMEOUT_S)`), timeoutMs);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void finish(130, `stopped by ${signal}`));

  const bench: Bench = {
    dir,
    temporalStorage: storage,
    storeBackend,
    onCleanup: (cleanupName, fn) => void cleanups.push({ name: cleanupName, fn }),
    async startTemporal() {
      const port = await freePort();
      const proc = await startTemporalDevServer({
        port,
        dbFile: path.join(dir, 'temporal.db'),
        logFile: path.join(dir, 'temporal.log'),
        fastStorage: bench.temporalStorage === 'fast',
      });
      servers.push(proc);
      bench.onCleanup('Temporal dev server', () => proc.stop());
      return { address: `127.0.0.1:${port}`, process: proc };
    },
    async startMongoStore() {
      const port = await freePort();
      const h2 = bench.storeBackend === 'h2' ? { h2File: path.join(dir, 'store.mv.db') } : {};
      const proc = await startMongoStore({ port, ...h2, logFile: path.join(dir, 'mongo-store.log') });
      servers.push(proc);
      bench.onCleanup('the embedded MongoDB store', () => proc.stop());
      return { baseUri: `mongodb://127.0.0.1:${port}`, process: proc };
    },
    serverPeaks() {
      return Object.fromEntries(servers.map((s) => [s.name, peakRssMiB(s.child.pid)]));
    },
    cpu() {
      const usage = process.cpuUsage();
      return {
        bench: (usage.user + usage.system) / 1e6,
        ...Object.fromEntries(servers.map((s) => [s.name, cpuSeconds(s.child.pid)])),
      };
    },
  };

  main(bench).then(
    () => finish(0),
    (err) => finish(1, `failed: ${describeError(err)}`),
  );
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause === undefined ? '' : `\ncaused by: ${describeError(err.cause)}`;
  return `${err.stack ?? err.message}${cause}`;
}

/** VmHWM of a process from /proc, in MiB; undefined where there is no /proc. */
export function peakRssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds of a process from /proc; undefined where there is no /proc. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** This process's peak resident set so far, in MiB. */
export function selfPeakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Runs task(0..count-1) with `concurrency` lanes, each taking the next index when it is free. */
export async function inLanes(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/** Seconds taken by fn, from a monotonic clock. */
export async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

export async function sleepMs(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

export { chunksOf as chunks } from '../lib/concurrency';

export function pad(n: number, width = 6): string {
  return String(n).padStart(width, '0');
}

/** The commit measured, and whether files outside bench/ differ from it. */
export function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', '.', ':!bench', ':!BENCHMARKS.md').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

export type Row = [string, string];

/** Prints the results as a Markdown table and keeps them as JSON next to the runs' folders. */
export function report(name: string, title: string, rows: Row[], details: Record<string, unknown>): void {
  const lines = [`### ${title}`, '', `Code ${measuredCode}, ${new Date().toISOString().slice(0, 16)}Z.`, '', '| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)];
  console.log(`\n${lines.join('\n')}\n`);
  const file = path.join(BENCH_ROOT, `${name}-last.json`);
  writeFileSync(file, JSON.stringify({ name, at: new Date().toISOString(), code: measuredCode, machine: machine(), rows, details }, null, 2));
  log(`results also in ${path.relative(process.cwd(), file)}`);
}

export const fmt = {
  rate: (perSecond: number) => `${perSecond.toFixed(0)}/s`,
  ratio: (r: number) => `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×`,
  s: (seconds: number) => `${seconds.toFixed(1)} s`,
  mib: (mib: number | undefined) => (mib === undefined ? 'n/a' : `${mib.toFixed(0)} MiB`),
  n: (n: number) => n.toLocaleString('en-US'),
};

export { quietLogger } from '../dev/quiet-logger';
