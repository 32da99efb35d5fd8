// Durations as marketers write them: "30m", "2h", "2d", "1w", or combined "1d12h".
// Pure: imported by the workflow bundle and by the API validator.

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(?:\d+[smhdw])+$/;
const PART = /(\d+)([smhdw])/g;

/** Largest duration a wait step may take: about ten years. */
export const MAX_DURATION_MS = 3650 * UNIT_MS.d;

/** What JSON Schema can say of a duration (the OpenAPI document); the range needs parseDuration. */
export const DURATION_DOC = {
  pattern: DURATION.source,
  description: 'A duration: whole numbers of s, m, h, d or w, such as "30m" or "1d12h"; more than zero and at most ten years (3650d)',
};

/** Milliseconds in a duration string, or undefined when the string is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNIT_MS[unit];
  return total > 0 && total <= MAX_DURATION_MS ? total : undefined;
}

const OFFSET = /^[+-]?(?:\d+[smhdw])+$/;

/** What JSON Schema can say of an offset; its range needs parseOffset. */
export const OFFSET_DOC = {
  pattern: OFFSET.source,
  description: 'A duration before ("-2d") or after ("2d" or "+2d") a date: whole numbers of s, m, h, d or w, more than zero and at most ten years',
};

/** Signed milliseconds in an offset such as "-2d" or "+1h", or undefined when the string is not one. */
export function parseOffset(text: string): number | undefined {
  if (!OFFSET.test(text)) return undefined;
  const ms = parseDuration(text.replace(/^[+-]/, ''));
  return ms === undefined ? undefined : text.startsWith('-') ? -ms : ms;
}
