// Scenarios of the code-first onboarding type (workflows/code-first/onboarding.ts). The
// recorder's evaluateBranch answers "not a power user" for this customer.
import { onboarding } from '../../../core/code-journey-types/onboarding';
import { journeyWorkflowId } from '../../../core/ids';
import { startSearchAttributes } from '../../../core/journey-contract';
import { onboardingWorkflow } from '../../../workflows/code-first/onboarding';
import { type Scenario, toTheEnd } from '../scenario';

const name = 'onboarding-no-project';

export const scenarios: Scenario<typeof onboardingWorkflow>[] = [
  {
    // Its slowest path: no project, no power user.
    name,
    workflow: onboardingWorkflow,
    workflowId: journeyWorkflowId(onboarding.id, name),
    args: [{ customerId: name, entry: 1, input: {} }],
    searchAttributes: startSearchAttributes(onboarding.id, name),
    drive: toTheEnd,
  },
];
