// Delivery under faults, on the real stack: a worker process killed with SIGKILL in the middle
// of delivering, and providers that fail for a while. Every customer gets exactly one message
// per send step at the provider, none is lost.
import type { ChildProcess } from 'node:child_process';
import { childProcesses, WORKER_SCRIPT } from '../support/processes';
import { eventually, Stack, startStack } from '../support/stack';

const CUSTOMERS = 100;

const customerIds = (prefix: string) => Array.from({ length: CUSTOMERS }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
const phoneOf = (i: number) => `+1555010${String(i).padStart(4, '0')}`;

async function addCustomersAndJourney(stack: Stack, prefix: string, journeyId: string) {
  await stack.api('PUT', '/v1/templates/hello-email', { channel: 'email', content: { subject: 'Hello {{customer.id}}', text: 'Welcome aboard.' } });
  await stack.api('PUT', '/v1/templates/hello-sms', { channel: 'sms', content: { body: 'Hi {{customer.id}}, welcome aboard.' } });
  const ids = customerIds(prefix);
  const batch = await stack.api('POST', '/v1/customers/batch', {
    customers: ids.map((id, i) => ({ id, email: `${id}@example.test`, phone: phoneOf(i + (prefix === 'k' ? 0 : 5000)) })),
  });
  expect(batch.status).toBe(200);
  const journey = await stack.api('PUT', `/v1/journeys/${journeyId}`, {
    name: journeyId,
    steps: [
      { id: 'email', type: 'send', channel: 'email', template: 'hello-email', next: 'sms' },
      { id: 'sms', type: 'send', channel: 'sms', template: 'hello-sms' },
    ],
  });
  expect(journey.status).toBe(201);
  return ids;
}

/** Waits until every run of the journey has both sends recorded in the ledger. */
async function allDelivered(stack: Stack, journeyId: string, timeoutMs: number) {
  await eventually(async () => {
    const sent = await stack.db.models.deliveries.countDocuments({ journeyId, state: 'sent' });
    expect(sent).toBe(CUSTOMERS * 2);
  }, timeoutMs);
}

/** Each customer received exactly one email (by Message-ID and in raw count) and one SMS. */
function expectExactlyOneEach(stack: Stack, ids: string[], prefix: string) {
  const mails = stack.sink.messages.filter((m) => m.to.some((to) => to.startsWith(prefix)));
  const byCustomer = new Map<string, Set<string | undefined>>();
  for (const mail of mails) {
    const id = mail.to[0].split('@')[0];
    byCustomer.set(id, (byCustomer.get(id) ?? new Set()).add(mail.messageId));
  }
  expect([...byCustomer.keys()].sort()).toEqual(ids);
  expect([...byCustomer.values()].every((messageIds) => messageIds.size === 1)).toBe(true);

  const texts = stack.twilio.messages.filter((m) => ids.some((id) => m.body.startsWith(`Hi ${id},`)));
  expect(texts).toHaveLength(CUSTOMERS);
  expect(new Set(texts.map((m) => m.to)).size).toBe(CUSTOMERS);
  return { mails: mails.length, texts: texts.length };
}

describe('a worker killed while it delivers', () => {
  let stack: Stack;
  const processes = childProcesses();
  let workers = 0;

  beforeAll(async () => {
    // The SMTP sink answers slowly, so the kill lands while messages are on their way.
    stack = await startStack('delivery-kill', { worker: false, smtpDelayMs: 200 });
  });
  afterAll(async () => {
    processes.killAll();
    await stack?.close();
  });

  function startWorkerProcess(): ChildProcess {
    return processes.start(WORKER_SCRIPT, `delivery-kill-worker-${++workers}`, stack.workerEnv);
  }

  async function kill(child: ChildProcess) {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }

  test('when it is killed during the emails and again during the texts, then each of 100 customers gets exactly one of each', async () => {
    const ids = await addCustomersAndJourney(stack, 'k', 'kill-9');
    const first = startWorkerProcess();
    expect((await stack.api('POST', '/v1/journeys/kill-9/launch', { customerIds: ids })).status).toBe(202);

    await eventually(async () => expect(stack.sink.messages.length).toBeGreaterThanOrEqual(30), 120_000);
    await kill(first);
    const second = startWorkerProcess();
    // Texts go out at the SMS queue's rate (10/s by default): kill again part-way through them.
    await eventually(async () => expect(stack.twilio.messages.length).toBeGreaterThanOrEqual(30), 180_000);
    await kill(second);
    startWorkerProcess();

    await allDelivered(stack, 'kill-9', 240_000);
    const counts = expectExactlyOneEach(stack, ids, 'k');
    // An email the SMTP server accepted just before the kill is sent again with the same
    // Message-ID (README, "Delivery guarantee"): receivers see one message. Say how often.
    console.log(`kill -9 test: ${counts.mails} SMTP deliveries for ${CUSTOMERS} emails, ${counts.texts} texts for ${CUSTOMERS}`);
  }, 600_000);
});

describe('providers failing for a while', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('delivery-transient');
  });
  afterAll(async () => {
    await stack?.close();
  });

  test('when the SMTP server and Twilio refuse with temporary errors, then retries deliver each message exactly once', async () => {
    const ids = await addCustomersAndJourney(stack, 't', 'transient');
    // 451 for the first 150 recipients and 503 for the first 60 texts: most sends fail at least once.
    stack.sink.failNext(150);
    stack.twilio.failNext(60, 503);
    expect((await stack.api('POST', '/v1/journeys/transient/launch', { customerIds: ids })).status).toBe(202);

    await allDelivered(stack, 'transient', 300_000);
    const counts = expectExactlyOneEach(stack, ids, 't');
    // Nothing was accepted twice: temporary refusals come before acceptance.
    expect(counts.mails).toBe(CUSTOMERS);
    const attempts = await stack.db.models.deliveries.find({ journeyId: 'transient' }, { attempts: 1 }).lean();
    expect(attempts.filter((d) => d.attempts > 1).length).toBeGreaterThan(0);
  }, 400_000);
});
