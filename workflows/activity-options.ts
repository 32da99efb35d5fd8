// Activity option presets, declared once.
import type { ActivityOptions } from '@temporalio/workflow';
import { PERMANENT_FAILURES } from '../core/failures';

/**
 * Deliveries: a provider outage is retried with backoff for up to a day; permanent
 * failures stop at once. The ledger makes every retry safe.
 */
export const SEND_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '1d',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '5m',
    nonRetryableErrorTypes: PERMANENT_FAILURES,
  },
};
