// Builds the real dependencies of the activities: MongoDB models, the ledger, the channels,
// and a Temporal client for the activities that start journey runs.
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { createCapReserver } from '../activities/caps';
import type { ChannelAdapter } from '../activities/channels/channel';
import { createEmailChannel } from '../activities/channels/email';
import { createPushChannel } from '../activities/channels/push';
import { removePushTokens } from '../activities/channels/push-tokens';
import { createSmsChannel } from '../activities/channels/sms';
import { createWebChannel } from '../activities/channels/web';
import { createDeliveryLedger } from '../activities/ledger';
import { createQuietHoursCheck } from '../activities/quiet-hours';
import type { Channel } from '../core/channels';
import { unsubscribeUrl } from '../core/unsubscribe-links';
import type { SendDeps } from '../activities/send';
import type { Database } from '../db/connect';
import { cachedJourneyState } from '../db/journey-state';
import { cachedTemplates } from '../db/template-cache';
import type { Config } from '../lib/config';
import { createFirebaseMessaging } from '../lib/firebase-messaging';
import { createEventIngest } from '../lib/event-ingest';
import { createJourneyEntry } from '../lib/journey-entry';
import { createJourneyRuns } from '../lib/journey-runs';
import { createMailTransport } from '../lib/mail-transport';
import { createTwilioClient } from '../lib/twilio-client';

/** What delivery needs from the configuration; SMS and push are optional. */
export type DeliveryConfig = Pick<Config, 'email' | 'sms' | 'push' | 'publicUrl'> & { signingSecret: string };

/** Where Twilio posts status callbacks (api/routes/twilio-webhooks.ts, mounted by api/app.ts). */
export const twilioStatusCallbackUrl = (publicUrl: string) => `${publicUrl}/webhooks/twilio/status`;

/** What the send activity reads and writes in the store: everything but its channels. */
export function storeSendDeps(db: Database): Omit<SendDeps, 'channels' | 'unsubscribeUrl' | 'models'> & { models: Database['models'] } {
  return {
    models: db.models,
    template: cachedTemplates(db.models.templates),
    ledger: createDeliveryLedger(db.models.deliveries),
    reserveCap: createCapReserver(db.models),
    quietHoursEnd: createQuietHoursCheck(db.models),
    // The pause and stop signals are the fast path; this catches runs they missed, without a
    // database read on every send.
    journeyState: cachedJourneyState(db.models),
  };
}

export function createRealActivities(db: Database, delivery: DeliveryConfig, temporal: { client: Client; taskQueue: string }) {
  const transport = createMailTransport(delivery.email);
  const firebase = delivery.push ? createFirebaseMessaging(delivery.push) : undefined;
  const channels: Partial<Record<Channel, ChannelAdapter>> = {
    email: createEmailChannel(transport, delivery.email),
    web: createWebChannel(db.models.inbox),
  };
  if (delivery.sms) {
    channels.sms = createSmsChannel(createTwilioClient(delivery.sms), {
      ...(delivery.sms.from ? { from: delivery.sms.from } : { messagingServiceSid: delivery.sms.messagingServiceSid }),
      statusCallbackUrl: twilioStatusCallbackUrl(delivery.publicUrl),
    });
  }
  if (firebase) channels.push = createPushChannel(firebase.messaging, { removeTokens: removePushTokens(db.models.customers) });

  const runs = createJourneyRuns(temporal.client, temporal.taskQueue, db.models.journeyEntries);
  const events = createEventIngest(db.models, createJourneyEntry({ models: db.models, runs }));
  const activities = createActivities({
    ...storeSendDeps(db),
    channels,
    unsubscribeUrl: (customerId, journeyId) => unsubscribeUrl(delivery.publicUrl, delivery.signingSecret, customerId, journeyId),
    runs,
    finishEvents: () => events.finishEvents(),
  });
  return {
    activities,
    async close() {
      transport.close();
      await firebase?.close();
    },
  };
}
