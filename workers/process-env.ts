// The environment the worker process starts with (npm start, docker-compose.yml and
// bench:worker-memory use it; a deployment of its own should too). Node and glibc read these
// before any code runs, so the worker cannot set them for itself.
//
// Without them a worker's resident set keeps growing with every run it has ever run, well past
// what its cache holds: V8 sizes its heaps from the machine's memory (4 GB here) and collects
// little until they fill, and each of Node's and Temporal core's threads gets a malloc arena of
// its own. With 10,000 runs waiting and 100 of them cached, the worker stayed at 379 MB without
// them and at 280–290 MB with them (BENCHMARKS.md, worker memory).
export const WORKER_PROCESS_ENV = {
  /**
   * Each isolate's old generation (the main thread's and the workflow thread's): room for the
   * default cache and the activities. A larger CAIRN_WORKFLOW_CACHE_SIZE needs more (the worker
   * warns at start when it may not fit).
   */
  NODE_OPTIONS: '--max-old-space-size=192',
  /** Two malloc arenas rather than eight per core. */
  MALLOC_ARENA_MAX: '2',
} as const;
