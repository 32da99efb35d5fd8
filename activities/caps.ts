// Frequency-cap reservations, atomic per customer: one document per customer holds, per rule,
// the places taken in the rule's window (time and send key), and a send is admitted by one
// conditional update that checks every applicable rule at once and takes a place under each.
// Two journeys racing for the last slot cannot both win, across any number of workers.
import type { Channel } from '../core/channels';
import { capRulesSchema, rulesFor, windowMs } from '../core/frequency-caps';
import { isDuplicateKey } from '../db/duplicate-key';
import type { Models } from '../db/models';
import { raw } from '../db/raw';
import { CAPS_SETTING, cachedSetting } from '../db/settings';

export type Reservation = { admitted: true } | { admitted: false; rule: string; retryAt: Date };

export interface ReserveRequest {
  customerId: string;
  channel: Channel;
  /** The send's idempotency key: a retry of the same send finds its place and takes no other. */
  key: string;
  now?: Date;
  /**
   * An earlier attempt of this send began handing it over then. A place older than a rule's
   * window may have gone from the document with the window: such a send counts as holding it.
   */
  handedOffAt?: Date;
}

const ADMITTED: Reservation = { admitted: true };

export function createCapReserver(models: Pick<Models, 'frequency' | 'settings'>) {
  const setting = cachedSetting(models.settings, CAPS_SETTING, capRulesSchema);
  const frequency = raw(models.frequency);

  return async function reserve(request: ReserveRequest): Promise<Reservation> {
    const applicable = rulesFor((await setting())?.rules ?? [], request.channel);
    if (applicable.length === 0) return ADMITTED;
    const t = (request.now ?? new Date()).getTime();
    if (request.handedOffAt && t - request.handedOffAt.getTime() >= Math.min(...applicable.map(windowMs))) return ADMITTED;

    // Each rule's list keeps its newest `limit` places in time order, so a rule admits when the
    // list is not full or its oldest place has left the window; places inside the window are
    // never the ones cut. The send must not hold a place already (a retry).
    const filter = {
      _id: request.customerId,
      $and: applicable.flatMap((rule) => [
        { $or: [{ [`held.${rule.id}.${rule.limit - 1}`]: { $exists: false } }, { [`held.${rule.id}.0.t`]: { $lte: t - windowMs(rule) } }] },
        { [`held.${rule.id}.k`]: { $ne: request.key } },
      ]),
    };
    const update = {
      $push: Object.fromEntries(applicable.map((rule) => [`held.${rule.id}`, { $each: [{ t, k: request.key }], $sort: { t: 1 }, $slice: -rule.limit }])),
    };
    try {
      const result = await frequency.updateOne(filter, update as never, { upsert: true });
      if (result.modifiedCount + result.upsertedCount > 0) return ADMITTED;
    } catch (err) {
      // The document is there but the filter missed: capped, or this send holds its place.
      if (!isDuplicateKey(err)) throw err;
    }
    const held = (await frequency.findOne({ _id: request.customerId }))?.held ?? {};
    if (applicable.some((rule) => held[rule.id]?.some((place) => place.k === request.key))) return ADMITTED;
    // Capped: the binding rule frees a slot when its oldest place in the window leaves it.
    const waits = applicable.map((rule) => {
      const inWindow = (held[rule.id] ?? []).map((place) => place.t).filter((x) => x > t - windowMs(rule)).sort((a, b) => a - b);
      return { rule: rule.id, free: inWindow.length < rule.limit ? t : inWindow[inWindow.length - rule.limit] + windowMs(rule) };
    });
    const binding = waits.reduce((a, b) => (b.free > a.free ? b : a));
    return { admitted: false, rule: binding.rule, retryAt: new Date(Math.max(binding.free, t + 1_000)) };
  };
}

export type CapReserver = ReturnType<typeof createCapReserver>;
