// The channel adapters built from configuration: the worker delivers journeys' sends through
// them, and the API its test sends (api/routes/template-tries.ts), so both reach the providers
// the same way.
import type { ChannelAdapter } from '../activities/channels/channel';
import { createEmailChannel } from '../activities/channels/email';
import { createPushChannel } from '../activities/channels/push';
import { removePushTokens } from '../activities/channels/push-tokens';
import { createSmsChannel } from '../activities/channels/sms';
import { createWebChannel } from '../activities/channels/web';
import type { Channel } from '../core/channels';
import type { Models } from '../db/models';
import type { Config } from './config';
import { createFirebaseMessaging } from './firebase-messaging';
import { createMailTransport } from './mail-transport';
import { createTwilioClient } from './twilio-client';

/** What delivery needs from the configuration; SMS and push are optional. */
export type DeliveryConfig = Pick<Config, 'email' | 'sms' | 'push' | 'publicUrl'> & { signingSecret: string };

export type ChannelAdapters = Partial<Record<Channel, ChannelAdapter>>;

/** Where Twilio posts status callbacks (api/routes/twilio-webhooks.ts, mounted by api/app.ts). */
export const twilioStatusCallbackUrl = (publicUrl: string) => `${publicUrl}/webhooks/twilio/status`;

/** An adapter per channel with a provider configured; `close` drops their connections. */
export function createChannelAdapters(models: Pick<Models, 'inbox' | 'customers'>, delivery: DeliveryConfig): { channels: ChannelAdapters; close(): Promise<void> } {
  const transport = createMailTransport(delivery.email);
  const firebase = delivery.push ? createFirebaseMessaging(delivery.push) : undefined;
  const channels: ChannelAdapters = {
    email: createEmailChannel(transport, delivery.email),
    web: createWebChannel(models.inbox),
  };
  if (delivery.sms) {
    channels.sms = createSmsChannel(createTwilioClient(delivery.sms), {
      ...(delivery.sms.from ? { from: delivery.sms.from } : { messagingServiceSid: delivery.sms.messagingServiceSid }),
      statusCallbackUrl: twilioStatusCallbackUrl(delivery.publicUrl),
    });
  }
  if (firebase) channels.push = createPushChannel(firebase.messaging, { removeTokens: removePushTokens(models.customers) });
  return {
    channels,
    async close() {
      transport.close();
      await firebase?.close();
    },
  };
}
