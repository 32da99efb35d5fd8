// Builds the real dependencies of the activities: MongoDB models, the ledger, the channels,
// and a Temporal client for the activities that start journey runs.
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { createCapReserver } from '../activities/caps';
import { createDeliveryLedger } from '../activities/ledger';
import { createQuietHoursCheck } from '../activities/quiet-hours';
import { unsubscribeUrl } from '../core/unsubscribe-links';
import { engagementLinks } from '../core/engagement-links';
import type { SendDeps } from '../activities/send';
import type { Database } from '../db/connect';
import { storeCustomerReader } from '../db/customer-reader';
import { cachedJourneyState } from '../db/journey-state';
import { cachedTemplates } from '../db/template-cache';
import { eraseSends } from '../db/erased-sends';
import { readSuppression } from '../db/suppressions';
import { createChannelAdapters, type DeliveryConfig } from '../lib/delivery-channels';
import { createEventIngest } from '../lib/event-ingest';
import { createJourneyEntry } from '../lib/journey-entry';
import { createJourneyRuns } from '../lib/journey-runs';
import { visibilityTrialCount } from '../lib/split-optimize-stats';

/** What the send activity reads and writes in the store: everything but its channels. */
export function storeSendDeps(db: Database): Omit<SendDeps, 'channels' | 'unsubscribeUrl' | 'tracking'> & { models: Database['models'] } {
  return {
    models: db.models,
    customer: storeCustomerReader(db.models.customers),
    template: cachedTemplates(db.models.templates),
    ledger: createDeliveryLedger(db.models.deliveries),
    reserveCap: createCapReserver(db.models),
    quietHoursEnd: createQuietHoursCheck(db.models),
    // The pause and stop signals are the fast path; this catches runs they missed, without a
    // database read on every send.
    journeyState: cachedJourneyState(db.models),
    erasures: {
      erased: async (customerId) => (await readSuppression(db.models.suppressions, customerId)) !== null,
      async forget(key, customerId) {
        await Promise.all([eraseSends(db.models, { _id: key }), db.models.frequency.deleteOne({ _id: customerId })]);
      },
    },
  };
}

export function createRealActivities(db: Database, delivery: DeliveryConfig, temporal: { client: Client; taskQueue: string }) {
  const { channels, close } = createChannelAdapters(db.models, delivery);

  const runs = createJourneyRuns(temporal.client, temporal.taskQueue, db.models.journeyEntries);
  const entry = createJourneyEntry({ models: db.models, runs });
  const events = createEventIngest(db.models, entry);
  const activities = createActivities({
    ...storeSendDeps(db),
    channels,
    unsubscribeUrl: (customerId, journeyId) => unsubscribeUrl(delivery.publicUrl, delivery.signingSecret, customerId, journeyId),
    tracking: engagementLinks(delivery.publicUrl, delivery.signingSecret),
    runs,
    finishEvents: () => events.finishEvents(),
    recheckLapsed: (asOf) => entry.recheckLapsed(asOf),
    countTrials: visibilityTrialCount(temporal.client),
  });
  return {
    activities,
    close,
  };
}
