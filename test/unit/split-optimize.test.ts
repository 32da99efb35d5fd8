import { parseJourneyDefinition } from '../../core/journey-definition';
import { eventsHeard } from '../../core/journey-listens';
import { segmentUses } from '../../core/journey-references';
import {
  allocationShares,
  betaSample,
  defaultMinShare,
  pickByShare,
  probabilityBest,
  seededRandom,
  THIN_EVIDENCE,
  trialValue,
  wilsonInterval,
} from '../../core/split-optimize';

test('when the interval is asked of 8 conversions in 10, then it is the Wilson score interval (0.490, 0.943)', () => {
  const { low, high } = wilsonInterval(8, 10);
  expect(low).toBeCloseTo(0.4902, 4);
  expect(high).toBeCloseTo(0.9433, 4);
});

test('when no trial converted or none settled, then the interval stays inside [0, 1]', () => {
  const none = wilsonInterval(0, 10);
  expect(none.low).toBe(0);
  expect(none.high).toBeCloseTo(0.2775, 4);
  expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  expect(wilsonInterval(10, 10).high).toBeCloseTo(1, 12);
});

test('when Beta(3, 7) is drawn many times, then the draws have its mean and variance', () => {
  const random = seededRandom(7);
  const draws = Array.from({ length: 40_000 }, () => betaSample(3, 7, random));
  const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
  const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length;
  expect(mean).toBeCloseTo(0.3, 2);
  expect(variance).toBeCloseTo((3 * 7) / (10 * 10 * 11), 3);
  // Shapes below 1 go through the boost.
  const small = Array.from({ length: 40_000 }, () => betaSample(0.5, 0.5, random));
  expect(small.reduce((s, x) => s + x, 0) / small.length).toBeCloseTo(0.5, 2);
});

test('when two paths have the same evidence, then each is best about half the time', () => {
  const [a, b] = probabilityBest([
    { settled: 40, conversions: 8 },
    { settled: 40, conversions: 8 },
  ]);
  expect(a).toBeCloseTo(0.5, 1);
  expect(a + b).toBeCloseTo(1, 10);
});

test('when one path clearly converts better, then it is almost surely best; the same evidence gives the same answer', () => {
  const evidence = [
    { settled: 200, conversions: 60 },
    { settled: 200, conversions: 10 },
  ];
  const best = probabilityBest(evidence);
  expect(best[0]).toBeGreaterThan(0.999);
  expect(probabilityBest(evidence)).toEqual(best);
});

test('when a path has no evidence at all, then three paths share P(best) evenly', () => {
  const best = probabilityBest([0, 1, 2].map(() => ({ settled: 0, conversions: 0 })));
  for (const p of best) expect(p).toBeCloseTo(1 / 3, 1);
});

test('when the loser still has thin evidence, then it keeps its floor; once it has enough, it gets its P(best)', () => {
  const thin = allocationShares(
    [
      { settled: 30, conversions: 15 },
      { settled: 30, conversions: 0 },
    ],
    0.1,
  );
  expect(thin[1]).toBeCloseTo(0.1, 10);
  expect(thin[0]).toBeCloseTo(0.9, 10);
  const enough = allocationShares(
    [
      { settled: THIN_EVIDENCE, conversions: 50 },
      { settled: THIN_EVIDENCE, conversions: 0 },
    ],
    0.1,
  );
  expect(enough[1]).toBeLessThan(0.001);
  expect(enough[0] + enough[1]).toBeCloseTo(1, 10);
});

test('when several thin paths fall below the floor, then each keeps it and the rest goes to the others by P(best)', () => {
  const shares = allocationShares([{ settled: 50, conversions: 40 }, { settled: 50, conversions: 1 }, { settled: 50, conversions: 2 }, { settled: 10, conversions: 5 }], 0.05);
  expect(shares[1]).toBeCloseTo(0.05, 10);
  expect(shares[2]).toBeCloseTo(0.05, 10);
  expect(shares.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 10);
  for (const share of shares) expect(share).toBeGreaterThanOrEqual(0.05 - 1e-12);
});

test('when a draw is placed on the shares, then it picks the path whose band holds it', () => {
  expect(pickByShare([0.2, 0.5, 0.3], 0)).toBe(0);
  expect(pickByShare([0.2, 0.5, 0.3], 0.2)).toBe(1);
  expect(pickByShare([0.2, 0.5, 0.3], 0.69)).toBe(1);
  expect(pickByShare([0.2, 0.5, 0.3], 0.999)).toBe(2);
});

test('when trial values are written, then everyone is "*" and a segment is named', () => {
  expect(trialValue('subject', 'everyone', 'a', 'settled')).toBe('subject:*:a:settled');
  expect(trialValue('subject', 'vip', 'b', 'converted')).toBe('subject:vip:b:converted');
  expect(defaultMinShare(2)).toBe(0.1);
  expect(defaultMinShare(10)).toBe(0.05);
});

const optimizing = (optimize: Record<string, unknown>, paths = 2) => ({
  name: 'Optimize',
  steps: [
    { id: 'pick', type: 'split', paths: Array.from({ length: paths }, (_, i) => ({ name: `p${i}`, weight: 1 })), holdout: { weight: 1 }, optimize },
  ],
});

test('when an optimizing split is valid, then its goal is heard and its segments are references', () => {
  const parsed = parseJourneyDefinition(optimizing({ goal: 'purchase', within: '3d', minShare: 0.2, segments: ['vip'] }));
  if (parsed.issues) throw new Error(JSON.stringify(parsed.issues));
  const { definition } = parsed;
  expect(eventsHeard(definition)).toEqual(['purchase']);
  expect(segmentUses(definition)).toEqual([{ field: 'steps[0].optimize.segments[0]', segmentId: 'vip', stepId: 'pick' }]);
});

test.each([
  [{ goal: 'purchase', within: '31d' }, 2, 'steps.0.optimize.within', 'at most 30d'],
  [{ goal: 'purchase', within: 'soon' }, 2, 'steps.0.optimize.within', 'duration'],
  [{ goal: 'purchase', within: '3d', minShare: 0.5 }, 2, 'steps.0.optimize.minShare', 'below 1'],
  [{ goal: 'purchase', within: '3d', minShare: 0.6 }, 2, 'steps.0.optimize.minShare', '0.5'],
  [{ goal: 'purchase', within: '3d', minShare: 0 }, 2, 'steps.0.optimize.minShare', '0'],
  [{ goal: 'purchase', within: '3d' }, 1, 'steps.0.optimize', 'at least two paths'],
  [{ goal: 'purchase', within: '3d', segments: ['vip', 'vip'] }, 2, 'steps.0.optimize.segments', 'differ'],
  [{ within: '3d' }, 2, 'steps.0.optimize.goal', ''],
  [{ goal: 'purchase', within: '3d', other: 1 }, 2, 'steps.0.optimize', 'other'],
])('when optimize is %j over %i paths, then the issue names %s', (optimize, paths, field, words) => {
  const parsed = parseJourneyDefinition(optimizing(optimize, paths));
  const issue = parsed.issues?.find((i) => i.path.join('.') === field);
  expect(issue).toBeDefined();
  expect(issue!.message).toContain(words);
});
