// The code-first onboarding journey under the time-skipping server.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Activities } from '../../activities';
import { journeyWorkflowId } from '../../core/ids';
import { customerEventSignal, journeyStateQuery } from '../../core/journey-contract';
import * as workflow from '@temporalio/workflow';
import * as kit from '../../workflows/code-first/kit';
import { onboardingWorkflow } from '../../workflows/code-first/onboarding';
import { journeyWorker, startTimeSkipping } from '../support/time-skipping';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startTimeSkipping();
});
afterAll(async () => {
  await env?.teardown();
});

function fakes(powerUser: boolean) {
  const sent: string[] = [];
  const activities: Partial<Activities> = {
    async send(input) {
      sent.push(`${input.stepId}:${input.channel}:${input.templateId}`);
      return { status: 'sent', messageId: input.key };
    },
    async evaluateBranch(input) {
      expect(input.cases).toEqual([{ segment: 'power-users' }]);
      return powerUser ? 0 : -1;
    },
  };
  return { sent, activities };
}

test('when a power user creates a project at once, then they get the welcome and pro tips, and convert', async () => {
  const { sent, activities } = fakes(true);
  const { worker, taskQueue } = await journeyWorker(env, activities);
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(onboardingWorkflow, {
      workflowId: journeyWorkflowId('onboarding', 'fast'),
      taskQueue,
      args: [{ customerId: 'fast', entry: 1, input: {} }],
    });
    while ((await handle.query(journeyStateQuery)).currentStep !== 'first-project') await new Promise((r) => setTimeout(r, 25));
    await handle.signal(customerEventSignal, { id: 'p1', name: 'project_created', timestamp: new Date().toISOString() });
    return handle.result();
  });
  expect(sent).toEqual(['welcome:email:onboarding-welcome', 'pro-tips:web:onboarding-pro-tips']);
  expect(result).toMatchObject({ status: 'completed', path: ['welcome', 'first-project', 'power-user', 'pro-tips'], converted: { eventId: 'p1' } });
});

test('when a user never creates a project, then they get the nudge after two days and the basics after five', async () => {
  const { sent, activities } = fakes(false);
  const { worker, taskQueue } = await journeyWorker(env, activities);
  const result = await worker.runUntil(
    env.client.workflow.execute(onboardingWorkflow, {
      workflowId: journeyWorkflowId('onboarding', 'slow'),
      taskQueue,
      args: [{ customerId: 'slow', entry: 1, input: {} }],
    }),
  );
  expect(sent).toEqual(['welcome:email:onboarding-welcome', 'nudge:email:onboarding-nudge', 'basics:web:onboarding-basics']);
  expect(result.path).toEqual(['welcome', 'first-project', 'nudge', 'first-project-after-nudge', 'power-user', 'basics']);
  expect(result.converted).toBeUndefined();
});

test('when the account is deleted mid-way, then the journey exits and sends nothing more', async () => {
  const { sent, activities } = fakes(false);
  const { worker, taskQueue } = await journeyWorker(env, activities);
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(onboardingWorkflow, {
      workflowId: journeyWorkflowId('onboarding', 'gone'),
      taskQueue,
      args: [{ customerId: 'gone', entry: 1, input: {} }],
    });
    while ((await handle.query(journeyStateQuery)).currentStep !== 'first-project') await new Promise((r) => setTimeout(r, 25));
    await handle.signal(customerEventSignal, { id: 'd1', name: 'account_deleted', timestamp: new Date().toISOString() });
    return handle.result();
  });
  expect(sent).toEqual(['welcome:email:onboarding-welcome']);
  expect(result).toMatchObject({ status: 'exited', exitReason: 'exit-event', path: ['welcome', 'first-project'] });
});

test('when a type needs versioning, then the kit gives it Temporal\'s own patched and deprecatePatch', () => {
  expect(kit.patched).toBe(workflow.patched);
  expect(kit.deprecatePatch).toBe(workflow.deprecatePatch);
});
