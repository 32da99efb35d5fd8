// The time-skipping test server (installed by scripts/install-servers.sh) and a worker on a
// task queue of the test's own, running the real workflow bundle with typed fake activities.
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { BIN_DIR } from '../../dev/servers';
import { startTimeSkippingServer } from '../../lib/simulation-hosts';
import { createJourneyWorkers } from '../../workers/create-worker';
import { testEnv } from './test-env';

let runtimeInstalled = false;

export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  return startTimeSkippingServer(path.join(BIN_DIR, 'temporal-test-server'));
}

let queues = 0;

export async function journeyWorker(env: TestWorkflowEnvironment, activities: Partial<Activities>) {
  const taskQueue = `ts-${process.pid}-${++queues}`;
  const worker = await createJourneyWorkers({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: testEnv().workflowBundlePath },
    activities,
  });
  return { worker, taskQueue };
}
