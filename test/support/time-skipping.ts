// The time-skipping test server (installed by scripts/install-servers.sh) and a worker on a
// task queue of the test's own, running the real workflow bundle with typed fake activities.
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type JourneyRunState, journeyStateQuery } from '../../core/journey-contract';
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

/** The run's state once `predicate` holds (asked every 25 ms, for about ten seconds). */
export async function stateWhen(handle: WorkflowHandle, predicate: (s: JourneyRunState) => boolean) {
  for (let i = 0; i < 400; i++) {
    const state = await handle.query(journeyStateQuery);
    if (predicate(state)) return state;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('state never matched');
}
