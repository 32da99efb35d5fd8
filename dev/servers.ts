// Starts the real servers installed by scripts/install-servers.sh as child processes: the
// Temporal dev server and the embedded MongoDB-compatible store. Used by `npm start` and by the
// test suite's set-up.
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_CLI_TYPE, SEARCH_ATTRIBUTES } from '../core/journey-contract';
import { prettyLine } from './pretty-logs';

/** The checkout: the nearest folder above this file (source or compiled) with a package.json. */
export const REPO_ROOT = (() => {
  let dir = path.resolve(__dirname, '..');
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();
export const BIN_DIR = path.join(REPO_ROOT, '.cairn', 'bin');

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function binaryFile(name: string): string {
  const file = path.join(BIN_DIR, name);
  if (!existsSync(file)) throw new Error(`${file} is missing: run "bash scripts/install-servers.sh"`);
  return file;
}

export { freePort } from '../lib/free-port';

/** Where a child's output goes: a log file, or this terminal with the child's name before each line (JSON lines made readable). */
type Output = { logFile: string } | { prefix: string };

export function runProcess(name: string, file: string, args: string[], output: Output, env?: NodeJS.ProcessEnv): ManagedProcess {
  // Its own process group: Ctrl-C reaches only the supervisor, which stops children in order.
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env, detached: true });
  let closeLog = () => {};
  if ('logFile' in output) {
    mkdirSync(path.dirname(output.logFile), { recursive: true });
    const log = createWriteStream(output.logFile, { flags: 'a' });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    closeLog = () => log.end();
  } else {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => console.log(prettyLine(output.prefix, line)));
    }
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      closeLog();
    },
  };
}

export async function waitFor(what: string, child: ChildProcess, logHint: string, ready: () => Promise<boolean>, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}; see ${logHint}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s; see ${logHint}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface TemporalDevServerOptions {
  port: number;
  /** The Web UI's port; none runs the server headless. */
  uiPort?: number;
  /** SQLite file for persistence; none keeps everything in memory. */
  dbFile?: string;
  namespace?: string;
  logFile: string;
  /** Faster, less durable SQLite settings: for tests only. */
  fastStorage?: boolean;
}

export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<ManagedProcess> {
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--namespace', namespace, '--log-level', 'warn'];
  args.push(...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  if (options.fastStorage) args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF');
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${SEARCH_ATTRIBUTE_CLI_TYPE[key.type]}`);

  const proc = runProcess('temporal', binaryFile('temporal'), args, { logFile: options.logFile });
  await waitFor('Temporal dev server', proc.child, options.logFile, async () => {
    if (!(await accepts(options.port))) return false;
    const connection = await Connection.connect({ address: `127.0.0.1:${options.port}`, connectTimeout: 2_000 });
    try {
      await connection.workflowService.describeNamespace({ namespace });
      return true;
    } finally {
      await connection.close();
    }
  });
  return proc;
}

export interface MongoStoreOptions {
  port: number;
  /** The H2 file that keeps the data; none keeps everything in memory (tests). */
  h2File?: string;
  logFile: string;
  /** The JVM's heap cap: without one it takes a quarter of the machine's memory. */
  heapMb?: number;
}

/**
 * The embedded MongoDB-compatible store: mongo-java-server (built into .cairn/bin by
 * scripts/install-servers.sh from dev/mongo-store). Every operation on a collection is
 * serialized, so single-document updates are atomic across clients, as on MongoDB.
 */
export async function startMongoStore(options: MongoStoreOptions): Promise<ManagedProcess> {
  const jar = binaryFile('cairn-mongo-store.jar');
  const storage = options.h2File ? ['--h2', options.h2File] : ['--memory'];
  if (options.h2File) mkdirSync(path.dirname(options.h2File), { recursive: true });
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const proc = runProcess(
    'store',
    java,
    [`-Xmx${options.heapMb ?? 384}m`, '-XX:+UseSerialGC', '-jar', jar, '--port', String(options.port), ...storage],
    { logFile: options.logFile },
  );
  await waitFor('the embedded MongoDB store', proc.child, options.logFile, () => accepts(options.port));
  return proc;
}
