// Building blocks for code-first journeys: the interpreter's own step handlers, run by a
// JourneyRun, behind a small TypeScript API. Each block is one step: it shows in the run's
// state, search attributes and stats like a step of a JSON journey, and a send's idempotency
// key is built from the step ID as there. Once the run has ended (stopped, exit event,
// conversion with exit, a holdout), every block does nothing and reports "no".
import { ApplicationFailure } from '@temporalio/workflow';
import { BEST_CHANNEL, CHANNELS, type Channel } from '../../core/channels';
import type { CodeJourneyInputOf, CodeJourneyType } from '../../core/code-journey-type';
import type { CustomerEvent, JourneyRunResult } from '../../core/journey-contract';
import type { BestChannelSendStep, BestTime, BranchCondition, ChannelSendStep, LocalTime, SendStep, Step } from '../../core/journey-definition';
import { sendRoutes } from '../../core/send-routes';
import { JourneyRun } from '../journey-run';

/** Input of a code-first type's runs: who enters, which entry this is, and the launch's input. */
export interface CodeRunInput<Input = Record<string, never>> {
  customerId: string;
  entry: number;
  /** What the launch gave, as the type's schema output it (absent in runs started before types took input). */
  input: Input;
}

/** The run input of a declared type: `input` typed by its schema. */
export type CodeJourneyInput<T extends CodeJourneyType = CodeJourneyType> = CodeRunInput<CodeJourneyInputOf<T>>;

/** A send's options, as a JSON send step has them. */
export type SendOptions = Pick<ChannelSendStep, 'fallback' | 'transactional' | 'whenCapped'>;

/**
 * A best-channel send, as a JSON step has it: the channels to choose from in fallback order
 * and a template for each of them (the type checker asks for one per listed channel).
 */
export type BestChannelOptions<C extends Channel = Channel> = Pick<BestChannelSendStep, 'transactional' | 'whenCapped'> & {
  channels: readonly C[];
  templates: Record<C, string>;
};

/**
 * Where a wait ends besides a duration: a moment, a date the customer carries (with an offset),
 * a local time, or the customer's best time within a window (with a default local time).
 */
export type WaitTarget = { at: string } | { attribute: string; offset?: string } | { localTime: LocalTime } | { bestTime: BestTime };

const YES = 'yes';

export class JourneyKit {
  private readonly run: JourneyRun;

  constructor(
    private readonly type: Pick<CodeJourneyType, 'id' | 'settings' | 'entry' | 'steps' | 'splits' | 'listensTo' | 'templates' | 'segments'>,
    input: Pick<CodeRunInput<unknown>, 'customerId'>,
  ) {
    this.run = new JourneyRun({
      journeyId: type.id,
      customerId: input.customerId,
      journeyVersion: 1,
      settings: type.settings,
      // Templates read the event that entered the customer as {{event.*}}, as in a JSON journey.
      entryEvent: type.entry?.type === 'event' ? type.entry.event : undefined,
    });
  }

  get ended(): boolean {
    return this.run.ended;
  }

  /**
   * Renders the template for the customer and delivers it on the channel, once; with
   * `fallback` on another channel when the customer cannot be reached on this one,
   * `transactional` past quiet hours and caps, and `whenCapped: 'defer'` to wait for a cap.
   */
  async send(stepId: string, channel: Channel, template: string, options?: SendOptions): Promise<void>;
  /**
   * Delivers on the listed channel the customer engages with most, among those they can be
   * reached on (the first listed for a customer without opens or clicks): `kit.send('hello',
   * 'best', { channels: ['push', 'email'], templates: { push: 'hello-push', email: 'hello-email' } })`.
   */
  async send<C extends Channel>(stepId: string, channel: typeof BEST_CHANNEL, options: BestChannelOptions<C>): Promise<void>;
  async send(stepId: string, channel: Channel | typeof BEST_CHANNEL, template: string | BestChannelOptions, options: SendOptions = {}): Promise<void> {
    const step: SendStep =
      channel === BEST_CHANNEL && typeof template === 'object'
        ? { id: stepId, type: 'send', channel, ...template, channels: [...template.channels] }
        : { id: stepId, type: 'send', channel: channel as Channel, template: template as string, ...options };
    if (step.channel === BEST_CHANNEL) this.bestChannels(step.channels);
    for (const route of sendRoutes(step)) this.declared('template', route.template, this.type.templates);
    await this.step(step);
  }

  /** Fails the run on a list a JSON step's schema would refuse: 2 to 4 distinct channels. */
  private bestChannels(channels: readonly Channel[]): void {
    if (channels.length < 2 || channels.length > CHANNELS.length || new Set(channels).size !== channels.length) {
      throw ApplicationFailure.nonRetryable(`journey "${this.type.id}": a best-channel send lists 2 to ${CHANNELS.length} distinct channels, not [${channels.join(', ')}]`, 'InvalidJourneyDefinition');
    }
  }

  /** Waits a duration such as "2d". */
  async wait(stepId: string, duration: string): Promise<void> {
    await this.step({ id: stepId, type: 'wait', duration });
  }

  /**
   * Waits until a moment (`{at}`, ISO 8601), a date the customer carries (`{attribute, offset}`:
   * `offset: '-2d'` is two days before it), a local time in the customer's zone (`{localTime}`)
   * or the hour within `within` at which the customer engages most (`{bestTime: {within: '1d',
   * default: '10:00'}}`, the default local time for customers with too little history). A
   * customer without the attribute, or whose moment has passed, goes on at once.
   */
  async waitUntil(stepId: string, target: WaitTarget): Promise<void> {
    if ('at' in target) await this.step({ id: stepId, type: 'wait', until: target.at });
    else if ('attribute' in target) await this.step({ id: stepId, type: 'wait', untilAttribute: target.offset === undefined ? target.attribute : target });
    else if ('localTime' in target) await this.step({ id: stepId, type: 'wait', untilLocalTime: target.localTime });
    else await this.step({ id: stepId, type: 'wait', untilBestTime: target.bestTime });
  }

  /** Waits until the next local time in the customer's time zone (`waitUntil` with `{localTime}`). */
  async waitUntilLocalTime(stepId: string, at: LocalTime): Promise<void> {
    await this.waitUntil(stepId, { localTime: at });
  }

  /**
   * Waits up to `timeout` for the event (with `match`, only one whose properties hold those
   * values); true when it came. The type must list the event in `waitsFor`, or ingest never
   * signals it to the run.
   */
  async waitForEvent(stepId: string, event: string, timeout: string, match?: Record<string, string | number | boolean>): Promise<boolean> {
    if (!this.type.listensTo.includes(event)) {
      throw ApplicationFailure.nonRetryable(`journey "${this.type.id}" waits for "${event}" but does not list it in waitsFor`, 'InvalidJourneyDefinition');
    }
    return (await this.step({ id: stepId, type: 'waitForEvent', event, timeout, onEvent: YES, ...(match ? { match } : {}) })) === YES;
  }

  /**
   * The name of the first case whose condition holds for the customer now (a segment, or an
   * inline rule in the segment language), re-evaluated in MongoDB; undefined when none does.
   */
  async branch<Name extends string>(stepId: string, cases: readonly { name: Name; when: BranchCondition }[]): Promise<Name | undefined> {
    for (const c of cases) if ('segment' in c.when) this.declared('segment', c.when.segment, this.type.segments ?? []);
    const next = await this.step({ id: stepId, type: 'branch', cases: cases.map((c) => ({ when: c.when, next: c.name })) });
    return cases.find((c) => c.name === next)?.name;
  }

  /** Whether the customer is in the segment now (`branch` with one case). */
  async inSegment(stepId: string, segmentId: string): Promise<boolean> {
    return (await this.branch(stepId, [{ name: YES, when: { segment: segmentId } }])) === YES;
  }

  /**
   * The path the customer takes at the type's split step (declared in `splits`), the same every
   * time; in the holdout the run ends (undefined), and every later block does nothing. A split
   * declared with `optimize` picks by each path's conversions so far, as a JSON one does.
   */
  async split(stepId: string): Promise<string | undefined> {
    const split = this.type.splits?.[stepId];
    if (!split) throw ApplicationFailure.nonRetryable(`journey "${this.type.id}" declares no split "${stepId}"`, 'InvalidJourneyDefinition');
    for (const segment of split.optimize?.segments ?? []) this.declared('segment', segment, this.type.segments ?? []);
    return this.step({
      id: stepId,
      type: 'split',
      paths: split.paths.map((p) => ({ ...p, next: p.name })),
      ...(split.holdout ? { holdout: split.holdout } : {}),
      ...(split.optimize ? { optimize: split.optimize } : {}),
    });
  }

  /** Ends the journey here, as a JSON exit step does. */
  async exit(stepId: string): Promise<void> {
    await this.step({ id: stepId, type: 'exit' });
  }

  /** Records how the run ended (once its optimizing splits' windows closed); return its result from the workflow. */
  finish(): Promise<JourneyRunResult> {
    return this.run.finish();
  }

  /** Fails the run on a template or segment the type does not declare (deleting it would not be refused). */
  private declared(what: 'template' | 'segment', id: string, declared: readonly string[]): void {
    if (!declared.includes(id)) {
      throw ApplicationFailure.nonRetryable(`journey "${this.type.id}" uses ${what} "${id}" but does not list it in ${what}s`, 'InvalidJourneyDefinition');
    }
  }

  /** Runs a step of the type's own, unless the run has ended; returns its handler's next step. */
  private async step(step: Step): Promise<string | undefined> {
    if (!this.type.steps.includes(step.id)) {
      throw ApplicationFailure.nonRetryable(`journey "${this.type.id}" does not declare step "${step.id}" in steps`, 'InvalidJourneyDefinition');
    }
    if (this.ended) return undefined;
    return this.run.runStep(step);
  }
}

export type { CustomerEvent };
/**
 * Versioning a type with runs under way (docs/code-first-journeys.md, Rules): Temporal's own
 * `patched` and `deprecatePatch`, re-exported so a type needs nothing but the kit.
 */
export { deprecatePatch, patched } from '@temporalio/workflow';
