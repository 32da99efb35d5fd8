// The numbers of an optimizing split (`optimize` on a split step): each path's conversion rate
// with a 95% interval, the probability that each path is the best, and the share of the next
// customers each path gets. Pure: a seeded generator makes every answer a function of the
// evidence, so stats read the same twice and tests know their answers.
import type { SplitStep } from './journey-steps';

/** What one path has shown so far: trials whose window closed (or that converted), and conversions. */
export interface PathEvidence {
  settled: number;
  conversions: number;
}

/** Below this many settled trials a path's evidence is thin: it keeps at least `minShare`. */
export const THIN_EVIDENCE = 100;

/** Draws of the posteriors behind each P(best): its Monte Carlo error is below 0.005. */
export const BEST_DRAWS = 20_000;

/** The share each path keeps while thin when the step names none: 10%, less when many paths would leave no room. */
export function defaultMinShare(paths: number): number {
  return Math.min(0.1, 0.5 / paths);
}

/** The step's floor: its own or the default for its number of paths. */
export function minShareOf(step: Pick<SplitStep, 'paths' | 'optimize'>): number {
  return step.optimize?.minShare ?? defaultMinShare(step.paths.length);
}

/** 1.96: the standard normal's 97.5% quantile. */
const Z95 = 1.959963984540054;

/**
 * The Wilson score interval at 95%: unlike the plain `p ± z·se`, it stays inside [0, 1] and
 * is honest at 0 or all conversions and at small counts. No trials: [0, 1].
 */
export function wilsonInterval(conversions: number, trials: number): { low: number; high: number } {
  if (trials <= 0) return { low: 0, high: 1 };
  const p = conversions / trials;
  const z2 = Z95 * Z95;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (Z95 / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** mulberry32: a small seeded generator, uniform on [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function normal(random: () => number): number {
  // Box-Muller; 1 - u keeps log away from 0.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, 1) by Marsaglia and Tsang; shape < 1 through the boost Gamma(shape + 1)·U^(1/shape). */
function gamma(shape: number, random: () => number): number {
  if (shape < 1) return gamma(shape + 1, random) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** One draw of Beta(a, b). */
export function betaSample(a: number, b: number, random: () => number): number {
  const x = gamma(a, random);
  return x / (x + gamma(b, random));
}

/** A seed from the evidence: the same counts give the same probabilities. */
function seedOf(evidence: readonly PathEvidence[]): number {
  let h = 0x811c9dc5;
  for (const { settled, conversions } of evidence) {
    for (const n of [settled, conversions]) {
      h ^= n;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h;
}

/**
 * P(path is best) for each path: each path's rate has the posterior Beta(1 + conversions,
 * 1 + failures) (a uniform prior), and the share of joint draws in which the path's draw is
 * highest estimates it. Thompson sampling sends each customer down a path with exactly this
 * probability.
 */
export function probabilityBest(evidence: readonly PathEvidence[], draws = BEST_DRAWS): number[] {
  if (evidence.length === 0) return [];
  if (evidence.length === 1) return [1];
  // Equal evidence: equal chances, exactly (symmetry), not within the draws' error.
  if (evidence.every((e) => e.settled === evidence[0].settled && e.conversions === evidence[0].conversions)) return evidence.map(() => 1 / evidence.length);
  const random = seededRandom(seedOf(evidence));
  const wins = new Array<number>(evidence.length).fill(0);
  for (let i = 0; i < draws; i++) {
    let best = 0;
    let top = -1;
    evidence.forEach(({ settled, conversions }, k) => {
      const failures = Math.max(0, settled - conversions);
      const draw = betaSample(1 + conversions, 1 + failures, random);
      if (draw > top) {
        top = draw;
        best = k;
      }
    });
    wins[best] += 1;
  }
  return wins.map((w) => w / draws);
}

/**
 * The share of the next customers each path gets: P(best), except that a path with fewer than
 * THIN_EVIDENCE settled trials keeps at least `minShare` (the others give it up in proportion
 * to their own shares). Shares sum to 1.
 */
export function allocationShares(evidence: readonly PathEvidence[], minShare: number, best = probabilityBest(evidence)): number[] {
  const floored = new Set<number>();
  let shares = [...best];
  // Each pass floors at least one more path, so this ends within evidence.length passes.
  for (;;) {
    const newly = shares.map((_, k) => k).filter((k) => !floored.has(k) && evidence[k].settled < THIN_EVIDENCE && shares[k] < minShare);
    if (newly.length === 0) return shares;
    for (const k of newly) floored.add(k);
    const rest = 1 - floored.size * minShare;
    const free = best.map((b, k) => (floored.has(k) ? 0 : b));
    const freeTotal = free.reduce((s, b) => s + b, 0);
    const others = best.length - floored.size;
    shares = best.map((_, k) => (floored.has(k) ? minShare : freeTotal > 0 ? (rest * free[k]) / freeTotal : rest / others));
  }
}

/** The index picked by `shares` for a uniform draw `u` in [0, 1). */
export function pickByShare(shares: readonly number[], u: number): number {
  let point = u;
  for (const [k, share] of shares.entries()) {
    if (point < share) return k;
    point -= share;
  }
  return shares.length - 1;
}

/** The context of customers in no listed segment (`optimize.segments`), or of a split without segments. */
export const EVERYONE = 'everyone';

/** What a run of an optimizing split records in CairnOptimize: entered, then settled (and converted). */
export type TrialMark = 'entered' | 'settled' | 'converted';

/**
 * A CairnOptimize value: `<stepId>:<context>:<path>:<mark>`, the context `*` for everyone (IDs
 * hold no ":" or "*", so a segment named "everyone" cannot be mistaken for it).
 */
export function trialValue(stepId: string, context: string, path: string, mark: TrialMark): string {
  return `${stepId}:${context === EVERYONE ? '*' : context}:${path}:${mark}`;
}
