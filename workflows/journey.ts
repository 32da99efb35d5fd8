// The journey interpreter: one workflow per (journey, customer, entry), walking the
// definition it was started with, one step at a time.
import { ApplicationFailure, continueAsNew, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import {
  CustomerEvent,
  customerEventSignal,
  ExitReason,
  JourneyRunInput,
  JourneyRunResult,
  JourneyRunState,
  journeyStateQuery,
  SA_CONVERTED,
  SA_SPLITS,
  SA_STATUS,
  SA_STEP,
  SA_VISITED,
  stopSignal,
} from '../core/journey-contract';
import type { JourneyDefinition, Step } from '../core/journey-definition';
import { parseDuration } from '../core/duration';
import { EventInbox } from './event-inbox';
import { RunControl } from './run-control';
import type { StepHandler } from './steps/context';
import { stepHandlers, statusWhileOn } from './steps';

/** Steps one workflow run takes before it continues as new, whatever the server suggests. */
const MAX_STEPS_PER_RUN = 1_000;
/** Ends that take the customer out of the journey early; an exit step or a holdout is a normal end. */
const EXITS = new Set<ExitReason | undefined>(['exit-event', 'converted']);
/** How much of the path and sends the state keeps (and carries across continue-as-new). */
const KEEP = 100;

export async function journeyWorkflow(input: JourneyRunInput): Promise<JourneyRunResult> {
  const resume = input.resume;
  const state: JourneyRunState = {
    journeyId: input.journeyId,
    journeyVersion: input.journeyVersion,
    customerId: input.customerId,
    status: 'running',
    enteredAt: resume?.enteredAt ?? new Date().toISOString(),
    path: resume?.path ?? [],
    sends: resume?.sends ?? [],
    splits: resume?.splits ?? {},
    converted: resume?.converted,
  };
  const control = new RunControl();
  const events = new EventInbox(control, (event) => watchEvent(input.definition, state, control, event));
  setHandler(journeyStateQuery, () => state);
  setHandler(customerEventSignal, (event) => events.deliver(event));
  setHandler(stopSignal, () => control.end('stopped'));

  const steps = new Map<string, Step>(input.definition.steps.map((step) => [step.id, step]));
  const visits = new Map<string, number>(Object.entries(resume?.visits ?? {}));
  let stepId: string | undefined = resume?.stepId ?? input.definition.steps[0].id;
  let stepsThisRun = 0;

  while (stepId !== undefined && !control.ended) {
    const step = steps.get(stepId);
    if (!step) throw ApplicationFailure.nonRetryable(`journey has no step "${stepId}"`, 'InvalidJourneyDefinition');
    if (stepsThisRun >= MAX_STEPS_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof journeyWorkflow>({
        ...input,
        resume: {
          stepId,
          visits: Object.fromEntries(visits),
          enteredAt: state.enteredAt,
          path: state.path.slice(-KEEP),
          sends: state.sends.slice(-KEEP),
          splits: state.splits,
          converted: state.converted,
        },
      });
    }
    stepsThisRun += 1;
    const visit = (visits.get(step.id) ?? 0) + 1;
    visits.set(step.id, visit);
    state.path.push(step.id);
    if (state.path.length > 2 * KEEP) state.path.splice(0, KEEP);
    state.currentStep = step.id;
    state.status = statusWhileOn[step.type];
    // One upsert per step carries everything stats count: where the run is, where it has been.
    upsertSearchAttributes([
      { key: SA_STEP, value: step.id },
      { key: SA_STATUS, value: state.status },
      { key: SA_VISITED, value: [...visits.keys()] },
      { key: SA_SPLITS, value: splitValues(state) },
    ]);
    const handler = stepHandlers[step.type] as StepHandler;
    stepId = await handler(step, { input, state, visit, events, control });
    if (state.sends.length > 2 * KEEP) state.sends.splice(0, KEEP);
  }

  state.exitReason = control.endReason;
  state.status = control.endReason === 'stopped' ? 'stopped' : EXITS.has(control.endReason) ? 'exited' : 'completed';
  state.currentStep = undefined;
  state.waitingUntil = undefined;
  state.waitingFor = undefined;
  // CairnStep keeps the last step, so operators see where each run ended.
  upsertSearchAttributes([
    { key: SA_STATUS, value: state.status },
    { key: SA_SPLITS, value: splitValues(state) },
  ]);
  const { status, path, sends, splits, converted, exitReason } = state;
  return { status, path, sends, splits, converted, exitReason };
}

function splitValues(state: JourneyRunState): string[] {
  return Object.entries(state.splits).map(([stepId, path]) => `${stepId}:${path}`);
}

/** Journey-wide reactions to every event: the exit criterion and the conversion goal. */
function watchEvent(definition: JourneyDefinition, state: JourneyRunState, control: RunControl, event: CustomerEvent): void {
  const settings = definition.settings;
  if (!settings) return;
  const goal = settings.goal;
  if (goal && !state.converted && event.name === goal.event) {
    const windowMs = parseDuration(goal.within) ?? 0;
    if (Date.now() - Date.parse(state.enteredAt) <= windowMs) {
      state.converted = { eventId: event.id, at: new Date().toISOString() };
      // Runs recorded before conversions were counted by search attribute do not upsert here.
      if (patched('converted-search-attribute')) upsertSearchAttributes([{ key: SA_CONVERTED, value: true }]);
      if (goal.exitOnConversion) control.end('converted');
    }
  }
  if (settings.exitOnEvent && event.name === settings.exitOnEvent) control.end('exit-event');
}
