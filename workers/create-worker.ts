import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';

export interface JourneyWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** A prebuilt bundle (tests build one per suite); by default the worker bundles workflows/. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** The journey worker: the workflow interpreter and every activity, on one task queue. */
export function createJourneyWorker(options: JourneyWorkerOptions): Promise<Worker> {
  const { workflowBundle, ...rest } = options;
  return Worker.create({
    ...rest,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
  });
}
