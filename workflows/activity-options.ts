// Activity option presets, declared once.
import type { ActivityOptions } from '@temporalio/workflow';
import { PERMANENT_FAILURES } from '../core/failures';

/**
 * Deliveries: a provider outage is retried with backoff for up to a day; permanent
 * failures stop at once. The ledger makes every retry safe. The send heartbeats while the
 * provider works: a dead worker is noticed in 10 s, while a slow delivery (push to many
 * devices) has two minutes; a retry started beside it waits on its hand-off lease.
 */
export const SEND_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2m',
  heartbeatTimeout: '10s',
  scheduleToCloseTimeout: '1d',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '5m',
    nonRetryableErrorTypes: PERMANENT_FAILURES,
  },
};

/** Counting a segment: one query, retried on a database hiccup. */
export const AUDIENCE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '5m',
  retry: { initialInterval: '1s', maximumInterval: '1m', nonRetryableErrorTypes: PERMANENT_FAILURES },
};

/**
 * One page of a launch: heartbeats as it enters customers, so a dead worker is noticed within
 * the heartbeat timeout and the retry resumes from the last heartbeat.
 */
export const ENROLL_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '15m',
  heartbeatTimeout: '15s',
  retry: { initialInterval: '1s', maximumInterval: '1m', nonRetryableErrorTypes: PERMANENT_FAILURES },
};

/** Quick reads that decide a step (branch conditions, wait targets). */
export const DECIDE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', nonRetryableErrorTypes: PERMANENT_FAILURES },
};

/** The event sweep: the next scheduled pass covers whatever this one could not finish. */
export const SWEEP_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10m',
  retry: { initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 3 },
};
