// Account-wide quiet hours: the send activity holds a message that falls inside them until they
// end, in the customer's time zone. Journeys with quiet hours of their own wait for those in
// the workflow instead (workflows/steps/send.ts).
import { quietHoursEnd } from '../core/local-time';
import { accountQuietHoursSchema, type AccountQuietHours } from '../core/journey-steps';
import type { Models } from '../db/models';
import { refreshedEvery } from '../lib/refreshed';

export const QUIET_HOURS_SETTING = 'quiet-hours';

/** When the account's quiet hours end for a customer in `zone`, if they are in them now. */
export type QuietHoursCheck = (zone: string | undefined, now?: Date) => Promise<Date | undefined>;

export function createQuietHoursCheck(models: Pick<Models, 'settings'>): QuietHoursCheck {
  // Read at most every five seconds, as the frequency caps are.
  const setting = refreshedEvery(5_000, async (): Promise<AccountQuietHours | undefined> => {
    const doc = await models.settings.findById(QUIET_HOURS_SETTING).lean();
    return doc ? accountQuietHoursSchema.parse(doc.value) : undefined;
  });
  return async (zone, now = new Date()) => {
    const quiet = await setting();
    if (!quiet) return undefined;
    return quietHoursEnd(now, zone ?? quiet.timeZone ?? 'UTC', quiet.start, quiet.end);
  };
}
