// Scenarios of the code-first trial-expiry type (workflows/code-first/trial-expiry.ts). The
// recorder's resolveWait answers an hour after the wait began; its evaluateBranch answers
// "paying" only for customers whose ID says so.
import { trialExpiry } from '../../../core/code-journey-types/trial-expiry';
import { journeyWorkflowId } from '../../../core/ids';
import { customerEventSignal, journeyStateQuery, startSearchAttributes } from '../../../core/journey-contract';
import { trialExpiryWorkflow } from '../../../workflows/code-first/trial-expiry';
import { type Scenario, toTheEnd } from '../scenario';

function scenario(name: string, drive: Scenario<typeof trialExpiryWorkflow>['drive']): Scenario<typeof trialExpiryWorkflow> {
  return {
    name,
    workflow: trialExpiryWorkflow,
    workflowId: journeyWorkflowId(trialExpiry.id, name),
    args: [{ customerId: name, entry: 1, input: trialExpiry.input.parse({}) }],
    searchAttributes: startSearchAttributes(trialExpiry.id, name),
    drive,
  };
}

export const scenarios: Scenario<typeof trialExpiryWorkflow>[] = [
  // Email, the reminder two days before, no upgrade, the last push.
  scenario('trial-expiry-no-upgrade', toTheEnd),
  scenario('trial-expiry-upgraded', async (handle, sleep) => {
    while ((await handle.query(journeyStateQuery)).currentStep !== 'upgrade') await sleep('1h');
    await handle.signal(customerEventSignal, { id: 'u1', name: 'upgraded', timestamp: new Date().toISOString() });
    await handle.result();
  }),
];
