// Windowed event counts: what "viewed shoes three times in five days" reads. For each (event,
// `where`) pair a stored rule counts within a window, every customer document keeps the times
// of their matching events, newest first, under `windows.<key>` (kept for KEPT_WINDOW_MS, at
// most WINDOW_CAP of them). "At least n within w" is then "the n-th newest time is inside w":
// one comparison on one array place (`windows.<key>.<n-1>`), exact, and answered by MongoDB's
// filter and by the in-memory matcher alike. Pure: no I/O, no clock.
import { parseDuration } from './duration';

/** The longest `within` a counted or filtered condition may take: event times are kept this long. */
export const KEPT_WINDOW = '90d';
export const KEPT_WINDOW_MS = parseDuration(KEPT_WINDOW)!;
/** Times kept per customer and key: `atLeast` counts up to this many, `atMost` up to one fewer. */
export const WINDOW_CAP = 100;
/** Properties one `where` may name. */
export const MAX_WHERE_PROPERTIES = 3;
/** Values one `in` may list. */
export const MAX_WHERE_VALUES = 100;

export type WhereValue = string | number | boolean;
/** Each named property equals the value, or one of the `in` values. */
export type EventWhere = Record<string, WhereValue | { in: WhereValue[] }>;

/** One kept series: an event name and the property filter its times pass. */
export interface WindowSeries {
  event: string;
  where: EventWhere;
}

/**
 * The series' key: a hash of its canonical form (properties sorted, `in` values sorted and
 * unique, a one-value `in` written as the value), so two rules that say the same thing share
 * one series. Keys become path segments: letters and digits only.
 */
export function windowKey(series: WindowSeries): string {
  return `w${fnv1a64(canonicalSeries(series))}`;
}

export function canonicalSeries(series: WindowSeries): string {
  const where = Object.keys(series.where)
    .sort()
    .map((name) => {
      const value = series.where[name];
      if (typeof value !== 'object') return [name, value];
      const values = [...new Map(value.in.map((v) => [`${typeof v}:${String(v)}`, v])).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
      return values.length === 1 ? [name, values[0]] : [name, { in: values }];
    });
  return JSON.stringify([series.event, where]);
}

/** True when the event's properties pass the filter: equal values of the same type, as MongoDB compares. */
export function whereMatches(where: EventWhere, properties: Record<string, unknown> | undefined): boolean {
  return Object.entries(where).every(([name, expected]) => {
    if (!properties || !Object.hasOwn(properties, name)) return false;
    const actual = properties[name];
    return typeof expected === 'object' ? expected.in.some((v) => v === actual) : actual === expected;
  });
}

/** The n-th newest kept time (1-based) of a series on a customer document, if any. */
export function nthNewest(windows: unknown, key: string, n: number): unknown {
  if (typeof windows !== 'object' || windows === null || Array.isArray(windows) || !Object.hasOwn(windows, key)) return undefined;
  const times = (windows as Record<string, unknown>)[key];
  return Array.isArray(times) ? times[n - 1] : undefined;
}

/** 64-bit FNV-1a of the string's UTF-16 code units, in base 36 (13 characters at most). */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(36);
}
