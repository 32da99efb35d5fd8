// Quiet hours: the send activity holds a message that falls inside them until they end, in the
// customer's time zone. A journey's own quiet hours replace the account's. (Runs started before
// this check waited for their journey's quiet hours in the workflow; see QUIET_HOURS_IN_SEND.)
import { quietHoursEnd } from '../core/local-time';
import { accountQuietHoursSchema, type AccountQuietHours, type QuietHours } from '../core/journey-steps';
import type { Models } from '../db/models';
import { cachedSetting, QUIET_HOURS_SETTING } from '../db/settings';

/** When quiet hours end for a customer in `zone` (theirs, else the journey's), if they are in them now. */
export type QuietHoursCheck = (journeyHours: QuietHours | undefined, zone: string | undefined, now?: Date) => Promise<Date | undefined>;

export function createQuietHoursCheck(models: Pick<Models, 'settings'>): QuietHoursCheck {
  const setting = cachedSetting(models.settings, QUIET_HOURS_SETTING, accountQuietHoursSchema);
  return async (journeyHours, zone, now = new Date()) => {
    const quiet = journeyHours ?? (await setting());
    if (!quiet) return undefined;
    const accountZone = journeyHours ? undefined : (quiet as AccountQuietHours).timeZone;
    return quietHoursEnd(now, zone ?? accountZone ?? 'UTC', quiet.start, quiet.end);
  };
}
