// Erasure (GDPR's right to be forgotten): DELETE /v1/customers/{id}. In an order that lets
// nothing come back:
// 1. the suppression (db/suppressions.ts), so ingest refuses the customer from now on and every
//    send to them from here hands nothing over (activities/send.ts checks it under its claim);
// 2. their journey runs: stopped, then deleted from Temporal (lib/customer-runs.ts);
// 3. send attempts still handing a message over (a live lease on their ledger row): waited for,
//    so no message goes out after the answer;
// 4. their profile (consent and roll-ups with it), so no launch page or live entry picks them
//    again, then their runs once more: a launch page or an entry that read the profile before
//    the suppression may have started one since step 2 (entries register before they start,
//    so the registry names it even before visibility does);
// 5. the rest of their data: events, inbox, entry registry, cap places deleted; ledger rows and
//    provider reports kept only as numbers (db/erased-sends.ts).
// Each step is idempotent: an erasure that failed part-way is finished by asking again.
import { CUSTOMER_ERASED } from '../core/journey-contract';
import { eraseSends } from '../db/erased-sends';
import type { Models } from '../db/models';
import { customerHash, suppress } from '../db/suppressions';
import { customerEntries, type CustomerRuns } from './customer-runs';
import { logger } from './logger';
import { customersErased } from './metrics';

/**
 * How long erasure waits for send attempts handing a message over: as long as an attempt may
 * run (the send activity's start-to-close timeout, workflows/activity-options.ts), and then some.
 */
const SETTLE_WAIT_MS = 150_000;
const POLL_MS = 250;

export interface ErasureReport {
  /** The hash the suppression keeps instead of the ID. */
  customerHash: string;
  suppressedAt: Date;
  /** What this erasure removed (a repeated erasure finds nothing left: zeros). */
  erased: {
    profile: boolean;
    events: number;
    inboxMessages: number;
    /** Ledger rows kept as numbers only, with their provider reports. */
    sends: number;
    journeyRuns: number;
    /** Runs still running that were stopped first. */
    runsStopped: number;
  };
}

export type CustomerErasure = ReturnType<typeof createCustomerErasure>;

export function createCustomerErasure(deps: { models: Models; runs: Pick<CustomerRuns, 'erase'> }) {
  const { models } = deps;

  /** Waits until no send attempt to the customer holds a live hand-off lease (a message on its way). */
  async function sendsSettled(customerId: string): Promise<void> {
    const deadline = Date.now() + SETTLE_WAIT_MS;
    while (await models.deliveries.exists({ customerId, state: 'claimed', 'lease.until': { $gt: new Date() } })) {
      if (Date.now() > deadline) {
        logger.warn({ customerHash: customerHash(customerId) }, 'erasure went on past a send attempt that held its hand-off lease too long');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  return async function erase(customerId: string): Promise<ErasureReport> {
    const suppression = await suppress(models.suppressions, customerId);
    const first = await deps.runs.erase(customerId, CUSTOMER_ERASED);
    const profile = await models.customers.deleteOne({ _id: customerId });
    const late = await deps.runs.erase(customerId, CUSTOMER_ERASED);
    const runs = { stopped: first.stopped + late.stopped, deleted: first.deleted + late.deleted };
    await sendsSettled(customerId);
    const [events, inbox] = await Promise.all([
      models.events.deleteMany({ customerId }),
      models.inbox.deleteMany({ customerId }),
      models.journeyEntries.deleteMany(customerEntries(customerId)),
      models.frequency.deleteOne({ _id: customerId }),
    ]);
    const sends = await eraseSends(models, { customerId });
    const report: ErasureReport = {
      customerHash: suppression._id,
      suppressedAt: suppression.suppressedAt,
      erased: {
        profile: profile.deletedCount > 0,
        events: events.deletedCount,
        inboxMessages: inbox.deletedCount,
        sends,
        journeyRuns: runs.deleted,
        runsStopped: runs.stopped,
      },
    };
    customersErased.inc();
    // The hash, never the ID: logs outlive the erasure.
    logger.info({ customerHash: report.customerHash, ...report.erased }, 'customer erased');
    return report;
  };
}
