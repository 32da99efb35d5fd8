// One customer's walk through a journey: its state, query, signals, early ends and step
// bookkeeping. The interpreter (journey.ts) drives it from a definition; code-first journeys
// (see docs/code-first-journeys.md) drive it from TypeScript, with the same step handlers.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { condition, patched, proxySinks, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { parseDuration } from '../core/duration';
import {
  CustomerEvent,
  customerEventSignal,
  ExitReason,
  JourneyRunResult,
  JourneyRunState,
  type JourneyTraceSinks,
  journeyStateQuery,
  leftSegmentSignal,
  pauseSignal,
  resumeSignal,
  RunResume,
  SA_CONVERTED,
  SA_OPTIMIZE,
  SA_SPLITS,
  SA_STATUS,
  SA_STEP,
  SA_VISITED,
  type SplitTrial,
  stopSignal,
  heldTemplateEvents,
  templateEvent,
  type TemplateEvent,
} from '../core/journey-contract';
import type { JourneySettings, Step } from '../core/journey-definition';
import { trialValue } from '../core/split-optimize';
import { EventInbox } from './event-inbox';
import { patchedSince, SEARCH_ATTRIBUTES_WHEN_WAITING } from './patches';
import { RunControl } from './run-control';
import type { RunIdentity, StepHandler } from './steps/context';
import { stepHandlers, statusWhileOn } from './steps';

/** How much of the path and sends the state keeps (and carries across continue-as-new). */
const KEEP = 100;
/** Ends that take the customer out of the journey early; an exit step or a holdout is a normal end. */
const EXITS = new Set<ExitReason | undefined>(['exit-event', 'left-segment', 'converted']);
const { journeyTrace } = proxySinks<JourneyTraceSinks>();

export class JourneyRun {
  readonly state: JourneyRunState;
  private readonly control = new RunControl(() => this.waiting());
  private readonly events: EventInbox;
  private readonly visits: Map<string, number>;
  /** What templates read of the run's events (steps/send.ts passes it to the send activity). */
  private readonly templateEvents: { event?: TemplateEvent; events: Record<string, TemplateEvent> };
  /** The stop signal came: the run ends now, even with trials open. */
  private stopRequested = false;
  /** The steps are over and the run only listens for its open trials' goals. */
  private listeningOnly = false;

  constructor(
    /** `entryEvent`: the event name of an event-entry journey; `trace`: a simulation's run (JourneyTraceSinks). */
    private readonly identity: RunIdentity & { journeyVersion: number; settings?: JourneySettings; entryEvent?: string; trace?: boolean },
    resume?: RunResume,
  ) {
    this.state = {
      journeyId: identity.journeyId,
      journeyVersion: identity.journeyVersion,
      customerId: identity.customerId,
      status: 'running',
      enteredAt: resume?.enteredAt ?? new Date().toISOString(),
      path: resume?.path ?? [],
      sends: resume?.sends ?? [],
      splits: resume?.splits ?? {},
      ...(resume?.trials ? { trials: resume.trials } : {}),
      converted: resume?.converted,
      paused: resume?.paused,
    };
    this.control.paused = resume?.paused === true;
    this.visits = new Map(Object.entries(resume?.visits ?? {}));
    this.events = new EventInbox(this.control, (event) => this.watch(event), resume?.eventIds);
    this.templateEvents = { event: resume?.event, events: { ...resume?.events } };
    setHandler(journeyStateQuery, () => this.state);
    // Signal-with-start's event is in the run's first activation, before the workflow function
    // runs: the SDK buffers it and hands it to this handler as it is set, so `entering` holds
    // only for it (and any event signalled before the first workflow task). A run the API
    // launched has no entry event, even when one of that name comes later.
    let entering = resume === undefined && identity.entryEvent !== undefined;
    setHandler(customerEventSignal, (event) => {
      if (entering && !this.templateEvents.event && event.name === identity.entryEvent) this.templateEvents.event = templateEvent(event);
      this.events.deliver(event);
    });
    entering = false;
    setHandler(stopSignal, () => {
      this.stopRequested = true;
      this.control.end('stopped');
    });
    setHandler(leftSegmentSignal, () => {
      if (this.identity.settings?.exitOnLeavingSegment) this.control.end('left-segment');
    });
    setHandler(pauseSignal, () => void (this.control.paused = this.state.paused = true));
    setHandler(resumeSignal, () => {
      this.control.resume();
      this.state.paused = undefined;
    });
    // Trials carried across continue-as-new close on their own timers again.
    for (const stepId of Object.keys(this.state.trials ?? {})) void this.closeTrial(stepId);
  }

  /** True once the run was stopped, exited, or reached an exit step or a holdout. */
  get ended(): boolean {
    return this.control.ended;
  }

  /** Runs one step with the handler of its type; returns the next step's ID, if any. */
  async runStep(step: Step): Promise<string | undefined> {
    const visit = (this.visits.get(step.id) ?? 0) + 1;
    this.visits.set(step.id, visit);
    this.state.path.push(step.id);
    if (this.state.path.length > 2 * KEEP) this.state.path.splice(0, KEEP);
    this.state.currentStep = step.id;
    this.state.status = statusWhileOn[step.type];
    if (this.identity.trace) journeyTrace.stepEntered(step.id, new Date().toISOString());
    // Search attributes catch up when the run begins to wait and when it ends (waiting(),
    // finish()); runs recorded before the patch upsert them on entering every step.
    if (!patched(SEARCH_ATTRIBUTES_WHEN_WAITING)) upsertSearchAttributes(this.statsAttributes(step.id));
    const handler = stepHandlers[step.type] as StepHandler;
    const next = await handler(step, {
      run: this.identity,
      settings: this.identity.settings,
      state: this.state,
      visit,
      events: this.events,
      templateEvents: this.templateEvents,
      control: this.control,
      openTrial: (stepId, trial) => this.openTrial(stepId, trial),
    });
    if (this.state.sends.length > 2 * KEEP) this.state.sends.splice(0, KEEP);
    return next;
  }

  /** What continue-as-new carries so the next run picks up at `stepId`. */
  resumeAt(stepId: string): RunResume {
    return {
      stepId,
      visits: Object.fromEntries(this.visits),
      enteredAt: this.state.enteredAt,
      path: this.state.path.slice(-KEEP),
      sends: this.state.sends.slice(-KEEP),
      splits: this.state.splits,
      ...(this.state.trials ? { trials: this.state.trials } : {}),
      converted: this.state.converted,
      ...(this.control.paused ? { paused: true } : {}),
      eventIds: this.events.recentIds,
      // Continue-as-new input is no command: carrying these changes no history shape, no patch.
      ...heldTemplateEvents(this.templateEvents),
    };
  }

  /**
   * Records how the run ended and returns its result. A run with an optimizing split's window
   * still open first stays, listening, until each window closes or converts (or a stop): it
   * shows as waiting (CairnStep: its last step; the query: no step, waitingFor the goal)
   * meanwhile, and its steps' outcome is kept.
   */
  async finish(): Promise<JourneyRunResult> {
    const state = this.state;
    const open = () => Object.values(state.trials ?? {}).filter((t) => !t.settled);
    if (open().length > 0 && !this.stopped) {
      this.listeningOnly = true;
      const last = open().reduce((a, b) => (Date.parse(b.until) > Date.parse(a.until) ? b : a));
      // No step: the query shows the steps are over; CairnStep keeps the last one.
      state.status = 'waiting';
      state.currentStep = undefined;
      state.waitingUntil = last.until;
      state.waitingFor = { event: last.goal };
      this.publish(state.path[state.path.length - 1]);
      await condition(() => open().length === 0 || this.stopped);
    }
    state.exitReason = this.control.endReason;
    state.status = state.exitReason === 'stopped' ? 'stopped' : EXITS.has(state.exitReason) ? 'exited' : 'completed';
    state.currentStep = undefined;
    state.waitingUntil = undefined;
    state.waitReason = undefined;
    state.waitingFor = undefined;
    // CairnStep keeps the last step, so operators see where each run ended.
    if (patched(SEARCH_ATTRIBUTES_WHEN_WAITING)) this.publish(state.path[state.path.length - 1]);
    else {
      upsertSearchAttributes([
        { key: SA_STATUS, value: state.status },
        { key: SA_SPLITS, value: this.splitValues() },
      ]);
    }
    const { status, path, sends, splits, trials, converted, exitReason } = state;
    return { status, path, sends, splits, ...(trials ? { trials } : {}), converted, exitReason };
  }

  private get stopped(): boolean {
    return this.stopRequested || this.control.endReason === 'stopped';
  }

  /** An optimizing split gave the run a path: its window opens now (steps/split.ts). */
  private openTrial(stepId: string, trial: SplitTrial): void {
    (this.state.trials ??= {})[stepId] = trial;
    void this.closeTrial(stepId);
  }

  /** Settles the trial as not converted when its window closes first; a stop leaves it unsettled. */
  private async closeTrial(stepId: string): Promise<void> {
    const trial = this.state.trials![stepId];
    const ms = Date.parse(trial.until) - Date.now();
    if (ms > 0) await condition(() => trial.settled === true || this.stopped, ms);
    if (trial.settled || this.stopped) return;
    trial.settled = true;
    upsertSearchAttributes([{ key: SA_OPTIMIZE, value: this.trialValues() }]);
  }

  /** CairnOptimize: what the optimizer and stats count of the run's trials. */
  private trialValues(): string[] {
    return Object.entries(this.state.trials ?? {}).flatMap(([stepId, t]) => [
      trialValue(stepId, t.context, t.path, 'entered'),
      ...(t.settled ? [trialValue(stepId, t.context, t.path, 'settled')] : []),
      ...(t.converted ? [trialValue(stepId, t.context, t.path, 'converted')] : []),
    ]);
  }

  /**
   * The run begins to wait (a wait or waitForEvent step, a send deferred or held by a pause):
   * its search attributes catch up with the steps it passed since it last waited. The steps in
   * between (sends, branches, splits) take no upsert of their own: each upsert is a billable
   * action on Temporal Cloud, and a run passes them within moments.
   */
  private waiting(): void {
    if (patched(SEARCH_ATTRIBUTES_WHEN_WAITING)) this.publish(this.state.currentStep);
  }

  /** One upsert of what stats count that differs from what the run shows now; none if nothing does. */
  private publish(stepId: string | undefined): void {
    const shown = workflowInfo().typedSearchAttributes;
    const changed = this.statsAttributes(stepId).filter(({ key, value }) => {
      const now = shown.get(key) ?? (Array.isArray(value) ? [] : undefined);
      return JSON.stringify(now) !== JSON.stringify(value);
    });
    if (changed.length > 0) upsertSearchAttributes(changed);
  }

  /** Where the run is (CairnStep, CairnStatus), where it has been (CairnVisited, CairnSplits), its trials (CairnOptimize). */
  private statsAttributes(stepId: string | undefined): SearchAttributeUpdatePair[] {
    const trials = this.trialValues();
    return [
      ...(stepId !== undefined ? [{ key: SA_STEP, value: stepId }] : []),
      { key: SA_STATUS, value: this.state.status },
      { key: SA_VISITED, value: [...this.visits.keys()] },
      { key: SA_SPLITS, value: this.splitValues() },
      // Only runs with trials name it: runs before optimizing splits upsert as they recorded.
      ...(trials.length > 0 ? [{ key: SA_OPTIMIZE, value: trials }] : []),
    ];
  }

  private splitValues(): string[] {
    return Object.entries(this.state.splits).map(([stepId, path]) => `${stepId}:${path}`);
  }

  /** Reactions to every event: optimizing splits' goals, the exit criterion and the conversion goal. */
  private watch(event: CustomerEvent): void {
    this.watchTrials(event);
    // Once the steps are over, a run still open for its trials hears nothing else.
    const settings = this.listeningOnly ? undefined : this.identity.settings;
    if (!settings) return;
    const goal = settings.goal;
    if (goal && !this.state.converted && event.name === goal.event) {
      const windowMs = parseDuration(goal.within) ?? 0;
      if (Date.now() - Date.parse(this.state.enteredAt) <= windowMs) {
        this.state.converted = { eventId: event.id, at: new Date().toISOString() };
        // Runs recorded before conversions were counted by search attribute do not upsert here.
        if (patchedSince('converted-search-attribute')) upsertSearchAttributes([{ key: SA_CONVERTED, value: true }]);
        if (goal.exitOnConversion) this.control.end('converted');
      }
    }
    if (settings.exitOnEvent && event.name === settings.exitOnEvent) this.control.end('exit-event');
  }

  /** The goal event within an open trial's window converts (and settles) it, shown at once for the optimizer. */
  private watchTrials(event: CustomerEvent): void {
    const converted = Object.values(this.state.trials ?? {}).filter((t) => !t.settled && t.goal === event.name && Date.now() <= Date.parse(t.until));
    if (converted.length === 0) return;
    for (const trial of converted) {
      trial.converted = { eventId: event.id, at: new Date().toISOString() };
      trial.settled = true;
    }
    upsertSearchAttributes([{ key: SA_OPTIMIZE, value: this.trialValues() }]);
  }
}
