// Journey simulation: one customer's run of a journey, on the real workflow code, in simulated
// time (a time-skipping test server, lib/simulation-hosts.ts). The run's activities are the real
// ones (activities/send.ts, segments.ts, schedule.ts) with their sinks swapped: the customer is
// a profile held in memory, the ledger and the cap places are in memory (the caps seeded with the
// customer's real places), and the channels capture the rendered message instead of handing it
// to a provider. Templates, segments, cap rules and quiet hours are read from the store as a real
// send reads them; nothing is written to it.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { Activities, SendInput, SendResult } from '../activities';
import type { ChannelAdapter, OutboundMessage } from '../activities/channels/channel';
import { capRulesReader, createMemoryCapReserver } from '../activities/caps';
import { createMemoryLedger } from '../activities/memory-ledger';
import { createQuietHoursCheck } from '../activities/quiet-hours';
import { createScheduleActivities } from '../activities/schedule';
import { createSegmentActivities } from '../activities/segments';
import { createSend } from '../activities/send';
import { createOptimizeActivities, type OptimizeDeps } from '../activities/split-optimize';
import type { ChannelChoice } from '../core/best-channel';
import type { BEST_CHANNEL, Channel } from '../core/channels';
import { parseDuration } from '../core/duration';
import { customerEventSignal, type CustomerEvent, type ExitReason, type JourneyRunInput, type JourneyRunState, journeyStateQuery, leftSegmentSignal } from '../core/journey-contract';
import type { JourneyDefinition, Step } from '../core/journey-definition';
import { HOLDOUT } from '../core/split';
import { journeyWorkflowId } from '../core/ids';
import { explainDeferral, explainSend, type SendOutcome } from '../core/send-explanation';
import { matchesSegment } from '../core/segment-match';
import { seriesRead, type SegmentRule } from '../core/segment-rules';
import type { EventWhere } from '../core/event-windows';
import { inlineRules, segmentUses } from '../core/journey-references';
import { sendRoutes } from '../core/send-routes';
import type { TemplateContent } from '../core/template-content';
import type { CustomerReader } from '../db/customer-reader';
import type { CustomerDoc, Models } from '../db/models';
import { storedRule } from '../db/segment-model';
import { cachedTemplates } from '../db/template-cache';
import type { ChannelAdapters } from './delivery-channels';
import { foldIntoProfile, type ProfileSeries } from './event-rollups';
import type { SimulationBinding, SimulationHosts } from './simulation-hosts';

/** The longest horizon a simulation takes: a year, leap day included. */
export const MAX_HORIZON_MS = 366 * 86_400_000;
/** The most events one simulation's timeline holds. */
export const MAX_SIMULATION_EVENTS = 100;

export interface SimulationRequest {
  journeyId: string;
  /** The published version simulated, or `draft`. */
  version: number | 'draft';
  definition: JourneyDefinition;
  customer: CustomerDoc;
  /** The profile came with the request: the store's caps of no customer apply. */
  inline: boolean;
  /** Delivered `afterMs` after the run starts, in that order. */
  events: { name: string; afterMs: number; properties?: Record<string, unknown> }[];
  /** The properties of the event that enters an event-entry journey's customer. */
  entryProperties?: Record<string, unknown>;
  horizonMs: number;
}

/** One attempt of a send step, as the run asked for it and the send activity answered. */
interface SendAttempt {
  at: string;
  input: SendInput;
  result?: SendResult;
  failure?: { reason: string; type: string };
}

interface Deferral {
  at: string;
  until: string;
  reason: string;
  explanation: string;
}

interface StepBase {
  stepId: string;
  /** When the run entered the step (simulated time, ISO 8601). */
  at: string;
  /** The step the run went to next; absent when it ended here or is still here. */
  next?: string;
}

export type SimulatedStep = StepBase &
  (
    | {
        type: 'send';
        /** The step's channel: `best` for a best-channel send. */
        channel: Channel | typeof BEST_CHANNEL;
        outcome: SendOutcome;
        /** The channel it went out on (the fallback, or the one a best-channel send chose). */
        usedChannel?: Channel;
        /** Why a best-channel send went out on its channel. */
        choice?: ChannelChoice;
        reason?: string;
        explanation: string;
        /** When it went out, or was skipped or failed (after any deferrals). */
        decidedAt?: string;
        /** The message as it would have gone out: the address and the rendered fields. */
        message?: { address: string; content: TemplateContent };
        deferrals: Deferral[];
      }
    | {
        type: 'wait';
        until?: string;
        /** Why the wait ends then, when the run chose the moment (a best-time wait). */
        reason?: string;
        explanation: string;
      }
    | { type: 'waitForEvent'; event: string; until: string; outcome: 'event' | 'timeout' | 'waiting' | 'ended'; explanation: string }
    | { type: 'branch'; case: number | 'default'; explanation: string }
    | { type: 'split'; path?: string; explanation: string }
    | { type: 'exit'; explanation: string }
  );

export interface SimulationResult {
  journeyId: string;
  version: number | 'draft';
  customerId: string;
  startedAt: string;
  horizonAt: string;
  steps: SimulatedStep[];
  events: { name: string; at: string; properties?: Record<string, unknown>; delivered: boolean }[];
  end: {
    /** `waiting`: the horizon came first, the run waits on `stepId`. */
    status: 'completed' | 'exited' | 'waiting';
    reason?: ExitReason;
    at: string;
    stepId?: string;
    explanation: string;
  };
  converted?: { at: string };
  /** What the simulation could not do as a real run would, or what a real run would not do. */
  notes: string[];
}

export interface JourneySimulatorDeps {
  models: Models;
  /** The channels configured: their addresses (addressOf) decide reachability; they never deliver here. */
  adapters: ChannelAdapters;
  unsubscribeUrl?: (customerId: string, journeyId: string) => string;
  hosts: SimulationHosts;
  /**
   * Counts the real runs' CairnOptimize values (lib/split-optimize-stats.ts), so a simulated
   * optimizing split picks by the journey's real evidence, read only; without it, by none.
   */
  countTrials?: OptimizeDeps['countTrials'];
}

export type JourneySimulator = (request: SimulationRequest) => Promise<SimulationResult>;

/** The activity's clock: the time the (time-skipping) server scheduled it, i.e. simulated now. */
const simulatedNow = () => new Date(Context.current().info.currentAttemptScheduledTimestampMs);

/** An adapter that keeps the rendered message instead of handing it to the provider. */
function capturing(adapter: ChannelAdapter, keep: (message: OutboundMessage) => void): ChannelAdapter {
  return {
    channel: adapter.channel,
    addressOf: (customer) => adapter.addressOf(customer),
    async deliver(message) {
      keep(message);
      return { messageId: `simulated:${message.key}` };
    },
  };
}

export function createJourneySimulator(deps: JourneySimulatorDeps): JourneySimulator {
  const { models } = deps;
  // Read as the worker reads them, through the same short caches.
  const template = cachedTemplates(models.templates);
  const capRules = capRulesReader(models);
  const quietHoursEnd = createQuietHoursCheck(models);

  return async (request) => {
    const profile: CustomerDoc = structuredClone(request.customer);
    const customer: CustomerReader = async (id) => (id === profile._id ? structuredClone(profile) : null);
    const seed = request.inline ? {} : ((await models.frequency.findById(profile._id).lean())?.held ?? {});
    const notes: string[] = [];
    const delivered = new Map<string, OutboundMessage>();
    const channels = Object.fromEntries(
      Object.entries(deps.adapters).map(([channel, adapter]) => [channel, capturing(adapter!, (m) => delivered.set(m.key, m))]),
    );
    const send = createSend({
      customer,
      template,
      ledger: createMemoryLedger(),
      channels,
      ...(deps.unsubscribeUrl ? { unsubscribeUrl: deps.unsubscribeUrl } : {}),
      reserveCap: createMemoryCapReserver(capRules, seed),
      quietHoursEnd,
      // Simulated as running: a pause or stop of the journey now says nothing of its runs later.
      journeyState: async () => ({ paused: false, stopped: false }),
      // The simulated customer lives in memory for this request: no erasure can reach it.
      erasures: { erased: async () => false, forget: async () => {} },
      now: simulatedNow,
    });
    const segments = createSegmentActivities({ customer, segments: models.segments, now: simulatedNow, warn: (message) => void notes.push(message) });
    const schedule = createScheduleActivities({ customer });
    // The simulated run's trial is recorded on the simulation's own server: real evidence never moves.
    const optimizer = createOptimizeActivities({
      countTrials: deps.countTrials ?? (async () => 0),
      evaluateBranch: segments.evaluateBranch,
      warn: (message) => void notes.push(message),
    });

    const trace: { stepId: string; at: string }[] = [];
    const attempts: SendAttempt[] = [];
    const branches: number[] = [];
    // What each wait the run resolved ended on, in order: the moment, and why when it was chosen.
    const waits: { until: string | null; reason?: string }[] = [];
    const binding: SimulationBinding = {
      stepEntered: (stepId, at) => void trace.push({ stepId, at }),
      activities: {
        async send(input) {
          const at = simulatedNow().toISOString();
          try {
            const result = await send(input);
            attempts.push({ at, input, result });
            return result;
          } catch (err) {
            if (err instanceof ApplicationFailure && err.nonRetryable) attempts.push({ at, input, failure: { reason: err.message, type: err.type ?? 'Error' } });
            throw err;
          }
        },
        async evaluateBranch(input) {
          try {
            const index = await segments.evaluateBranch(input);
            branches.push(index);
            return index;
          } catch (err) {
            // A rule that cannot be evaluated sends the run down the default path (workflows/steps/branch.ts).
            if (err instanceof ApplicationFailure && err.nonRetryable) branches.push(-1);
            throw err;
          }
        },
        async resolveWait(input) {
          const until = await schedule.resolveWait(input);
          waits.push({ until });
          return until;
        },
        async resolveBestTime(input) {
          const decided = await schedule.resolveBestTime(input);
          waits.push(decided);
          return decided;
        },
        chooseSplitPath: optimizer.chooseSplitPath,
      } satisfies Pick<Activities, 'send' | 'evaluateBranch' | 'resolveWait' | 'resolveBestTime' | 'chooseSplitPath'>,
    };

    const entryRule = await entrySegmentRule(models, request.definition);
    const series = await seriesReadBy(models, request.definition);
    return deps.hosts.run(binding, async ({ env, taskQueue }) => {
      const startMs = await env.currentTimeMs();
      const startedAt = new Date(startMs).toISOString();
      if (entryRule && !matchesSegment(entryRule, profile, new Date(startMs))) {
        notes.push(`the customer is not in the entry segment now: a launch or live entry would not enter them (simulated as if entered)`);
      }
      const input: JourneyRunInput = {
        journeyId: request.journeyId,
        journeyVersion: request.version === 'draft' ? 0 : request.version,
        customerId: profile._id,
        entry: 1,
        definition: request.definition,
        trace: true,
      };
      const options = { workflowId: journeyWorkflowId(request.journeyId, profile._id, 1), taskQueue, args: [input] as [JourneyRunInput] };
      const entry = request.definition.entry;
      const handle: WorkflowHandle =
        entry?.type === 'event'
          ? await env.client.workflow.signalWithStart('journeyWorkflow', {
              ...options,
              signal: customerEventSignal,
              signalArgs: [{ id: 'simulated-entry', name: entry.event, timestamp: startedAt, ...(request.entryProperties ? { properties: request.entryProperties } : {}) }],
            })
          : await env.client.workflow.start('journeyWorkflow', options);

      // The timeline: time moves to each event, which then reaches the run as ingest delivers
      // it (the roll-ups on the customer first, then the signal; a live segment's exit check).
      const events: SimulationResult['events'] = [];
      let inSegment = entryRule ? matchesSegment(entryRule, profile, new Date(startMs)) : false;
      for (const [index, event] of request.events.entries()) {
        await skipTo(env, startMs + event.afterMs);
        const at = new Date(await env.currentTimeMs());
        foldIntoProfile(profile, [{ name: event.name, timestamp: at, ...(event.properties ? { properties: event.properties } : {}) }], series);
        const signal: CustomerEvent = { id: `simulated-${index}`, name: event.name, timestamp: at.toISOString(), ...(event.properties ? { properties: event.properties } : {}) };
        const heard = await signalIfRunning(handle, () => handle.signal(customerEventSignal, signal));
        events.push({ name: event.name, at: signal.timestamp, ...(event.properties ? { properties: event.properties } : {}), delivered: heard });
        if (heard && entryRule && request.definition.settings?.exitOnLeavingSegment) {
          const now = matchesSegment(entryRule, profile, at);
          if (inSegment && !now) await signalIfRunning(handle, () => handle.signal(leftSegmentSignal));
          inSegment = now;
        }
      }
      const horizonMs = startMs + request.horizonMs;
      await skipTo(env, horizonMs);

      const description = await handle.describe();
      let state: Pick<JourneyRunState, 'sends' | 'splits' | 'trials' | 'converted' | 'exitReason' | 'status' | 'currentStep' | 'waitingUntil' | 'waitingFor'>;
      let end: SimulationResult['end'];
      if (description.status.name === 'RUNNING') {
        state = await handle.query(journeyStateQuery);
        await handle.terminate('simulation horizon reached');
        end = {
          status: 'waiting',
          at: new Date(horizonMs).toISOString(),
          ...(state.currentStep ? { stepId: state.currentStep } : {}),
          explanation: !state.currentStep && state.waitingFor
            ? `the horizon came first: the steps are over, and the run listens for "${state.waitingFor.event}" until ${state.waitingUntil}, when its optimizing split's window closes`
            : `the horizon came first: the run waits on step "${state.currentStep}"${state.waitingUntil ? ` until ${state.waitingUntil}` : ''}`,
        };
      } else if (description.status.name === 'COMPLETED') {
        state = await handle.result();
        end = {
          status: state.status === 'exited' ? 'exited' : 'completed',
          ...(state.exitReason ? { reason: state.exitReason } : {}),
          at: (description.closeTime ?? new Date(horizonMs)).toISOString(),
          explanation: explainEnd(state.exitReason, request.definition),
        };
      } else {
        // A bug in the definition's run (a workflow failure) is the simulation's answer too.
        throw new Error(`the simulated run ended ${description.status.name}`);
      }
      const steps = describeSteps(request.definition, trace, { attempts, branches, waits, delivered, splits: state.splits, capWindows: await capWindowsOf(capRules), ended: end });
      return {
        journeyId: request.journeyId,
        version: request.version,
        customerId: profile._id,
        startedAt,
        horizonAt: new Date(horizonMs).toISOString(),
        steps,
        events,
        end,
        ...(state.converted ? { converted: { at: state.converted.at } } : {}),
        notes,
      };
    });
  };
}

/** Moves the test server's clock to `ms`; the runs do their work on the way, timers in order. */
async function skipTo(env: { currentTimeMs(): Promise<number>; sleep(ms: number): Promise<void> }, ms: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (ms > now) await env.sleep(ms - now);
}

/** Signals the run if it still runs; false when it had ended (the event reaches nobody). */
async function signalIfRunning(handle: WorkflowHandle, signal: () => Promise<void>): Promise<boolean> {
  if ((await handle.describe()).status.name !== 'RUNNING') return false;
  await signal();
  return true;
}

/**
 * The event series the journey's windowed rules read (inline, entry and branch segments), so
 * the timeline's events count in them as ingest would count them, a draft's series included.
 */
async function seriesReadBy(models: Models, definition: JourneyDefinition): Promise<ProfileSeries> {
  const segmentIds = [...new Set(segmentUses(definition).map((use) => use.segmentId))];
  const segments = segmentIds.length > 0 ? await models.segments.find({ _id: { $in: segmentIds } }).lean() : [];
  const rules = [...inlineRules(definition), ...segments.map(storedRule)];
  const index = new Map<string, { key: string; where: EventWhere }[]>();
  for (const [key, { event, where }] of new Map(rules.flatMap((rule) => [...seriesRead(rule)]))) {
    index.set(event, [...(index.get(event) ?? []), { key, where }]);
  }
  return index;
}

async function entrySegmentRule(models: Models, definition: JourneyDefinition): Promise<SegmentRule | undefined> {
  if (definition.entry?.type !== 'segment') return undefined;
  const segment = await models.segments.findById(definition.entry.segmentId).lean();
  return segment ? storedRule(segment) : undefined;
}

async function capWindowsOf(rules: () => Promise<{ id: string; window: string }[]>): Promise<Map<string, string>> {
  return new Map((await rules()).map((rule) => [rule.id, rule.window]));
}

const END_WORDS: Record<ExitReason, (definition: JourneyDefinition) => string> = {
  'exit-event': (d) => `the customer did "${d.settings?.exitOnEvent}", which takes them out of the journey`,
  converted: (d) => `the customer reached the goal ("${d.settings?.goal?.event}" within ${d.settings?.goal?.within}), and the journey exits on conversion`,
  'left-segment': () => 'the customer no longer matches the entry segment, and the journey exits on leaving it',
  'exit-step': () => 'the run reached an exit step',
  holdout: () => 'the split put the customer in the holdout: they receive nothing',
  stopped: () => 'the journey was stopped',
};

function explainEnd(reason: ExitReason | undefined, definition: JourneyDefinition): string {
  return reason ? END_WORDS[reason](definition) : 'the run reached the end of its last step';
}

interface Observed {
  attempts: SendAttempt[];
  branches: number[];
  waits: { until: string | null; reason?: string }[];
  delivered: Map<string, OutboundMessage>;
  splits: Record<string, string>;
  capWindows: Map<string, string>;
  ended: SimulationResult['end'];
}

/** The steps the run entered, in order, each with what happened there. */
function describeSteps(definition: JourneyDefinition, trace: { stepId: string; at: string }[], seen: Observed): SimulatedStep[] {
  const steps = new Map<string, Step>(definition.steps.map((s) => [s.id, s]));
  const visits = new Map<string, number>();
  let branch = 0;
  let wait = 0;
  return trace.map(({ stepId, at }, i) => {
    const step = steps.get(stepId)!;
    const visit = (visits.get(stepId) ?? 0) + 1;
    visits.set(stepId, visit);
    const nextEntry = trace[i + 1];
    const base: StepBase = { stepId, at, ...(nextEntry ? { next: nextEntry.stepId } : {}) };
    const leftAt = nextEntry?.at ?? (seen.ended.status === 'waiting' ? undefined : seen.ended.at);
    switch (step.type) {
      case 'send':
        return { ...base, ...describeSend(step, visit, seen) };
      case 'wait': {
        const { until, reason } = step.duration !== undefined ? { until: new Date(Date.parse(at) + parseDuration(step.duration)!).toISOString() } : (seen.waits[wait++] ?? {});
        if (until === null || until === undefined) return { ...base, type: 'wait', explanation: 'nothing to wait for (the attribute holds no date): the customer went straight on' };
        return { ...base, type: 'wait', until, ...(reason ? { reason } : {}), explanation: reason ? `waits until ${until}: ${reason}` : `waits until ${until}` };
      }
      case 'waitForEvent': {
        const until = new Date(Date.parse(at) + parseDuration(step.timeout)!).toISOString();
        const outcome = !leftAt ? 'waiting' : !nextEntry ? 'ended' : Date.parse(leftAt) < Date.parse(until) ? 'event' : 'timeout';
        const words = {
          event: `"${step.event}" came at ${leftAt}: on to "${step.onEvent}"`,
          timeout: `no "${step.event}" by ${until}: on to "${step.onTimeout}"`,
          waiting: `still waiting for "${step.event}" (until ${until}) at the horizon`,
          ended: `the run ended at ${leftAt} while waiting for "${step.event}"`,
        };
        return { ...base, type: 'waitForEvent', event: step.event, until, outcome, explanation: words[outcome] };
      }
      case 'branch': {
        const index = seen.branches[branch++] ?? -1;
        return index >= 0
          ? { ...base, type: 'branch', case: index, explanation: `case ${index + 1} holds for the customer: on to "${step.cases[index].next}"` }
          : { ...base, type: 'branch', case: 'default', explanation: `no case holds for the customer: the default path, "${step.default}"` };
      }
      case 'split': {
        const path = seen.splits[stepId];
        const explanation =
          step.optimize && path !== HOLDOUT
            ? `the optimizer picked path "${path}" by how each path converts to "${step.optimize.goal}" in the journey's real runs so far (a draw: another simulation may pick another path)`
            : `the customer's hash puts them on path "${path}"`;
        return { ...base, type: 'split', ...(path ? { path } : {}), explanation };
      }
      case 'exit':
        return { ...base, type: 'exit', explanation: 'the journey ends here' };
    }
  });
}

function describeSend(step: Extract<Step, { type: 'send' }>, visit: number, seen: Observed) {
  const mine = seen.attempts.filter((a) => a.input.stepId === step.id && a.input.key.endsWith(`:${visit}`));
  const deferrals: Deferral[] = mine.flatMap(({ at, result }) =>
    result?.status === 'deferred' ? [{ at, until: result.retryAt, reason: result.reason, explanation: explainDeferral(result.reason, capWindow(result.reason, seen)) }] : [],
  );
  const final = mine.find((a) => a.failure || (a.result && a.result.status !== 'deferred' && a.result.status !== 'rerouted'));
  const common = { type: 'send' as const, channel: step.channel, deferrals };
  if (!final) {
    const explanation = deferrals.length > 0 ? `${deferrals[deferrals.length - 1].explanation}; not sent by the end of the simulation` : 'not attempted by the end of the simulation';
    return { ...common, outcome: 'pending' as const, explanation };
  }
  const result = final.result;
  const facts =
    final.failure !== undefined
      ? { state: 'failed' as const, reason: final.failure.reason, failureType: final.failure.type }
      : result?.status === 'sent'
        ? { state: 'sent' as const, ...(result.channel ? { usedChannel: result.channel } : {}), ...(result.choice ? { choice: result.choice } : {}) }
        : { state: 'skipped' as const, reason: (result as { reason: string }).reason };
  // The channel planned: the step's, a best-channel send's choice, else its first listed.
  const planned = 'choice' in facts && facts.choice ? facts.choice.channel : sendRoutes(step)[0].channel;
  const explained = explainSend({ plannedChannel: planned, ...facts, capWindow: capWindow(facts.reason, seen) });
  const message = seen.delivered.get(final.input.key);
  return {
    ...common,
    outcome: explained.outcome,
    ...('usedChannel' in facts && facts.usedChannel ? { usedChannel: facts.usedChannel } : facts.state === 'sent' ? { usedChannel: planned } : {}),
    ...('choice' in facts && facts.choice ? { choice: facts.choice } : {}),
    ...(explained.reason ? { reason: explained.reason } : {}),
    explanation: explained.explanation,
    decidedAt: final.at,
    ...(message && facts.state === 'sent' ? { message: { address: message.address, content: message.content } } : {}),
  };
}

function capWindow(reason: string | undefined, seen: Observed): string | undefined {
  return reason?.startsWith('capped:') ? seen.capWindows.get(reason.slice('capped:'.length)) : undefined;
}
