// `npm run fuzz`: schemathesis against the whole API, on a stack of its own. Starts the Temporal
// dev server and the embedded store (both in memory, on free ports: every run begins empty), the
// local SMTP, Twilio and FCM stand-ins, then the worker and the API as processes
// (dist/workers/main.js, dist/api/server.js), and runs `st run` from .cairn/bin against
// /openapi.json with dev/schemathesis.toml: every check, every phase (examples, coverage,
// fuzzing, stateful), every operation. Arguments are passed on to `st run`
// (`npm run fuzz -- --max-examples 20`). Exits with schemathesis's code, after stopping everything.
// Logs and reports go to .cairn/fuzz/run-<time>/.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { BIN_DIR, freePort, ManagedProcess, REPO_ROOT, runProcess, startMongoStore, startTemporalDevServer, waitFor } from './servers';
import { startFcmServer } from './fcm-server';
import { startSmtpSink } from './smtp-sink';
import { startTwilioServer } from './twilio-server';
import { WORKER_PROCESS_ENV } from '../workers/process-env';

const API_KEY = `fuzz-${randomBytes(12).toString('hex')}`;
const TWILIO = { accountSid: `AC${'0'.repeat(32)}`, authToken: 'cairn-fuzz-twilio', from: '+15005550006' };
const FIREBASE_PROJECT = 'cairn-fuzz';
/** The customer whose inbox token the inbox operations are fuzzed with. */
const INBOX_CUSTOMER = 'fuzz-inbox-customer';
const CONFIG_FILE = path.join(REPO_ROOT, 'dev', 'schemathesis.toml');
/**
 * Failures accepted for now, each by operation, check and status code or content type: the
 * document's side of mismatches (issue 11 regenerates the document from the zod schemas, with
 * every status code). Anything not in it fails the run; `-- --baseline-prune` drops what no
 * longer happens.
 */
const BASELINE_FILE = path.join(REPO_ROOT, 'dev', 'fuzz-baseline.json');

const log = (line: string) => console.log(`cairn fuzz: ${line}`);

async function main(): Promise<number> {
  const st = path.join(BIN_DIR, 'st');
  const scripts = ['api/server.js', 'workers/main.js', 'workflow-bundle.js'].map((f) => path.join(REPO_ROOT, 'dist', f));
  for (const file of [st, ...scripts]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run "npm run setup" and "npm run build" (npm run fuzz does both)`);
  }
  const runDir = path.join(REPO_ROOT, '.cairn', 'fuzz', `run-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(runDir, { recursive: true });

  const processes: ManagedProcess[] = [];
  const local: { close(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const proc of processes.reverse()) await proc.stop();
    for (const server of local.reverse()) await server.close();
  };
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      void stopAll().then(() => process.exit(130));
    });
  }

  try {
    log(`starting the stack (logs in ${path.relative(REPO_ROOT, runDir)})...`);
    const [temporalPort, mongoPort, apiPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const [temporal, store] = await Promise.all([
      startTemporalDevServer({ port: temporalPort, logFile: path.join(runDir, 'temporal.log'), fastStorage: true }),
      startMongoStore({ port: mongoPort, logFile: path.join(runDir, 'mongo-store.log'), heapMb: 256 }),
    ]);
    processes.push(temporal, store);
    const sink = await startSmtpSink();
    local.push(sink);
    const twilio = await startTwilioServer({ accountSid: TWILIO.accountSid, authToken: TWILIO.authToken });
    local.push(twilio);
    const fcm = await startFcmServer({ projectId: FIREBASE_PROJECT, tlsDir: path.join(runDir, 'fcm-tls') });
    local.push(fcm);

    const baseUrl = `http://127.0.0.1:${apiPort}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(apiPort),
      CAIRN_API_KEYS: API_KEY,
      CAIRN_SIGNING_SECRET: randomBytes(32).toString('hex'),
      CAIRN_PUBLIC_URL: baseUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: 'cairn-fuzz',
      MONGODB_URI: `mongodb://127.0.0.1:${mongoPort}/cairn_fuzz`,
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      EMAIL_FROM: 'Cairn <journeys@fuzz.test>',
      TWILIO_ACCOUNT_SID: TWILIO.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO.authToken,
      TWILIO_FROM: TWILIO.from,
      TWILIO_API_URL: twilio.url,
      FIREBASE_PROJECT_ID: FIREBASE_PROJECT,
      FCM_LOCAL_ADDRESS: fcm.address,
      FCM_CA_FILE: fcm.caFile,
      CAIRN_WORKFLOW_BUNDLE: path.join(REPO_ROOT, 'dist', 'workflow-bundle.js'),
    };
    const worker = runProcess('worker', process.execPath, [scripts[1]], { logFile: path.join(runDir, 'worker.log') }, { ...env, ...WORKER_PROCESS_ENV });
    processes.push(worker);
    const api = runProcess('api', process.execPath, [scripts[0]], { logFile: path.join(runDir, 'api.log') }, env);
    processes.push(api);
    await waitFor('the API', api.child, path.join(runDir, 'api.log'), async () => (await fetch(`${baseUrl}/readyz`)).ok);
    const inboxToken = await issueInboxToken(baseUrl);

    const extra = process.argv.slice(2);
    const baseline = extra.some((arg) => arg.startsWith('--baseline=') || arg === '--baseline') ? [] : ['--baseline', BASELINE_FILE];
    const args = ['--config-file', CONFIG_FILE, 'run', `${baseUrl}/openapi.json`, ...baseline, '--report', 'junit', '--report-dir', runDir, ...extra];
    log(`st ${args.join(' ')}`);
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(st, args, {
        cwd: runDir,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, CAIRN_FUZZ_API_KEY: API_KEY, CAIRN_FUZZ_INBOX_TOKEN: inboxToken, NO_COLOR: process.stdout.isTTY ? undefined : '1' },
      });
      child.once('error', reject);
      child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
    });
    for (const proc of [worker, api]) {
      if (proc.child.exitCode !== null) throw new Error(`the ${proc.name} exited (code ${proc.child.exitCode}) during the run; see ${runDir}/${proc.name}.log`);
    }
    log(code === 0 ? 'no failures' : `schemathesis exited with code ${code}; logs and the JUnit report in ${runDir}`);
    return code;
  } finally {
    if (!stopping) await stopAll();
  }
}

/** The one record the run starts with: a customer, for an inbox token the inbox operations accept. */
async function issueInboxToken(baseUrl: string): Promise<string> {
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  const put = await fetch(`${baseUrl}/v1/customers/${INBOX_CUSTOMER}`, { method: 'PUT', headers, body: JSON.stringify({ email: 'inbox@fuzz.test' }) });
  if (!put.ok) throw new Error(`creating the inbox customer answered ${put.status}: ${await put.text()}`);
  const res = await fetch(`${baseUrl}/v1/customers/${INBOX_CUSTOMER}/inbox-token`, { method: 'POST', headers, body: '{}' });
  if (!res.ok) throw new Error(`issuing the inbox token answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`cairn fuzz: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  },
);
