// Structured logs from the real entry points: a worker process and an API process write JSON
// lines only, and the lines of a journey run name its workflow, journey, customer and send.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { journeyWorkflowId, sendKey } from '../../core/ids';
import { unsubscribeUrl } from '../../core/unsubscribe-links';
import { childProcesses, WORKER_SCRIPT } from '../support/processes';
import { API_KEY, eventually, SIGNING_SECRET, Stack, startStack } from '../support/stack';
import { testRunDir } from '../support/test-env';

type Line = Record<string, unknown>;

let stack: Stack;
const processes = childProcesses();

beforeAll(async () => {
  stack = await startStack('logs', { worker: false });
});
afterAll(async () => {
  processes.killAll();
  await stack?.close();
});

/** Every line of a process's log, each parsed as JSON: a line that is not JSON fails the test. */
function logLines(name: string): Line[] {
  const text = readFileSync(path.join(testRunDir(), `${name}.log`), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as Line;
      } catch {
        throw new Error(`${name}.log has a line that is not JSON: ${line}`);
      }
    });
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

test('when a worker process at LOG_LEVEL=debug sends a journey message, then its log is JSON lines and the run’s lines carry workflowId, journeyId, customerId and the sendKey', async () => {
  await stack.api('PUT', '/v1/templates/hello', { channel: 'email', content: { subject: 'Hello', text: 'Hi.' } });
  await stack.api('PUT', '/v1/customers/lin', { email: 'lin@example.test' });
  const journey = await stack.api('PUT', '/v1/journeys/hello-journey', { name: 'Hello', steps: [{ id: 'hello', type: 'send', channel: 'email', template: 'hello' }] });
  expect(journey.status).toBe(201);
  const worker = processes.start(WORKER_SCRIPT, 'logs-worker', { ...stack.workerEnv, LOG_LEVEL: 'debug' });

  expect((await stack.api('POST', '/v1/journeys/hello-journey/launch', { customerIds: ['lin'] })).status).toBeLessThan(300);
  const outcome = await stack.run('hello-journey', 'lin').result();
  expect(outcome.sends[0].status).toBe('sent');

  const workflowId = journeyWorkflowId('hello-journey', 'lin');
  const run = { workflowId, journeyId: 'hello-journey', customerId: 'lin' };
  // The SDK hands its lines on in batches: they reach the file shortly after the run ends.
  await eventually(async () => {
    const lines = logLines('logs-worker');
    // The send activity's own line, through the activity context's logger.
    expect(lines).toContainEqual(
      expect.objectContaining({ ...run, sendKey: sendKey(workflowId, 'hello', 1), level: 'info', msg: 'message sent', activityType: 'send', status: 'sent' }),
    );
    // The workflow's own lines (sinks) and the SDK's activity lines.
    expect(lines).toContainEqual(expect.objectContaining({ ...run, level: 'debug', msg: 'Workflow completed', workflowType: 'journeyWorkflow' }));
    expect(lines).toContainEqual(expect.objectContaining({ ...run, level: 'debug', msg: 'Activity completed', activityType: 'send' }));
  });

  await stopped(worker);
  const lines = logLines('logs-worker');
  expect(lines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('polling task queue'))).toMatchObject({ level: 'info', taskQueue: stack.taskQueue });
  for (const line of lines) {
    expect(line).toEqual(expect.objectContaining({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) }));
    expect(line).not.toHaveProperty('taskToken');
  }
}, 120_000);

test('when an API process answers requests, then it logs one JSON line each with the route, status, duration and the journey and customer, never the token in a URL', async () => {
  const api = await processes.startApi('logs-api', { ...stack.workerEnv, CAIRN_API_KEYS: API_KEY, LOG_LEVEL: 'info' });
  const call = (method: string, url: string, body?: unknown) =>
    fetch(`${api}${url}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  expect((await call('PUT', '/v1/customers/mei', { email: 'mei@example.test' })).status).toBe(201);
  expect((await call('GET', '/v1/journeys/no-such-journey/runs/mei')).status).toBe(404);
  const link = unsubscribeUrl(api, SIGNING_SECRET, 'mei', 'hello-journey');
  expect((await fetch(link)).status).toBe(200);
  const token = link.slice(link.lastIndexOf('/') + 1);

  await eventually(async () => {
    const lines = logLines('logs-api');
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'info', msg: 'request', method: 'PUT', route: '/v1/customers/:id', customerId: 'mei', status: 201, durationMs: expect.any(Number) }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'request', method: 'GET', route: '/v1/journeys/:id/runs/:customerId', journeyId: 'no-such-journey', customerId: 'mei', status: 404 }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', method: 'GET', route: '/unsubscribe/:token', status: 200 }));
  });
  expect(readFileSync(path.join(testRunDir(), 'logs-api.log'), 'utf8')).not.toContain(token);
}, 120_000);
