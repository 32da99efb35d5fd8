// The code-first trial-expiry journey under the time-skipping server: days of a trial in
// milliseconds, with the real resolveWait (the attribute wait and its offset) over a customer
// given in memory, and typed fake sends and branch decisions.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities, SendInput } from '../../activities';
import { createScheduleActivities } from '../../activities/schedule';
import { trialExpiry } from '../../core/code-journey-types/trial-expiry';
import { journeyWorkflowId } from '../../core/ids';
import { customerEventSignal, journeyStateQuery } from '../../core/journey-contract';
import type { CustomerDoc } from '../../db/models';
import { trialExpiryWorkflow } from '../../workflows/code-first/trial-expiry';
import { journeyWorker, startTimeSkipping } from '../support/time-skipping';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

interface Customer {
  trialEndsAt: string;
  paying?: boolean;
  /** No phone, or opted out of texts: the send activity reroutes the reminder to the fallback. */
  unreachableBySms?: boolean;
}

function fakes(customer: Customer) {
  const sends: SendInput[] = [];
  const waits: (string | null)[] = [];
  const doc = { _id: 'c', attributes: { trialEndsAt: customer.trialEndsAt } } as unknown as CustomerDoc;
  const { resolveWait } = createScheduleActivities({ customer: async () => doc });
  const activities: Partial<Activities> = {
    async send(input) {
      if (customer.unreachableBySms && input.via === 'sms') return { status: 'rerouted', channel: input.fallback!.channel };
      sends.push(input);
      return { status: 'sent', messageId: input.key, channel: input.via };
    },
    async evaluateBranch(input) {
      expect(input.cases).toEqual([{ segment: 'paying' }]);
      return customer.paying ? 0 : -1;
    },
    async resolveWait(input) {
      const at = await resolveWait(input);
      waits.push(at);
      return at;
    },
  };
  return { sends, waits, activities };
}

/** Starts a run of the type (input as the API's schema outputs it) and drives it to its end. */
async function trial(customerId: string, customer: Customer, launchInput: object = {}, drive?: (h: Awaited<ReturnType<typeof env.client.workflow.start<typeof trialExpiryWorkflow>>>) => Promise<void>) {
  const { sends, waits, activities } = fakes(customer);
  const { worker, taskQueue } = await journeyWorker(env, activities);
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(trialExpiryWorkflow, {
      workflowId: journeyWorkflowId(trialExpiry.id, customerId),
      taskQueue,
      args: [{ customerId, entry: 1, input: trialExpiry.input.parse(launchInput) }],
    });
    await drive?.(handle);
    return handle.result();
  });
  return { result, sends, waits };
}

/** A trial end `days` from now on the server's clock, which each test moves on by days. */
const inDays = async (days: number) => new Date((await env.currentTimeMs()) + days * DAY).toISOString();

test('when a customer not yet paying never upgrades, then they get the email, the text two days before the trial ends, and the last push', async () => {
  const trialEndsAt = await inDays(5);
  const { result, sends, waits } = await trial('never-upgrades', { trialEndsAt });
  expect(waits).toEqual([new Date(Date.parse(trialEndsAt) - 2 * DAY).toISOString()]);
  expect(sends.map((s) => `${s.stepId}:${s.channel}:${s.templateId}`)).toEqual([
    'trial-started:email:trial-started',
    'reminder:sms:trial-ending-sms',
    'last-chance:push:trial-last-chance',
  ]);
  // The declaration's settings reach every send (quiet hours), and the reminder carries its fallback.
  expect(sends[1]).toMatchObject({ quietHours: { start: '21:00', end: '08:00' }, fallback: { channel: 'web', templateId: 'trial-ending-web' } });
  expect(result).toMatchObject({ status: 'completed', path: [...trialExpiry.steps] });
  expect(result.converted).toBeUndefined();
});

test('when the customer pays already at the reminder, then the journey ends there with the email alone', async () => {
  const { result, sends } = await trial('already-paying', { trialEndsAt: await inDays(4), paying: true });
  expect(sends.map((s) => s.stepId)).toEqual(['trial-started']);
  expect(result).toMatchObject({ status: 'completed', path: ['trial-started', 'before-trial-ends', 'paying'] });
});

test('when the customer has no phone, then the reminder goes to the web inbox, its fallback', async () => {
  const { result, sends } = await trial('no-phone', { trialEndsAt: await inDays(3), unreachableBySms: true });
  expect(sends.find((s) => s.stepId === 'reminder')).toMatchObject({ channel: 'sms', via: 'web' });
  expect(result.sends.find((s) => s.stepId === 'reminder')).toMatchObject({ status: 'sent', channel: 'web' });
});

test('when the customer upgrades after the reminder, then no push goes and the run counts a conversion', async () => {
  const { result, sends } = await trial('upgrades', { trialEndsAt: await inDays(3) }, {}, async (handle) => {
    // The server's clock moves only while a test waits on it: an hour at a time up to the reminder.
    while ((await handle.query(journeyStateQuery)).currentStep !== 'upgrade') await env.sleep('1h');
    await handle.signal(customerEventSignal, { id: 'u1', name: 'upgraded', timestamp: new Date().toISOString() });
  });
  expect(sends.map((s) => s.stepId)).toEqual(['trial-started', 'reminder']);
  expect(result).toMatchObject({ status: 'completed', path: ['trial-started', 'before-trial-ends', 'paying', 'reminder', 'upgrade'], converted: { eventId: 'u1' } });
});

test('when the launch gives remindBefore, then the reminder goes that long before the trial ends', async () => {
  const trialEndsAt = await inDays(6);
  const { waits } = await trial('three-days-before', { trialEndsAt }, { remindBefore: '-3d', upgradeWithin: '12h' });
  expect(waits).toEqual([new Date(Date.parse(trialEndsAt) - 3 * DAY).toISOString()]);
});

test('when the trial ends sooner than the reminder would go, then the reminder goes at once', async () => {
  const { result, waits } = await trial('ends-tomorrow', { trialEndsAt: await inDays(1) });
  expect(Date.parse(waits[0]!)).toBeLessThan(await env.currentTimeMs());
  expect(result.path).toContain('reminder');
});

test('when the account is deleted while the run waits for the reminder, then it exits and sends nothing more', async () => {
  const { result, sends } = await trial('deleted', { trialEndsAt: await inDays(10) }, {}, async (handle) => {
    while ((await handle.query(journeyStateQuery)).currentStep !== 'before-trial-ends') await new Promise((r) => setTimeout(r, 25));
    await handle.signal(customerEventSignal, { id: 'd1', name: 'account_deleted', timestamp: new Date().toISOString() });
  });
  expect(sends.map((s) => s.stepId)).toEqual(['trial-started']);
  expect(result).toMatchObject({ status: 'exited', exitReason: 'exit-event' });
});
