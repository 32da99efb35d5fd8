// Frequency caps on the real stack: racing journeys cannot both pass a cap of one, a capped
// send is skipped or deferred as its step says, and transactional sends pass.
import { Stack, startStack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('frequency-caps');
  await stack.api('PUT', '/v1/templates/promo', { channel: 'email', content: { subject: 'Promo for {{customer.id}}', text: 'Deals.' } });
  await stack.api('PUT', '/v1/templates/receipt', { channel: 'email', content: { subject: 'Receipt', text: 'Thanks.' } });
});
afterAll(async () => {
  await stack?.close();
});

const result = (journeyId: string, customerId: string) =>
  stack.run(journeyId, customerId).result();
const mailTo = (address: string) => stack.sink.messages.filter((m) => m.to.includes(address));

async function caps(rules: object[]) {
  const res = await stack.api('PUT', '/v1/settings/frequency-caps', { rules });
  expect(res.status).toBe(200);
  await new Promise((r) => setTimeout(r, 5_100)); // workers read the rules at most every five seconds
}

test('when journeys race for one customer under caps, then the caps hold, skip or defer as asked, and receipts pass', async () => {
  await caps([{ id: 'email-daily', channels: ['email'], limit: 1, window: '1d' }]);

  // Five journeys launched at once at one customer: exactly one promo goes out.
  await stack.api('PUT', '/v1/customers/racer', { email: 'racer@example.test' });
  const journeys = ['race-1', 'race-2', 'race-3', 'race-4', 'race-5'];
  for (const id of journeys) {
    await stack.api('PUT', `/v1/journeys/${id}`, { name: id, steps: [{ id: 'promo', type: 'send', channel: 'email', template: 'promo' }] });
  }
  await Promise.all(journeys.map((id) => stack.api('POST', `/v1/journeys/${id}/launch`, { customerIds: ['racer'] })));
  const outcomes = await Promise.all(journeys.map((id) => result(id, 'racer')));
  expect(mailTo('racer@example.test')).toHaveLength(1);
  expect(outcomes.map((o) => o.sends[0].status).sort()).toEqual(['sent', 'skipped', 'skipped', 'skipped', 'skipped']);
  expect(outcomes.filter((o) => o.sends[0].status === 'skipped').every((o) => o.sends[0].reason === 'capped:email-daily')).toBe(true);

  // A transactional send is neither held nor counted.
  await stack.api('PUT', '/v1/journeys/receipt', {
    name: 'Receipt',
    steps: [{ id: 'receipt', type: 'send', channel: 'email', template: 'receipt', transactional: true }],
  });
  await stack.api('POST', '/v1/journeys/receipt/launch', { customerIds: ['racer'] });
  expect((await result('receipt', 'racer')).sends[0].status).toBe('sent');
  expect(mailTo('racer@example.test')).toHaveLength(2);

  // Stats show the capped sends by reason.
  const stats = await Promise.all(journeys.map(async (id) => (await stack.api('GET', `/v1/journeys/${id}/stats`)).body.steps.promo.deliveries));
  expect(stats.reduce((n, d) => n + (d['skipped:capped:email-daily'] ?? 0), 0)).toBe(4);
  expect(stats.reduce((n, d) => n + (d.sent ?? 0), 0)).toBe(1);
}, 120_000);

test('when a deferring send is capped, then it goes out once the window lets it', async () => {
  await caps([{ id: 'burst', limit: 1, window: '3s' }]);
  await stack.api('PUT', '/v1/customers/patient', { email: 'patient@example.test' });
  await stack.api('PUT', '/v1/journeys/two-promos', {
    name: 'Two promos',
    steps: [
      { id: 'first', type: 'send', channel: 'email', template: 'promo', next: 'second' },
      { id: 'second', type: 'send', channel: 'email', template: 'promo', whenCapped: 'defer' },
    ],
  });
  await stack.api('POST', '/v1/journeys/two-promos/launch', { customerIds: ['patient'] });
  const outcome = await result('two-promos', 'patient');
  expect(outcome.sends.map((s) => s.status)).toEqual(['sent', 'sent']);
  const [a, b] = mailTo('patient@example.test').map((m) => Date.parse(m.receivedAt));
  expect(b - a).toBeGreaterThanOrEqual(2_500);
}, 120_000);
