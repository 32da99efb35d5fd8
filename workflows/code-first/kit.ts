// Building blocks for code-first journeys: the interpreter's own step handlers, run by a
// JourneyRun, behind a small TypeScript API. Each block is one step: it shows in the run's
// state, search attributes and stats like a step of a JSON journey, and a send's idempotency
// key is built from the step ID as there. Once the run has ended (stopped, exit event,
// conversion with exit), every block does nothing and reports "no".
import type { Channel } from '../../core/channels';
import type { CustomerEvent, JourneyRunResult } from '../../core/journey-contract';
import type { JourneySettings, LocalTime } from '../../core/journey-definition';
import { JourneyRun } from '../journey-run';

/** Input of every code-first journey type: who enters, and which entry this is. */
export interface CodeJourneyInput {
  customerId: string;
  entry: number;
}

const YES = 'yes';

export class JourneyKit {
  private readonly run: JourneyRun;

  constructor(identity: { journeyId: string; customerId: string; version?: number; settings?: JourneySettings }) {
    this.run = new JourneyRun({
      journeyId: identity.journeyId,
      customerId: identity.customerId,
      journeyVersion: identity.version ?? 1,
      settings: identity.settings,
    });
  }

  get ended(): boolean {
    return this.run.ended;
  }

  /** Renders the template for the customer and delivers it on the channel, once. */
  async send(stepId: string, channel: Channel, template: string): Promise<void> {
    if (!this.ended) await this.run.runStep({ id: stepId, type: 'send', channel, template });
  }

  /** Waits a duration such as "2d". */
  async wait(stepId: string, duration: string): Promise<void> {
    if (!this.ended) await this.run.runStep({ id: stepId, type: 'wait', duration });
  }

  /** Waits until the next local time in the customer's time zone. */
  async waitUntilLocalTime(stepId: string, at: LocalTime): Promise<void> {
    if (!this.ended) await this.run.runStep({ id: stepId, type: 'wait', untilLocalTime: at });
  }

  /** Waits up to `timeout` for the event; true when it came. */
  async waitForEvent(stepId: string, event: string, timeout: string, match?: Record<string, string | number | boolean>): Promise<boolean> {
    if (this.ended) return false;
    return (await this.run.runStep({ id: stepId, type: 'waitForEvent', event, match, timeout, onEvent: YES })) === YES;
  }

  /** Whether the customer is in the segment now, re-evaluated in MongoDB. */
  async inSegment(stepId: string, segmentId: string): Promise<boolean> {
    if (this.ended) return false;
    return (await this.run.runStep({ id: stepId, type: 'branch', cases: [{ when: { segment: segmentId }, next: YES }] })) === YES;
  }

  /** Records how the run ended; return its result from the workflow. */
  finish(): JourneyRunResult {
    return this.run.finish();
  }
}

export type { CustomerEvent };
/**
 * Versioning a type with runs under way (docs/code-first-journeys.md, Rules): Temporal's own
 * `patched` and `deprecatePatch`, re-exported so a type needs nothing but the kit.
 */
export { deprecatePatch, patched } from '@temporalio/workflow';
