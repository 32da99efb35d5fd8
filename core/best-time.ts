// When a best-time wait ends: the hour, within the wait's window, at which the customer has
// engaged most (core/engagement.ts), or a default local time for customers with too little
// history. Pure; runs in the resolveBestTime activity, so the decision is recorded in the run's
// history and replays the same whatever the customer does later.
import { hourOfWeek, type Engagement } from './engagement';
import { nextLocalTime } from './local-time';

const HOUR_MS = 3_600_000;

/** The shortest and longest window a best-time wait may take: at least one hour to choose from, at most every hour of the week. */
export const BEST_TIME_WITHIN_MS = { min: HOUR_MS, max: 7 * 24 * HOUR_MS } as const;

/** Fewer engagements (opens, clicks, sessions) than this in all, and the customer's hours say too little: the default applies. */
export const MIN_ENGAGEMENTS = 5;

export type BestTimeDecision =
  | {
      at: Date;
      basis: 'engagement';
      /** The hour of the week in UTC chosen (0 = Monday 00:00), and its count. */
      hourOfWeek: number;
      count: number;
      total: number;
    }
  | {
      at: Date;
      basis: 'default';
      /** `little-history`: fewer than MIN_ENGAGEMENTS in all; `quiet-window`: none at any hour the window holds. */
      because: 'little-history' | 'quiet-window';
      total: number;
      /** The default local time does not come before the window ends: the wait ends with the window. */
      windowEnd: boolean;
    };

/**
 * The moment a wait that began at `now` ends. The candidates are `now` (standing for the
 * current hour) and each hour start up to `now + withinMs`; each scores the customer's count at
 * its UTC hour of the week, and the highest wins, the earliest on a tie. With fewer than
 * MIN_ENGAGEMENTS in all, or none at any candidate hour: the next `defaultTime` ("HH:MM") in
 * `zone`, or the window's end when that comes first.
 */
export function decideBestTime(now: Date, withinMs: number, hours: Engagement['hours'], zone: string, defaultTime: string): BestTimeDecision {
  const count = (at: Date) => hours?.[`h${hourOfWeek(at)}`] ?? 0;
  const total = Object.values(hours ?? {}).reduce((sum, n) => sum + n, 0);
  const end = now.getTime() + withinMs;
  if (total >= MIN_ENGAGEMENTS) {
    let best = { at: now, count: count(now) };
    for (let t = (Math.floor(now.getTime() / HOUR_MS) + 1) * HOUR_MS; t <= end; t += HOUR_MS) {
      const at = new Date(t);
      if (count(at) > best.count) best = { at, count: count(at) };
    }
    if (best.count > 0) return { at: best.at, basis: 'engagement', hourOfWeek: hourOfWeek(best.at), count: best.count, total };
  }
  const local = nextLocalTime(now, zone, defaultTime);
  const windowEnd = local.getTime() > end;
  return { at: windowEnd ? new Date(end) : local, basis: 'default', because: total >= MIN_ENGAGEMENTS ? 'quiet-window' : 'little-history', total, windowEnd };
}

const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** The decision in words, for the run's state and a simulation's answer. */
export function explainBestTime(decision: BestTimeDecision, defaultTime: string, zone: string): string {
  if (decision.basis === 'engagement') {
    const hour = String(decision.hourOfWeek % 24).padStart(2, '0');
    return `the customer's busiest hour in the window: ${DAYS[Math.floor(decision.hourOfWeek / 24)]} ${hour}:00 UTC (${decision.count} of their ${decision.total} engagements)`;
  }
  const why =
    decision.because === 'little-history'
      ? `too little history (${decision.total} engagements, fewer than ${MIN_ENGAGEMENTS})`
      : `no engagement at any hour in the window (${decision.total} at other hours)`;
  return decision.windowEnd
    ? `${why}, and the window ends before the default ${defaultTime} in ${zone}: the end of the window`
    : `${why}: the default, ${defaultTime} in ${zone}`;
}
