// Guarantees that hold across processes, which only a store that makes each single-document
// update atomic can give: caps shared by two workers, roll-ups written by two API processes.
import { childProcesses, WORKER_SCRIPT } from '../support/processes';
import { API_KEY, eventually, Stack, startStack } from '../support/stack';

let stack: Stack;
const processes = childProcesses();

beforeAll(async () => {
  stack = await startStack('multi-process', { worker: false });
});
afterAll(async () => {
  processes.killAll();
  await stack?.close();
});

test('when two worker processes send five journeys to one customer under a cap of one, then exactly one message goes out', async () => {
  // The rule is in place before the workers start, so both read it at once.
  expect((await stack.api('PUT', '/v1/settings/frequency-caps', { rules: [{ id: 'one-a-day', limit: 1, window: '1d' }] })).status).toBe(200);
  await stack.api('PUT', '/v1/templates/promo', { channel: 'email', content: { subject: 'Promo', text: 'Deals.' } });
  await stack.api('PUT', '/v1/customers/contested', { email: 'contested@example.test' });
  const journeys = ['promo-a', 'promo-b', 'promo-c', 'promo-d', 'promo-e'];
  for (const id of journeys) {
    expect((await stack.api('PUT', `/v1/journeys/${id}`, { name: id, steps: [{ id: 'promo', type: 'send', channel: 'email', template: 'promo' }] })).status).toBe(201);
  }
  processes.start(WORKER_SCRIPT, 'multi-process-worker-1', stack.workerEnv);
  processes.start(WORKER_SCRIPT, 'multi-process-worker-2', stack.workerEnv);

  await Promise.all(journeys.map((id) => stack.api('POST', `/v1/journeys/${id}/launch`, { customerIds: ['contested'] })));
  const outcomes = await Promise.all(journeys.map((id) => stack.run(id, 'contested').result()));

  expect(outcomes.map((o) => o.sends[0].status).sort()).toEqual(['sent', 'skipped', 'skipped', 'skipped', 'skipped']);
  expect(stack.sink.messages.filter((m) => m.to.includes('contested@example.test'))).toHaveLength(1);
  expect(await stack.db.models.deliveries.countDocuments({ customerId: 'contested' })).toBe(5);
}, 180_000);

test('when two API processes ingest 1,000 events for one customer at once, then the roll-up counts every one exactly once', async () => {
  const env = { ...stack.workerEnv, CAIRN_API_KEYS: API_KEY };
  const apis = await Promise.all([processes.startApi('multi-process-api-1', env), processes.startApi('multi-process-api-2', env)]);
  const base = Date.parse('2026-11-01T00:00:00Z');
  const events = Array.from({ length: 1000 }, (_, i) => ({
    id: `burst-${i}`,
    customerId: 'busy',
    name: 'page_viewed',
    timestamp: new Date(base + i * 1000).toISOString(),
  }));
  // Batches of ten, alternating between the two APIs, eight requests in flight per API.
  const batches = Array.from({ length: 100 }, (_, i) => events.slice(i * 10, i * 10 + 10));
  const post = async (url: string, batch: object[]) => {
    const res = await fetch(`${url}/v1/events/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events: batch }),
    });
    expect(res.status).toBeLessThan(300);
  };
  await Promise.all(
    apis.map(async (url, a) => {
      const mine = batches.filter((_, i) => i % 2 === a);
      const lanes = Array.from({ length: 8 }, async (_, lane) => {
        for (let i = lane; i < mine.length; i += 8) await post(url, mine[i]);
      });
      await Promise.all(lanes);
    }),
  );

  await eventually(async () => {
    const customer = (await stack.api('GET', '/v1/customers/busy')).body;
    expect(customer.events.page_viewed.count).toBe(1000);
    expect(customer.events.page_viewed.first).toBe(new Date(base).toISOString());
    expect(customer.events.page_viewed.last).toBe(new Date(base + 999_000).toISOString());
  });
  expect(await stack.db.models.events.countDocuments({ customerId: 'busy' })).toBe(1000);
}, 180_000);
