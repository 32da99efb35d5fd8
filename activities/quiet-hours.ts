// Quiet hours: the send activity holds a message that falls inside them until they end, in the
// customer's time zone. A journey's own quiet hours replace the account's. (Runs started before
// this check waited for their journey's quiet hours in the workflow; see QUIET_HOURS_IN_SEND.)
import { quietHoursEnd } from '../core/local-time';
import { accountQuietHoursSchema, type AccountQuietHours, type QuietHours } from '../core/journey-steps';
import type { Models } from '../db/models';
import { refreshedEvery } from '../lib/refreshed';

export const QUIET_HOURS_SETTING = 'quiet-hours';

/** When quiet hours end for a customer in `zone` (theirs, else the journey's), if they are in them now. */
export type QuietHoursCheck = (journeyHours: QuietHours | undefined, zone: string | undefined, now?: Date) => Promise<Date | undefined>;

export function createQuietHoursCheck(models: Pick<Models, 'settings'>): QuietHoursCheck {
  // Read at most every five seconds, as the frequency caps are.
  const setting = refreshedEvery(5_000, async (): Promise<AccountQuietHours | undefined> => {
    const doc = await models.settings.findById(QUIET_HOURS_SETTING).lean();
    if (!doc) return undefined;
    const parsed = accountQuietHoursSchema.safeParse(doc.value);
    // Only the API writes the setting, validated; a stored value this version cannot read must
    // not stop every send: it is reported and ignored until PUT /v1/settings/quiet-hours again.
    if (!parsed.success) console.error(`cairn: the stored account quiet hours are not valid and are ignored: ${parsed.error.message}`);
    return parsed.success ? parsed.data : undefined;
  });
  return async (journeyHours, zone, now = new Date()) => {
    const quiet = journeyHours ?? (await setting());
    if (!quiet) return undefined;
    const accountZone = journeyHours ? undefined : (quiet as AccountQuietHours).timeZone;
    return quietHoursEnd(now, zone ?? accountZone ?? 'UTC', quiet.start, quiet.end);
  };
}
