// Where journey simulations run (lib/journey-simulation.ts): Temporal's time-skipping test
// server, one per simulation, with a worker of the real workflow bundle beside it in this
// process. The server has one clock, which a simulation moves forward by weeks and which never
// goes back: so a server serves one simulation and is then shut down, and the next starts at
// the real "now" (quiet hours depend on the time of day). One host is kept warm, started ahead,
// so a simulation does not wait for a server and a worker to start (about 0.7 s here); at most
// `maxConcurrent` run at once, and a request beyond them is refused as busy rather than queued.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { InjectedSinks } from '@temporalio/worker';
import type { Activities } from '../activities';
import { type JourneyTraceSinks, SEARCH_ATTRIBUTES } from '../core/journey-contract';
import { createJourneyWorkers, type WorkerGroup } from '../workers/create-worker';
import { logger } from './logger';
import { indexedTypes } from './search-attributes';

/** The activities a journey run calls, and the trace of the steps it enters. */
export type SimulatedActivities = Pick<Activities, 'send' | 'evaluateBranch' | 'resolveWait' | 'resolveBestTime' | 'chooseSplitPath'>;
export interface SimulationBinding {
  activities: SimulatedActivities;
  stepEntered(stepId: string, at: string): void;
}

export interface SimulationHost {
  env: TestWorkflowEnvironment;
  taskQueue: string;
}

export interface SimulationHostsOptions {
  /** The `temporal-test-server` binary (scripts/install-servers.sh puts it in .cairn/bin). */
  testServerPath: string;
  /** The workflows as `npm run build` bundled them (dist/workflow-bundle.js). */
  workflowBundlePath: string;
  maxConcurrent: number;
}

/**
 * No simulation can run now (the API answers 503): every host is in use (`retryAfterS` says when
 * to try again), or this installation lacks the test server or the workflow bundle.
 */
export class SimulationUnavailableError extends Error {
  constructor(
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

/**
 * Starts a time-skipping test server from the binary at `path`, with Cairn's search attributes
 * registered as on a real cluster (runs upsert them). The tests start theirs the same way.
 */
export async function startTimeSkippingServer(path: string): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  try {
    await env.connection.operatorService.addSearchAttributes({ namespace: 'default', searchAttributes: indexedTypes(SEARCH_ATTRIBUTES) });
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

interface WarmHost extends SimulationHost {
  bind(binding: SimulationBinding): void;
  close(): Promise<void>;
}

async function startHost(options: SimulationHostsOptions): Promise<WarmHost> {
  const env = await startTimeSkippingServer(options.testServerPath);
  let binding: SimulationBinding | undefined;
  const bound = () => {
    if (!binding) throw new Error('a simulation host ran work before it was bound to a simulation');
    return binding;
  };
  // The worker is made before its simulation is known: its activities and sink ask the binding.
  const activities: SimulatedActivities = {
    send: (input) => bound().activities.send(input),
    evaluateBranch: (input) => bound().activities.evaluateBranch(input),
    resolveWait: (input) => bound().activities.resolveWait(input),
    resolveBestTime: (input) => bound().activities.resolveBestTime(input),
    chooseSplitPath: (input) => bound().activities.chooseSplitPath(input),
  };
  const sinks: InjectedSinks<JourneyTraceSinks> = {
    journeyTrace: { stepEntered: { fn: (_info, stepId, at) => bound().stepEntered(stepId, at) } },
  };
  const taskQueue = `simulation-${randomUUID()}`;
  let workers: WorkerGroup;
  try {
    workers = await createJourneyWorkers({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: options.workflowBundlePath }, activities, sinks });
  } catch (err) {
    await env.teardown();
    throw err;
  }
  const running = workers.run();
  // Handled at once: a spare whose worker dies while idle must not take the API down with an
  // unhandled rejection (the simulation that takes it fails and says so).
  running.catch((err) => logger.warn({ err }, 'a simulation worker stopped with an error'));
  return {
    env,
    taskQueue,
    bind: (b) => void (binding = b),
    async close() {
      workers.shutdown();
      await running.catch(() => undefined);
      await env.teardown();
    },
  };
}

export interface SimulationHosts {
  /** Runs `work` on a host of its own, bound to `binding`; the host is shut down after. Throws SimulationUnavailableError when all are in use. */
  run<T>(binding: SimulationBinding, work: (host: SimulationHost) => Promise<T>): Promise<T>;
  /** Starts the warm host now rather than at the first simulation; resolves once it is ready (or failed to start, logged). */
  warm(): Promise<void>;
  /** Shuts down the warm host and waits for the hosts of finished simulations to shut down (the HTTP server waits for those under way). */
  close(): Promise<void>;
}

/** What this installation lacks to simulate, in words; undefined when it has both files. */
function missingFile(options: SimulationHostsOptions): string | undefined {
  const needs: [string, string][] = [
    [options.testServerPath, 'the time-skipping test server (scripts/install-servers.sh installs it; CAIRN_TEST_SERVER names another)'],
    [options.workflowBundlePath, 'the workflow bundle (`npm run build` writes it; CAIRN_WORKFLOW_BUNDLE names another)'],
  ];
  const [file, what] = needs.find(([path]) => !existsSync(path)) ?? [];
  return file ? `simulations need ${what}: ${file} does not exist` : undefined;
}

/** How soon a request refused as busy may try again: a simulation takes seconds. */
const BUSY_RETRY_S = 5;

export function createSimulationHosts(options: SimulationHostsOptions): SimulationHosts {
  let spare: Promise<WarmHost> | undefined;
  let active = 0;
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();

  const startSpare = () => {
    const started = startHost(options);
    // A spare that failed to start is dropped; the next simulation starts one and reports why.
    started.catch((err) => {
      logger.warn({ err }, 'the warm simulation host did not start');
      if (spare === started) spare = undefined;
    });
    spare = started;
  };
  const take = (): Promise<WarmHost> => {
    const host = spare ?? startHost(options);
    spare = undefined;
    return host;
  };

  return {
    async run(binding, work) {
      if (closed) throw new SimulationUnavailableError('the API is shutting down');
      const missing = missingFile(options);
      if (missing) throw new SimulationUnavailableError(missing);
      if (active >= options.maxConcurrent) {
        throw new SimulationUnavailableError(`${active} simulations are running, the most this API runs at once (CAIRN_SIMULATIONS): try again shortly`, BUSY_RETRY_S);
      }
      active += 1;
      const host = await take().catch((err) => {
        active -= 1;
        throw err;
      });
      if (!closed) startSpare();
      try {
        host.bind(binding);
        return await work(host);
      } finally {
        // The answer does not wait for the host to shut down; closing the API does.
        active -= 1;
        const closing = host.close().catch((err) => logger.warn({ err }, 'a simulation host did not shut down cleanly'));
        inFlight.add(closing);
        void closing.finally(() => inFlight.delete(closing));
      }
    },
    async warm() {
      if (!spare && !closed && !missingFile(options)) startSpare();
      await spare?.catch(() => undefined);
    },
    async close() {
      closed = true;
      await Promise.allSettled(inFlight);
      const host = await spare?.catch(() => undefined);
      spare = undefined;
      await host?.close();
    },
  };
}
