import { ApplicationFailure } from '@temporalio/common';
import twilio from 'twilio';
import type { MessageInstance } from 'twilio/lib/rest/api/v2010/account/message';
import { FailureType } from '../../core/failures';
import { smsSegments } from '../../core/sms-segments';
import { contentDigest, type SmsContent } from '../../core/template-content';
import type { TwilioClient } from '../../lib/twilio-client';
import type { ChannelAdapter, Delivered, OutboundMessage } from './channel';

export interface SmsSettings {
  /** Exactly one of `from` and `messagingServiceSid`. */
  from?: string;
  messagingServiceSid?: string;
  /** Our status webhook (api/routes/twilio-webhooks.ts); the send's key is appended as `?key=`. */
  statusCallbackUrl: string;
}

/** How far the provider's clock may be behind ours when looking for an earlier attempt's message. */
const CLOCK_SKEW_MS = 60_000;

/**
 * Twilio error codes that refuse this message for good: bad or unreachable numbers, numbers
 * that opted out at the carrier (21610), regions not enabled, a body Twilio will not send.
 * Any other 400 is also final: Twilio found the request itself invalid.
 */
const PERMANENT_CODES = new Set([
  21211, 21212, 21214, 21217, 21219, 21401, 21407, 21408, 21602, 21603, 21604, 21606, 21608, 21610, 21612, 21614,
  21617, 21635, 30003, 30004, 30005, 30006, 30007, 30008,
]);

export function createSmsChannel(client: TwilioClient, settings: SmsSettings): ChannelAdapter {
  const sender = settings.from ? { from: settings.from } : { messagingServiceSid: settings.messagingServiceSid };

  /**
   * Twilio has no idempotency key. When an earlier attempt handed this send over and died before
   * recording it, look for a message with the same recipient and sender, created since then,
   * whose body is what that attempt sent (its digest) or what this one would send, and adopt
   * it rather than text the customer twice. `dateSentAfter` may be matched per day and
   * skips messages not sent yet, so the newest messages are read too and dates checked here.
   */
  async function findEarlier(message: OutboundMessage, body: string, earlier: { at: Date; digest: string }): Promise<MessageInstance | undefined> {
    const since = new Date(earlier.at.getTime() - CLOCK_SKEW_MS);
    const [sent, newest] = await Promise.all([
      client.messages.list({ to: message.address, dateSentAfter: since, pageSize: 100, limit: 1_000 }),
      client.messages.list({ to: message.address, pageSize: 20, limit: 20 }),
    ]);
    return [...sent, ...newest].find(
      (m) =>
        (m.body === body || contentDigest({ body: m.body }) === earlier.digest) &&
        m.dateCreated >= since &&
        m.status !== 'failed' &&
        m.status !== 'canceled' &&
        (settings.from ? m.from === settings.from : m.messagingServiceSid === settings.messagingServiceSid),
    );
  }

  return {
    channel: 'sms',
    addressOf: (customer) => customer.phone,
    async deliver(message: OutboundMessage): Promise<Delivered> {
      const { body } = message.content as SmsContent;
      const count = smsSegments(body);
      const delivered = (m: MessageInstance): Delivered => ({
        messageId: m.sid,
        detail: { segments: Number(m.numSegments) || count.segments, encoding: count.encoding },
      });
      try {
        const earlier = message.earlierAttempt ? await findEarlier(message, body, message.earlierAttempt) : undefined;
        if (earlier) return delivered(earlier);
        const created = await client.messages.create({
          to: message.address,
          ...sender,
          body,
          statusCallback: withKey(settings.statusCallbackUrl, message.key),
        });
        return delivered(created);
      } catch (err) {
        throw classifyTwilioError(err);
      }
    },
  };
}

function withKey(url: string, key: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}key=${encodeURIComponent(key)}`;
}

/** Refusals of this message are final; 429, 5xx, auth trouble and network errors are retried. */
function classifyTwilioError(err: unknown): unknown {
  if (!(err instanceof twilio.RestException)) return err;
  if (err.status === 400 || (err.code !== undefined && PERMANENT_CODES.has(err.code))) {
    return ApplicationFailure.nonRetryable(
      `Twilio refused the message (error ${err.code}): ${err.message}`,
      FailureType.ChannelPermanentRejection,
    );
  }
  return err;
}
