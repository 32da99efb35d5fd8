// `npm start`: the whole stack on one machine. Starts whatever is not configured to be
// elsewhere (Temporal dev server with its Web UI, FerretDB, an SMTP sink), then the worker and
// the API; Ctrl-C or SIGTERM stops them all, newest first. Data persists in .cairn/data.
import path from 'node:path';
import { ManagedProcess, REPO_ROOT, runProcess, startFerretDb, startTemporalDevServer, waitFor } from '../dev/servers';
import { startSmtpSink, SmtpSink } from '../dev/smtp-sink';

const DEV_API_KEY = 'cairn-dev-key';
const PORTS = { temporal: 7233, temporalUi: 8233, mongo: 27017, smtp: 2525, mailViewer: 8025 };

async function main(): Promise<void> {
  const dataDir = path.join(REPO_ROOT, '.cairn', 'data');
  const logDir = path.join(REPO_ROOT, '.cairn', 'logs');
  const env: NodeJS.ProcessEnv = { ...process.env };
  const running: ManagedProcess[] = [];
  let sink: SmtpSink | undefined;
  const lines: string[] = [];

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      console.log('\ncairn: stopping...');
      for (const proc of running.reverse()) await proc.stop();
      await sink?.close();
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
      console.log('cairn: starting FerretDB...');
      running.push(
        await startFerretDb({ port: PORTS.mongo, dataDir: path.join(dataDir, 'ferretdb'), logFile: path.join(logDir, 'ferretdb.log') }),
      );
      env.MONGODB_URI = `mongodb://127.0.0.1:${PORTS.mongo}/cairn`;
      lines.push(`MongoDB          ${env.MONGODB_URI}  (FerretDB on SQLite)`);
    } else lines.push('MongoDB          MONGODB_URI  (yours)');

    if (!env.SMTP_URL) {
      sink = await startSmtpSink({
        port: PORTS.smtp,
        httpPort: PORTS.mailViewer,
        onMail: (mail) => console.log(`[mail] to ${mail.to.join(', ')}: ${mail.subject ?? '(no subject)'}`),
      });
      env.SMTP_URL = `smtp://127.0.0.1:${PORTS.smtp}`;
      lines.push(`Email            ${env.SMTP_URL}  (local sink; read it at http://localhost:${PORTS.mailViewer}/messages)`);
    } else lines.push('Email            SMTP_URL  (yours)');

    if (!env.CAIRN_API_KEYS) env.CAIRN_API_KEYS = DEV_API_KEY;
    const port = env.PORT ?? '3000';

    running.push(runProcess('worker', process.execPath, [path.join(REPO_ROOT, 'dist/workers/main.js')], { prefix: '[worker]' }, env));
    const api = runProcess('api', process.execPath, [path.join(REPO_ROOT, 'dist/api/server.js')], { prefix: '[api]' }, env);
    running.push(api);
    await waitFor('the API', api.child, 'the [api] lines above', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok);

    lines.unshift(`API              http://localhost:${port}  (OpenAPI: http://localhost:${port}/openapi.json)`);
    if (env.CAIRN_API_KEYS === DEV_API_KEY) lines.push(`API key          ${DEV_API_KEY}  (development default; set CAIRN_API_KEYS)`);
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
