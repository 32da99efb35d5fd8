// The journey interpreter: one workflow per (journey, customer, entry), walking the
// definition it was started with, one step at a time.
import { ApplicationFailure, continueAsNew, workflowInfo } from '@temporalio/workflow';
import type { JourneyRunInput, JourneyRunResult } from '../core/journey-contract';
import type { Step } from '../core/journey-definition';
import { JourneyRun } from './journey-run';

/** Steps one workflow run takes before it continues as new, whatever the server suggests. */
const MAX_STEPS_PER_RUN = 1_000;

export async function journeyWorkflow(input: JourneyRunInput): Promise<JourneyRunResult> {
  const run = new JourneyRun(
    {
      journeyId: input.journeyId,
      journeyVersion: input.journeyVersion,
      customerId: input.customerId,
      settings: input.definition.settings,
      entryEvent: input.definition.entry?.type === 'event' ? input.definition.entry.event : undefined,
      ...(input.trace ? { trace: true } : {}),
    },
    input.resume,
  );
  const steps = new Map<string, Step>(input.definition.steps.map((step) => [step.id, step]));
  let stepId: string | undefined = input.resume?.stepId ?? input.definition.steps[0].id;
  let stepsThisRun = 0;

  while (stepId !== undefined && !run.ended) {
    const step = steps.get(stepId);
    if (!step) throw ApplicationFailure.nonRetryable(`journey has no step "${stepId}"`, 'InvalidJourneyDefinition');
    if (stepsThisRun >= MAX_STEPS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof journeyWorkflow>({ ...input, resume: run.resumeAt(stepId) });
    }
    stepsThisRun += 1;
    stepId = await run.runStep(step);
  }
  return await run.finish();
}
