// The journey interpreter: one workflow per (journey, customer, entry), walking the
// definition it was started with, one step at a time.
import { ApplicationFailure, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import {
  customerEventSignal,
  journeyStateQuery,
  JourneyRunInput,
  JourneyRunResult,
  JourneyRunState,
  SA_STATUS,
  SA_STEP,
} from '../core/journey-contract';
import type { Step } from '../core/journey-definition';
import { EventInbox } from './event-inbox';
import type { StepHandler } from './steps/context';
import { stepHandlers, statusWhileOn } from './steps';

/** A hard bound on steps per run, so a runaway definition cannot grow history forever. */
const MAX_STEPS_PER_RUN = 10_000;

export async function journeyWorkflow(input: JourneyRunInput): Promise<JourneyRunResult> {
  const state: JourneyRunState = {
    journeyId: input.journeyId,
    journeyVersion: input.journeyVersion,
    customerId: input.customerId,
    status: 'running',
    path: [],
    sends: [],
  };
  setHandler(journeyStateQuery, () => state);
  const events = new EventInbox();
  setHandler(customerEventSignal, (event) => events.deliver(event));

  const steps = new Map<string, Step>(input.definition.steps.map((step) => [step.id, step]));
  const visits = new Map<string, number>();
  let stepId: string | undefined = input.definition.steps[0].id;

  while (stepId !== undefined) {
    const step = steps.get(stepId);
    if (!step) throw ApplicationFailure.nonRetryable(`journey has no step "${stepId}"`, 'InvalidJourneyDefinition');
    if (state.path.length >= MAX_STEPS_PER_RUN) {
      throw ApplicationFailure.nonRetryable(`run exceeded ${MAX_STEPS_PER_RUN} steps`, 'JourneyStepLimit');
    }
    const visit = (visits.get(step.id) ?? 0) + 1;
    visits.set(step.id, visit);
    state.path.push(step.id);
    state.currentStep = step.id;
    state.status = statusWhileOn[step.type];
    upsertSearchAttributes([
      { key: SA_STEP, value: step.id },
      { key: SA_STATUS, value: state.status },
    ]);
    const handler = stepHandlers[step.type] as StepHandler;
    stepId = await handler(step, { input, state, visit, events });
  }

  state.status = 'completed';
  state.currentStep = undefined;
  // CairnStep keeps the last step, so operators see where each run ended.
  upsertSearchAttributes([{ key: SA_STATUS, value: 'completed' }]);
  return { path: state.path, sends: state.sends };
}
