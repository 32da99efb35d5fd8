import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';
import { CHANNELS, type Channel } from '../core/channels';
import { channelTaskQueue } from '../core/journey-contract';
import { DEFAULT_WORKFLOW_CACHE_SIZE } from '../lib/config';

export interface JourneyWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  activities: Partial<Activities>;
  /** A prebuilt bundle (tests build one per suite); by default the worker bundles workflows/. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Sends per second per channel, across all workers (Temporal enforces it on the task queue). */
  sendRates?: Partial<Record<Channel, number>>;
  /**
   * The channels this worker has a provider for (default: all). It polls only their queues, so
   * a send waits for a worker that can deliver it rather than failing on one that cannot.
   */
  sendChannels?: readonly Channel[];
  /**
   * Journey runs kept in memory between their workflow tasks (default DEFAULT_WORKFLOW_CACHE_SIZE).
   * A run's task finds it cached or replays its history first; 0 replays every task.
   */
  workflowCacheSize?: number;
  /** Sinks the journey worker injects (a simulation's journeyTrace, core/journey-contract.ts). */
  sinks?: WorkerOptions['sinks'];
}

/** Workers that run as one: started together, stopped together. */
export interface WorkerGroup {
  readonly workers: Worker[];
  run(): Promise<void>;
  /** Runs the workers until the work settles, then shuts them down. */
  runUntil<T>(work: Promise<T> | (() => Promise<T>)): Promise<T>;
  shutdown(): void;
}

/**
 * The journey worker (the workflows and every activity, on the journey task queue) and one
 * worker per channel running only the send activity on that channel's queue, with the
 * channel's rate limit. The journey queue keeps `send` too, for runs scheduled before sends
 * had queues of their own.
 */
export async function createJourneyWorkers(options: JourneyWorkerOptions): Promise<WorkerGroup> {
  const { workflowBundle, sendRates, sendChannels = CHANNELS, workflowCacheSize = DEFAULT_WORKFLOW_CACHE_SIZE, activities, sinks, ...common } = options;
  const journey = await Worker.create({
    ...common,
    activities,
    ...(sinks ? { sinks } : {}),
    maxCachedWorkflows: workflowCacheSize,
    // Workflow tasks in progress hold a cache place each: never more of them than places.
    ...(workflowCacheSize > 0 && workflowCacheSize < 40 ? { maxConcurrentWorkflowTaskExecutions: Math.max(workflowCacheSize, 2) } : {}),
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
  });
  const senders = await Promise.all(
    sendChannels.map((channel) =>
      Worker.create({
        ...common,
        taskQueue: channelTaskQueue(options.taskQueue, channel),
        activities: activities.send ? { send: activities.send } : {},
        ...(sendRates?.[channel] ? { maxTaskQueueActivitiesPerSecond: sendRates[channel] } : {}),
      }),
    ),
  );
  return workerGroup([journey, ...senders]);
}

function workerGroup(workers: Worker[]): WorkerGroup {
  const shutdown = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  const run = async () => {
    // One worker failing stops the others, so the group never runs half-alive.
    await Promise.all(workers.map((w) => w.run().catch((err) => (shutdown(), Promise.reject(err)))));
  };
  return {
    workers,
    run,
    shutdown,
    async runUntil(work) {
      const running = run();
      try {
        return await Promise.race([typeof work === 'function' ? work() : work, running.then(() => Promise.reject(new Error('the workers stopped before the work was done')))]);
      } finally {
        shutdown();
        await running;
      }
    },
  };
}
