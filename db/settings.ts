// Account-wide settings documents (`settings`, keyed by name): written by the API, read by
// workers through a short cache.
import type { Model } from 'mongoose';
import type { z } from 'zod';
import { refreshedEvery } from '../lib/refreshed';
import type { SettingsDoc } from './models';

/** The settings the API edits and the workers read, by document key. */
export const CAPS_SETTING = 'frequency-caps';
export const QUIET_HOURS_SETTING = 'quiet-hours';

/** Workers pick up a changed setting within this long. */
export const SETTINGS_CACHE_MS = 5_000;

export async function saveSetting(settings: Model<SettingsDoc>, name: string, value: object): Promise<void> {
  await settings.updateOne({ _id: name }, { $set: { value, updatedAt: new Date() } }, { upsert: true });
}

/**
 * The setting's current value, read at most every SETTINGS_CACHE_MS; undefined when unset. Only
 * the API writes settings, validated; a stored value this version cannot read must not stop
 * every send, so it is reported and treated as unset until it is written again.
 */
export function cachedSetting<T>(settings: Model<SettingsDoc>, name: string, schema: z.ZodType<T>): () => Promise<T | undefined> {
  return refreshedEvery(SETTINGS_CACHE_MS, async (): Promise<T | undefined> => {
    const doc = await settings.findById(name).lean();
    if (!doc) return undefined;
    const parsed = schema.safeParse(doc.value);
    if (!parsed.success) console.error(`cairn: the stored setting "${name}" is not valid and is ignored: ${parsed.error.message}`);
    return parsed.success ? parsed.data : undefined;
  });
}
