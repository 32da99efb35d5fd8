// A stop is a stop: stopping a journey while a segment launch is entering its members ends the
// launch, and once the stop is answered no run starts and no message goes to a provider.
import { launchWorkflowId } from '../../core/ids';
import { launchProgressQuery } from '../../core/launch-contract';
import { eventually, Stack, startStack } from '../support/stack';

const MEMBERS = 2000;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('launch-stop');
  await stack.db.models.customers.insertMany(
    Array.from({ length: MEMBERS }, (_, i) => ({ _id: `m${String(i).padStart(5, '0')}`, email: `m${i}@example.test`, attributes: { tier: 'gold' } })),
  );
});
afterAll(async () => {
  await stack?.close();
});

async function journeyRuns(journeyId: string) {
  const runs: { workflowId: string; startTime: Date; status: string }[] = [];
  for await (const run of stack.client.workflow.list({ query: `CairnJourneyId = "${journeyId}" AND WorkflowType = "journeyWorkflow"` })) {
    runs.push({ workflowId: run.workflowId, startTime: run.startTime, status: run.status.name });
  }
  return runs;
}

test('when a journey is stopped while a 2,000-customer launch is entering, then after the answer no run starts and no message is handed over', async () => {
  expect((await stack.api('PUT', '/v1/segments/gold', { name: 'Gold tier', rule: { attribute: 'tier', op: 'eq', value: 'gold' } })).status).toBe(201);
  expect((await stack.api('PUT', '/v1/templates/hello', { channel: 'email', content: { subject: 'Hello', html: '<p>Hello</p>' } })).status).toBe(201);
  const steps = [
    { id: 'hello', type: 'send', channel: 'email', template: 'hello', next: 'later' },
    { id: 'later', type: 'wait', duration: '1d', next: 'again' },
    { id: 'again', type: 'send', channel: 'email', template: 'hello' },
  ];
  expect((await stack.api('PUT', '/v1/journeys/gold-hello', { name: 'Gold hello', steps })).status).toBe(201);
  expect((await stack.api('POST', '/v1/journeys/gold-hello/launch', { segmentId: 'gold' })).status).toBe(202);
  const launch = stack.client.workflow.getHandle(launchWorkflowId('gold-hello', 'gold'));
  await eventually(async () => expect((await launch.query(launchProgressQuery)).entered).toBeGreaterThanOrEqual(200), 120_000);

  const stop = await stack.api('POST', '/v1/journeys/gold-hello/stop');
  const answeredAt = new Date();
  expect(stop.status).toBe(202);
  expect(stop.body.launchesStillRunning).toBeUndefined();

  // The launch ended as stopped, part-way.
  const progress = await launch.result();
  expect(progress.status).toBe('stopped');
  expect(progress.entered).toBeLessThan(MEMBERS);
  expect((await stack.api('GET', '/v1/journeys/gold-hello/launches/gold')).body.progress.status).toBe('stopped');

  // Give anything still under way the time to show itself, then: every run began before the
  // answer, and every run ends (stopped).
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const runs = await eventually(async () => {
    const all = await journeyRuns('gold-hello');
    expect(all.filter((r) => r.status === 'RUNNING')).toEqual([]);
    return all;
  }, 60_000);
  expect(runs.length).toBeGreaterThanOrEqual(progress.entered);
  expect(runs.length).toBeLessThan(MEMBERS);
  expect(runs.filter((r) => r.startTime > answeredAt)).toEqual([]);

  // Every message at the provider was handed over before the answer; nothing came after.
  const handedOff = await stack.db.models.deliveries.find({ journeyId: 'gold-hello', handOff: { $exists: true } }).lean();
  expect(handedOff.filter((d) => d.handOff!.at > answeredAt)).toEqual([]);
  const sent = handedOff.filter((d) => d.state === 'sent');
  expect(stack.sink.messages.filter((m) => m.to[0]?.startsWith('m'))).toHaveLength(sent.length);
  // A run that missed the stop signal would have its send skipped, not delivered.
  const late = await stack.db.models.deliveries.find({ journeyId: 'gold-hello', state: { $ne: 'sent' } }).lean();
  expect(late.every((d) => d.reason === 'journey-stopped')).toBe(true);

  // Launching it again starts it again: the stop is lifted, and a member not entered yet enters.
  const entered = new Set(runs.map((r) => r.workflowId.split(':')[2]));
  const waiting = Array.from({ length: MEMBERS }, (_, i) => `m${String(i).padStart(5, '0')}`).find((id) => !entered.has(id))!;
  const again = await stack.api('POST', '/v1/journeys/gold-hello/launch', { customerIds: [waiting] });
  expect(again.body).toMatchObject({ entered: [waiting] });
  await eventually(async () => expect(stack.sink.messages.filter((m) => m.to[0] === `m${Number(waiting.slice(1))}@example.test`)).toHaveLength(1), 60_000);
}, 300_000);
