// Resolves the waits that depend on the customer or on the calendar into one moment. An
// activity, so the customer's data and the time-zone rules are read once and recorded.
import { ApplicationFailure } from '@temporalio/common';
import type { LocalTime, QuietHours } from '../core/journey-steps';
import { nextLocalTime, quietHoursEnd } from '../core/local-time';
import type { Models } from '../db/models';

export interface WaitTarget {
  until?: string;
  untilAttribute?: string;
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

export function createScheduleActivities(deps: { models: Pick<Models, 'customers'> }) {
  return {
    /** When the wait ends (ISO 8601), or null when there is nothing to wait for. */
    async resolveWait(input: ResolveWaitInput): Promise<string | null> {
      const { wait } = input;
      if (wait.until) return new Date(wait.until).toISOString();
      const customer = await deps.models.customers.findById(input.customerId).lean();
      if (wait.untilAttribute) {
        const value = customer?.attributes?.[wait.untilAttribute];
        const date = typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
        return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
      }
      const zone = customer?.timeZone ?? input.defaultTimeZone ?? 'UTC';
      if (wait.untilLocalTime) {
        return nextLocalTime(new Date(input.from), zone, wait.untilLocalTime.time, wait.untilLocalTime.weekdays).toISOString();
      }
      if (wait.quietHours) {
        return quietHoursEnd(new Date(input.from), zone, wait.quietHours.start, wait.quietHours.end)?.toISOString() ?? null;
      }
      throw ApplicationFailure.nonRetryable('the wait names no target', 'InvalidJourneyDefinition');
    },
  };
}
