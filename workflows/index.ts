// Every workflow type the worker registers.
export { journeyWorkflow } from './journey';
export { launchWorkflow } from './launch';
export { finishEventsWorkflow } from './finish-events';
export { onboardingWorkflow } from './code-first/onboarding';
export { trialExpiryWorkflow } from './code-first/trial-expiry';
