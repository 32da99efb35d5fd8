// Split assignment: weighted, and the same path for a customer every time (a replay, a retry or
// a second look all agree), without storing anything. Pure: runs inside the workflow.
import type { SplitStep } from './journey-steps';

/** The holdout: a control group that gets nothing more from the journey. */
export const HOLDOUT = 'holdout';

/** FNV-1a, 32-bit: small, fast and well spread for short keys. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The path name (or HOLDOUT) a customer takes at a split step of a journey. */
export function assignSplit(step: SplitStep, journeyId: string, customerId: string): string {
  const buckets = [...step.paths.map((p) => ({ name: p.name, weight: p.weight })), ...(step.holdout ? [{ name: HOLDOUT, weight: step.holdout.weight }] : [])];
  const total = buckets.reduce((sum, b) => sum + b.weight, 0);
  let point = hash32(`${journeyId}\u0000${step.id}\u0000${customerId}`) % total;
  for (const bucket of buckets) {
    if (point < bucket.weight) return bucket.name;
    point -= bucket.weight;
  }
  return buckets[buckets.length - 1].name;
}
