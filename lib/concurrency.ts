// Bounded concurrency for fan-outs to Temporal (signals, starts, visibility counts), through p-limit.
import pLimit from 'p-limit';

/** Runs the tasks at most `concurrency` at a time; once all have settled, rethrows the first failure. */
export async function runLimited(concurrency: number, tasks: (() => Promise<unknown>)[]): Promise<void> {
  const limit = pLimit(concurrency);
  const settled = await Promise.allSettled(tasks.map((task) => limit(task)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Wraps calls made one by one (a request's counts) so that at most `concurrency` run at a time. */
export function limitedTo(concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  const limit = pLimit(concurrency);
  return (task) => limit(task);
}

/** The items in consecutive slices of `size` (the last one shorter), for queries or batches of bounded size. */
export function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
