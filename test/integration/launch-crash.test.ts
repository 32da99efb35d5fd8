// A segment launch survives its worker being killed: every member enters exactly once.
import type { ChildProcess } from 'node:child_process';
import { launchWorkflowId } from '../../core/ids';
import { launchProgressQuery } from '../../core/launch-contract';
import { childProcesses, WORKER_SCRIPT } from '../support/processes';
import { eventually, Stack, startStack } from '../support/stack';

const MEMBERS = 2000;
const OTHERS = 150;

let stack: Stack;
const processes = childProcesses();
let workers = 0;

beforeAll(async () => {
  // No worker in this process: the one that does the work is a real process we can kill -9.
  stack = await startStack('launch-crash', { worker: false });
  const customers = [
    ...Array.from({ length: MEMBERS }, (_, i) => ({ _id: `m${String(i).padStart(5, '0')}`, attributes: { tier: 'gold' } })),
    ...Array.from({ length: OTHERS }, (_, i) => ({ _id: `o${String(i).padStart(5, '0')}`, attributes: { tier: 'basic' } })),
  ];
  await stack.db.models.customers.insertMany(customers);
});

afterAll(async () => {
  processes.killAll();
  await stack?.close();
});

function startWorkerProcess(): ChildProcess {
  return processes.start(WORKER_SCRIPT, `launch-crash-worker-${++workers}`, stack.workerEnv);
}

test('when the worker is killed in the middle of a 2,000-customer launch, then each member still enters exactly once', async () => {
  expect((await stack.api('PUT', '/v1/segments/gold', { name: 'Gold tier', rule: { attribute: 'tier', op: 'eq', value: 'gold' } })).status).toBe(201);
  expect((await stack.api('PUT', '/v1/journeys/gold-welcome', { name: 'Gold welcome', steps: [{ id: 'later', type: 'wait', duration: '30d' }] })).status).toBe(201);

  const first = startWorkerProcess();
  const launch = await stack.api('POST', '/v1/journeys/gold-welcome/launch', { segmentId: 'gold' });
  expect(launch.status).toBe(202);
  const handle = stack.client.workflow.getHandle(launchWorkflowId('gold-welcome', 'gold'));

  // Kill it once a good part of the audience is in, with pages still to go.
  await eventually(async () => {
    const progress = await handle.query(launchProgressQuery);
    expect(progress.entered).toBeGreaterThanOrEqual(300);
  }, 120_000);
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  // With no worker, the launch waits: still running, and no worker answers its query.
  const partial = await stack.api('GET', '/v1/journeys/gold-welcome/launches/gold');
  expect(partial.body.status).toBe('RUNNING');

  startWorkerProcess();
  // The workflow closes a moment after its state says completed: wait for both.
  const done = await eventually(async () => {
    const view = await stack.api('GET', '/v1/journeys/gold-welcome/launches/gold');
    expect(view.body.status).toBe('COMPLETED');
    expect(view.body.progress.status).toBe('completed');
    return view.body;
  }, 240_000);
  expect(done.progress.estimatedTotal).toBe(MEMBERS);
  expect(done.progress.entered + done.progress.alreadyEntered).toBe(MEMBERS);

  // Every member has exactly one run of the journey, and nobody else has one.
  const runIds = await eventually(async () => {
    const ids: string[] = [];
    for await (const run of stack.client.workflow.list({ query: 'CairnJourneyId = "gold-welcome" AND WorkflowType = "journeyWorkflow"' })) {
      ids.push(run.workflowId);
    }
    expect(ids).toHaveLength(MEMBERS);
    return ids;
  }, 60_000);
  const customers = new Set(runIds.map((id) => id.split(':')[2]));
  expect(customers.size).toBe(MEMBERS);
  expect([...customers].every((c) => c.startsWith('m'))).toBe(true);

  // Launching again enters nobody: the same members already have their runs.
  await stack.api('POST', '/v1/journeys/gold-welcome/launch', { segmentId: 'gold' });
  const again = await eventually(async () => {
    const view = await stack.api('GET', '/v1/journeys/gold-welcome/launches/gold');
    expect(view.body.progress.status).toBe('completed');
    expect(view.body.progress.alreadyEntered).toBe(MEMBERS);
    return view.body.progress;
  }, 240_000);
  expect(again.entered).toBe(0);
}, 600_000);
