// Frequency-cap reservations, atomic per customer: one document per customer holds, per rule,
// the times of the sends in its window, and a send is admitted by one conditional update that
// checks every applicable rule at once. Two journeys racing for the last slot cannot both win.
import type { Channel } from '../core/channels';
import { capRulesSchema, rulesFor, windowMs } from '../core/frequency-caps';
import type { Models } from '../db/models';
import { cachedSetting } from '../db/settings';

export const CAPS_SETTING = 'frequency-caps';

export type Reservation = { admitted: true } | { admitted: false; rule: string; retryAt: Date };

export interface ReserveOptions {
  now?: Date;
  /**
   * Called once some rule applies, before the reservation is made: the send notes its place in
   * the ledger first, so a retry after a crash never takes a second one. Sends no rule covers
   * write nothing.
   */
  beforeReserving?: () => Promise<void>;
}

export function createCapReserver(models: Pick<Models, 'frequency' | 'settings'>) {
  const setting = cachedSetting(models.settings, CAPS_SETTING, capRulesSchema);

  return reserve;

  async function reserve(customerId: string, channel: Channel, options: ReserveOptions = {}): Promise<Reservation> {
    const applicable = rulesFor((await setting())?.rules ?? [], channel);
    if (applicable.length === 0) return { admitted: true };
    await options.beforeReserving?.();
    const t = (options.now ?? new Date()).getTime();
    const found = await models.frequency.findById(customerId).lean();
    const current = found?.r ?? {};
    // Drop times that have left their window, so the array length is the count in the window.
    const stale = Object.fromEntries(
      applicable.flatMap((rule) => {
        const old = (current[rule.id] ?? []).filter((x) => x <= t - windowMs(rule));
        return old.length > 0 ? [[`r.${rule.id}`, old]] : [];
      }),
    );
    // The conditional push below needs the document: made on first use, pruned when stale.
    if (Object.keys(stale).length > 0) await models.frequency.updateOne({ _id: customerId }, { $pullAll: stale });
    else if (!found) await models.frequency.updateOne({ _id: customerId }, { $setOnInsert: { r: {} } }, { upsert: true });
    const admitted = await models.frequency
      .findOneAndUpdate(
        { _id: customerId, ...Object.fromEntries(applicable.map((rule) => [`r.${rule.id}.${rule.limit - 1}`, { $exists: false }])) },
        { $push: Object.fromEntries(applicable.map((rule) => [`r.${rule.id}`, t])) },
        { returnDocument: 'after' },
      )
      .lean();
    if (admitted) return { admitted: true };
    // Capped: the binding rule frees a slot when its oldest send in the window leaves it.
    const after = (await models.frequency.findById(customerId).lean())?.r ?? {};
    const waits = applicable.map((rule) => {
      const inWindow = (after[rule.id] ?? []).filter((x) => x > t - windowMs(rule)).sort((a, b) => a - b);
      return { rule: rule.id, free: inWindow.length < rule.limit ? t : inWindow[inWindow.length - rule.limit] + windowMs(rule) };
    });
    const binding = waits.reduce((a, b) => (b.free > a.free ? b : a));
    return { admitted: false, rule: binding.rule, retryAt: new Date(Math.max(binding.free, t + 1_000)) };
  }
}

export type CapReserver = ReturnType<typeof createCapReserver>;
