// A customer's consent to a channel, changed by the customer themselves (an unsubscribe link, a
// STOP reply). The send activity reads consent just before each message, so the change holds
// for sends already scheduled; segment-based journeys are told as for any customer change.
import type { Channel } from '../core/channels';
import type { Models } from '../db/models';
import type { JourneyEntry } from './journey-entry';
import { logger } from './logger';

export async function setConsent(
  deps: { models: Pick<Models, 'customers'>; entry?: Pick<JourneyEntry, 'customersChanged'> },
  customerIds: string[],
  channel: Channel,
  consent: boolean,
): Promise<void> {
  await deps.models.customers.updateMany({ _id: { $in: customerIds } }, { $set: { [`consent.${channel}`]: consent } });
  // Consent itself is already stored: a failure here only delays segment re-evaluation.
  await deps.entry
    ?.customersChanged(customerIds)
    .catch((err) => logger.error({ err, channel, customerIds }, `segment re-evaluation after a ${channel} consent change failed`));
}
