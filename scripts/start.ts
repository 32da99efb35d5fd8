// `npm start`: the whole stack on one machine. Starts whatever is not configured to be
// elsewhere (Temporal dev server with its Web UI, the embedded MongoDB store, and local stand-ins for the SMTP,
// Twilio and FCM providers), then the worker and the API; Ctrl-C or SIGTERM stops them all,
// newest first. Data persists in .cairn/data.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startFcmServer } from '../dev/fcm-server';
import { ManagedProcess, REPO_ROOT, runProcess, startMongoStore, startTemporalDevServer, waitFor } from '../dev/servers';
import { WORKER_PROCESS_ENV } from '../workers/process-env';
import { startSmtpSink } from '../dev/smtp-sink';
import { startTwilioServer } from '../dev/twilio-server';

const DEV_API_KEY = 'cairn-dev-key';
const PORTS = { temporal: 7233, temporalUi: 8233, mongo: 27017, smtp: 2525, mailViewer: 8025, twilio: 8026, fcm: 8027, fcmViewer: 8028, workerMetrics: 9464 };
/** The local Twilio server's account: any AC + 32 hex digits will do; +15005550006 is Twilio's test sender. */
const LOCAL_TWILIO = { accountSid: `AC${'0'.repeat(32)}`, authToken: 'cairn-local-twilio', from: '+15005550006' };
const LOCAL_FIREBASE_PROJECT = 'cairn-local';

/** A signing secret made once and kept with the data, so links in sent messages keep working. */
function localSigningSecret(dataDir: string): string {
  const file = path.join(dataDir, 'signing-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

async function main(): Promise<void> {
  const dataDir = path.join(REPO_ROOT, '.cairn', 'data');
  const logDir = path.join(REPO_ROOT, '.cairn', 'logs');
  const env: NodeJS.ProcessEnv = { ...process.env };
  const running: ManagedProcess[] = [];
  /** Local provider servers, closed after the processes. */
  const local: { close(): Promise<void> }[] = [];
  const lines: string[] = [];

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      console.log('\ncairn: stopping...');
      for (const proc of running.reverse()) await proc.stop();
      for (const server of local.reverse()) await server.close();
      console.log('cairn: stopped');
    })());
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));

  try {
    if (!env.TEMPORAL_ADDRESS) {
      console.log('cairn: starting the Temporal dev server...');
      running.push(
        await startTemporalDevServer({
          port: PORTS.temporal,
          uiPort: PORTS.temporalUi,
          dbFile: path.join(dataDir, 'temporal.db'),
          logFile: path.join(logDir, 'temporal.log'),
        }),
      );
      env.TEMPORAL_ADDRESS = `127.0.0.1:${PORTS.temporal}`;
      lines.push(`Temporal         ${env.TEMPORAL_ADDRESS}  (Web UI: http://localhost:${PORTS.temporalUi})`);
    } else lines.push(`Temporal         ${env.TEMPORAL_ADDRESS}  (yours)`);

    if (!env.MONGODB_URI) {
      console.log('cairn: starting the embedded MongoDB store...');
      running.push(
        await startMongoStore({ port: PORTS.mongo, h2File: path.join(dataDir, 'cairn.mv.db'), logFile: path.join(logDir, 'mongo-store.log') }),
      );
      env.MONGODB_URI = `mongodb://127.0.0.1:${PORTS.mongo}/cairn`;
      lines.push(`MongoDB          ${env.MONGODB_URI}  (mongo-java-server, H2 file in .cairn/data)`);
    } else lines.push('MongoDB          MONGODB_URI  (yours)');

    if (!env.SMTP_URL) {
      const sink = await startSmtpSink({
        port: PORTS.smtp,
        httpPort: PORTS.mailViewer,
        onMail: (mail) => console.log(`[mail] to ${mail.to.join(', ')}: ${mail.subject ?? '(no subject)'}`),
      });
      local.push(sink);
      env.SMTP_URL = `smtp://127.0.0.1:${PORTS.smtp}`;
      lines.push(`Email            ${env.SMTP_URL}  (local sink; read it at http://localhost:${PORTS.mailViewer}/messages)`);
    } else lines.push('Email            SMTP_URL  (yours)');

    const port = env.PORT ?? '3000';
    env.CAIRN_PUBLIC_URL ??= `http://localhost:${port}`;

    if (!env.TWILIO_ACCOUNT_SID) {
      const twilio = await startTwilioServer({
        ...LOCAL_TWILIO,
        port: PORTS.twilio,
        onMessage: (sms) => console.log(`[sms] to ${sms.to}: ${sms.body}`),
      });
      local.push(twilio);
      Object.assign(env, {
        TWILIO_ACCOUNT_SID: LOCAL_TWILIO.accountSid,
        TWILIO_AUTH_TOKEN: LOCAL_TWILIO.authToken,
        TWILIO_FROM: LOCAL_TWILIO.from,
        TWILIO_API_URL: twilio.url,
      });
      lines.push(`SMS              ${twilio.url}  (local Twilio API; texts at ${twilio.url}/messages)`);
    } else lines.push('SMS              TWILIO_ACCOUNT_SID  (yours)');

    if (!env.FIREBASE_PROJECT_ID) {
      const fcm = await startFcmServer({
        projectId: LOCAL_FIREBASE_PROJECT,
        port: PORTS.fcm,
        httpPort: PORTS.fcmViewer,
        tlsDir: path.join(dataDir, 'fcm-tls'),
        onMessage: (push) => {
          const { title = '', body = '' } = (push.message.notification ?? {}) as { title?: string; body?: string };
          console.log(`[push] to device ${push.token?.slice(0, 12)}: ${title} / ${body}`);
        },
      });
      local.push(fcm);
      Object.assign(env, { FIREBASE_PROJECT_ID: LOCAL_FIREBASE_PROJECT, FCM_LOCAL_ADDRESS: fcm.address, FCM_CA_FILE: fcm.caFile });
      lines.push(`Push             https://${fcm.address}  (local FCM v1 over TLS; pushes at http://localhost:${PORTS.fcmViewer}/messages)`);
    } else lines.push('Push             FIREBASE_PROJECT_ID  (yours)');

    if (!env.CAIRN_API_KEYS) env.CAIRN_API_KEYS = DEV_API_KEY;
    env.CAIRN_WORKER_METRICS_ADDRESS ??= `127.0.0.1:${PORTS.workerMetrics}`;
    env.CAIRN_SIGNING_SECRET ??= localSigningSecret(dataDir);

    // The workflows as `npm start`'s build bundled them, rather than bundled again by the worker;
    // its heaps and malloc arenas bounded as a deployment's are.
    const workerEnv = { ...WORKER_PROCESS_ENV, ...env, CAIRN_WORKFLOW_BUNDLE: env.CAIRN_WORKFLOW_BUNDLE ?? path.join(REPO_ROOT, 'dist/workflow-bundle.js') };
    running.push(runProcess('worker', process.execPath, [path.join(REPO_ROOT, 'dist/workers/main.js')], { prefix: '[worker]' }, workerEnv));
    const api = runProcess('api', process.execPath, [path.join(REPO_ROOT, 'dist/api/server.js')], { prefix: '[api]' }, env);
    running.push(api);
    await waitFor('the API', api.child, 'the [api] lines above', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);

    lines.unshift(`API              http://localhost:${port}  (OpenAPI: http://localhost:${port}/openapi.json)`);
    if (env.CAIRN_API_KEYS === DEV_API_KEY) lines.push(`API key          ${DEV_API_KEY}  (development default; set CAIRN_API_KEYS)`);
    lines.push(`Metrics          http://localhost:${port}/metrics  (API; with the API key as bearer token)`);
    lines.push(`                 http://${env.CAIRN_WORKER_METRICS_ADDRESS}/metrics  (worker: Cairn's and the Temporal SDK's)`);
    console.log(`\ncairn is running. Ctrl-C stops it.\n\n  ${lines.join('\n  ')}\n  Logs             ${logDir}\n`);

    // Either child dying takes the whole stack down, rather than leaving half of it running.
    for (const proc of running) {
      proc.child.once('exit', (code) => {
        if (stopping) return;
        console.error(`cairn: ${proc.name} exited (code ${code}); stopping everything`);
        void stop().then(() => process.exit(1));
      });
    }
  } catch (err) {
    console.error(`cairn: ${err instanceof Error ? err.message : err}`);
    await stop();
    process.exit(1);
  }
}

void main();
