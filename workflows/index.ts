// Every workflow type the worker registers.
export { journeyWorkflow } from './journey';
export { launchWorkflow } from './launch';
export { onboardingWorkflow } from './code-first/onboarding';
