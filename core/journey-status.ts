// A journey's status: one word for its flags, for lists and their `status` filter. Pure.
//
// The flags can overlap (a stopped journey can be paused too), so the first status whose
// condition holds wins, in this order. The in-memory reading and the MongoDB filter come from
// the one table below, so a listed journey always carries the status it was filtered by.

export const JOURNEY_STATUSES = ['archived', 'stopped', 'paused', 'live', 'draft', 'published'] as const;
export type JourneyStatus = (typeof JOURNEY_STATUSES)[number];

export interface JourneyFlags {
  version: number;
  live?: boolean;
  paused?: boolean;
  stopped?: boolean;
  archived?: boolean;
}

/** Each status's own condition, as field equalities; `published` is what is left. */
const CONDITIONS: Record<JourneyStatus, Partial<JourneyFlags>> = {
  archived: { archived: true },
  stopped: { stopped: true },
  paused: { paused: true },
  live: { live: true },
  draft: { version: 0 },
  published: {},
};

const holds = (doc: JourneyFlags, condition: Partial<JourneyFlags>) =>
  Object.entries(condition).every(([field, value]) => doc[field as keyof JourneyFlags] === value);

export function journeyStatus(doc: JourneyFlags): JourneyStatus {
  return JOURNEY_STATUSES.find((status) => holds(doc, CONDITIONS[status])) ?? 'published';
}

/** The MongoDB filter for journeys of the status: its condition, and none of those before it. */
export function journeyStatusFilter(status: JourneyStatus): Record<string, unknown> {
  const earlier = JOURNEY_STATUSES.slice(0, JOURNEY_STATUSES.indexOf(status)).map((s) => CONDITIONS[s]);
  return { ...CONDITIONS[status], ...(earlier.length > 0 ? { $nor: earlier } : {}) };
}
