// Starts the servers the suite shares (a Temporal dev server and the embedded MongoDB store in
// memory, on free ports so a running `npm start` is undisturbed) and bundles the workflows once.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { quietLogger } from '../../dev/quiet-logger';
import { freePort, REPO_ROOT, startMongoStore, startTemporalDevServer } from '../../dev/servers';
import { testEnvFile, testRunDir, TestEnv } from './test-env';

export default async function globalSetup(): Promise<void> {
  const dir = testRunDir();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const [temporalPort, mongoPort] = await Promise.all([freePort(), freePort()]);
  const [temporal, mongoStore, bundle] = await Promise.all([
    startTemporalDevServer({ port: temporalPort, logFile: path.join(dir, 'temporal.log'), fastStorage: true }),
    startMongoStore({ port: mongoPort, logFile: path.join(dir, 'mongo-store.log') }),
    bundleWorkflowCode({ workflowsPath: path.join(REPO_ROOT, 'workflows'), logger: quietLogger }),
  ]);
  const bundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  const env: TestEnv = {
    temporalAddress: `127.0.0.1:${temporalPort}`,
    mongoBaseUri: `mongodb://127.0.0.1:${mongoPort}`,
    workflowBundlePath: bundlePath,
  };
  writeFileSync(testEnvFile(), JSON.stringify(env));
  (globalThis as { __cairnServers?: unknown }).__cairnServers = [temporal, mongoStore];
}
