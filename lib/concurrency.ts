// Bounded concurrency for fan-outs to Temporal (signals, starts), through p-limit.
import pLimit from 'p-limit';

/** Runs the tasks at most `concurrency` at a time; once all have settled, rethrows the first failure. */
export async function runLimited(concurrency: number, tasks: (() => Promise<unknown>)[]): Promise<void> {
  const limit = pLimit(concurrency);
  const settled = await Promise.allSettled(tasks.map((task) => limit(task)));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}
