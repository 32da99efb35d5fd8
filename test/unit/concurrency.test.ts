import { limitedTo } from '../../lib/concurrency';

test('when more calls are made than the limit, then at most the limit run at once and every one answers', async () => {
  const limit = limitedTo(8);
  let inFlight = 0;
  let most = 0;
  const releases: (() => void)[] = [];
  const calls = Array.from({ length: 30 }, (_, i) =>
    limit(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight -= 1;
      return i;
    }),
  );
  // Release the waiting calls one by one as they start, until all 30 have run.
  for (let released = 0; released < 30; released += 1) {
    while (releases.length === 0) await new Promise((resolve) => setImmediate(resolve));
    releases.shift()?.();
  }
  expect(await Promise.all(calls)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  expect(most).toBe(8);
});
