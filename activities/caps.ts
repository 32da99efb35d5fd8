// Frequency-cap reservations, atomic per customer: one document per customer holds, per rule,
// the places taken in the rule's window (time and send key), and a send is admitted by one
// conditional update that checks every applicable rule at once and takes a place under each.
// Two journeys racing for the last slot cannot both win, across any number of workers.
import type { Channel } from '../core/channels';
import { capRefusal, type CapRule, capRulesSchema, type HeldPlaces, ruleAdmits, rulesFor, windowMs } from '../core/frequency-caps';
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

export type CapReserver = (request: ReserveRequest) => Promise<Reservation>;

/** The account's cap rules, through a short cache. */
export function capRulesReader(models: Pick<Models, 'settings'>): () => Promise<CapRule[]> {
  const setting = cachedSetting(models.settings, CAPS_SETTING, capRulesSchema);
  return async () => (await setting())?.rules ?? [];
}

/**
 * What both reservers decide before looking at places: the rules that apply, the time, and
 * whether the send is admitted anyway (no rule applies, or an earlier hand-off older than a
 * window holds its place).
 */
function screen(rules: CapRule[], request: ReserveRequest): { applicable: CapRule[]; t: number; admitted: boolean } {
  const applicable = rulesFor(rules, request.channel);
  const t = (request.now ?? new Date()).getTime();
  const admitted = applicable.length === 0 || (request.handedOffAt !== undefined && t - request.handedOffAt.getTime() >= Math.min(...applicable.map(windowMs)));
  return { applicable, t, admitted };
}

export function createCapReserver(models: Pick<Models, 'frequency' | 'settings'>): CapReserver {
  const rules = capRulesReader(models);
  const frequency = raw(models.frequency);

  return async function reserve(request: ReserveRequest): Promise<Reservation> {
    const { applicable, t, admitted } = screen(await rules(), request);
    if (admitted) return ADMITTED;

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
    return { admitted: false, ...capRefusal(applicable, held, t) };
  };
}

/**
 * A reserver over places held in memory, starting from the customer's real ones (`seed`, their
 * `frequency` document): a simulation's sends count against the caps as the customer stands
 * now, and against each other, and write nothing. The same rules and arithmetic as the store's
 * conditional update (core/frequency-caps.ts).
 */
export function createMemoryCapReserver(rules: () => Promise<CapRule[]>, seed: HeldPlaces = {}): CapReserver {
  const held: HeldPlaces = structuredClone(seed);
  return async (request) => {
    const { applicable, t, admitted } = screen(await rules(), request);
    if (admitted || applicable.some((rule) => held[rule.id]?.some((place) => place.k === request.key))) return ADMITTED;
    if (!applicable.every((rule) => ruleAdmits(rule, held[rule.id] ?? [], t))) return { admitted: false, ...capRefusal(applicable, held, t) };
    for (const rule of applicable) held[rule.id] = [...(held[rule.id] ?? []), { t, k: request.key }].sort((a, b) => a.t - b.t).slice(-rule.limit);
    return ADMITTED;
  };
}
