// Resolves the waits that depend on the customer or on the calendar into one moment. An
// activity, so the customer's data and the time-zone rules are read once and recorded.
import { ApplicationFailure } from '@temporalio/common';
import { decideBestTime, explainBestTime } from '../core/best-time';
import { parseDuration, parseOffset } from '../core/duration';
import type { AttributeDate, BestTime, LocalTime, QuietHours } from '../core/journey-steps';
import { nextLocalTime, quietHoursEnd } from '../core/local-time';
import type { CustomerReader } from '../db/customer-reader';

export interface WaitTarget {
  until?: string;
  /** An attribute's name, or the attribute and an offset from its date. */
  untilAttribute?: string | AttributeDate;
  untilLocalTime?: LocalTime;
  /** Wait only if now is inside these quiet hours, until they end. */
  quietHours?: QuietHours;
}

export interface ResolveWaitInput {
  customerId: string;
  wait: WaitTarget;
  /** The journey's time zone for customers without one; UTC when neither has one. */
  defaultTimeZone?: string;
  /** The moment the wait began (ISO 8601). */
  from: string;
}

export type ResolveBestTimeInput = Omit<ResolveWaitInput, 'wait'> & { bestTime: BestTime };

/** The customer's time zone, else the journey's, else UTC. */
const zoneOf = (customer: { timeZone?: string } | null, journeyZone: string | undefined) => customer?.timeZone ?? journeyZone ?? 'UTC';

export function createScheduleActivities(deps: { customer: CustomerReader }) {
  return {
    /** When the wait ends (ISO 8601), or null when there is nothing to wait for. */
    async resolveWait(input: ResolveWaitInput): Promise<string | null> {
      const { wait } = input;
      if (wait.until) return new Date(wait.until).toISOString();
      const customer = await deps.customer(input.customerId);
      if (wait.untilAttribute) {
        const { attribute, offset } = typeof wait.untilAttribute === 'string' ? { attribute: wait.untilAttribute, offset: undefined } : wait.untilAttribute;
        const value = customer?.attributes?.[attribute];
        const date = typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
        const shift = offset === undefined ? 0 : parseOffset(offset);
        if (shift === undefined) throw ApplicationFailure.nonRetryable(`the wait's offset "${offset}" is not one`, 'InvalidJourneyDefinition');
        if (!date || Number.isNaN(date.getTime())) return null;
        return new Date(date.getTime() + shift).toISOString();
      }
      const zone = zoneOf(customer, input.defaultTimeZone);
      if (wait.untilLocalTime) {
        return nextLocalTime(new Date(input.from), zone, wait.untilLocalTime.time, wait.untilLocalTime.weekdays).toISOString();
      }
      if (wait.quietHours) {
        return quietHoursEnd(new Date(input.from), zone, wait.quietHours.start, wait.quietHours.end)?.toISOString() ?? null;
      }
      throw ApplicationFailure.nonRetryable('the wait names no target', 'InvalidJourneyDefinition');
    },

    /**
     * When a best-time wait ends (the customer's busiest hour in the window, or the default local
     * time), and why: the reason shows in the run's state and a simulation's answer.
     */
    async resolveBestTime(input: ResolveBestTimeInput): Promise<{ until: string; reason: string }> {
      const { within, default: defaultTime } = input.bestTime;
      const withinMs = parseDuration(within);
      if (withinMs === undefined) throw ApplicationFailure.nonRetryable(`the wait's window "${within}" is not a duration`, 'InvalidJourneyDefinition');
      const customer = await deps.customer(input.customerId);
      const zone = zoneOf(customer, input.defaultTimeZone);
      const decision = decideBestTime(new Date(input.from), withinMs, customer?.engagement?.hours, zone, defaultTime);
      return { until: decision.at.toISOString(), reason: explainBestTime(decision, defaultTime, zone) };
    },
  };
}
