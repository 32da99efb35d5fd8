import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Message, Messaging } from 'firebase-admin/messaging';
import { FailureType } from '../../core/failures';
import type { PushContent } from '../../core/template-content';
import type { PushToken } from '../../db/models';
import type { ChannelAdapter, OutboundMessage } from './channel';

export interface PushChannelDeps {
  /** Forgets device tokens FCM no longer accepts. */
  removeTokens(customerId: string, tokens: string[]): Promise<void>;
}

const hash = (text: string, length: number) => createHash('sha256').update(text).digest('hex').slice(0, length);

/** The ledger part for one device: the token itself is long and better kept out of the ledger. */
export const pushPart = (token: string) => hash(token, 16);

/**
 * The notification's tag and collapse ID, from the send's idempotency key: when a send goes out
 * twice (a worker died after FCM accepted it, before the ledger recorded it), the second copy
 * replaces the first on the device instead of showing beside it.
 */
export const pushTag = (key: string) => `cairn-${hash(key, 20)}`;

/** What an FCM refusal means for one device. */
type Outcome = 'token-gone' | 'device-refused' | 'message-refused' | 'transient';

/**
 * From firebase-admin's codes (utils/error.js maps FCM's replies to them):
 * - registration-token-not-registered (UNREGISTERED, 404): the app was uninstalled or the
 *   token expired; invalid-registration-token comes only from the legacy API. Both: forget it.
 * - invalid-argument (INVALID_ARGUMENT, 400) covers a malformed token and a bad payload alike;
 *   FCM tells them apart only by its message ("The registration token is not a valid FCM
 *   registration token"). Only that message removes the token: a bad payload must never cost
 *   customers their devices. Any other invalid argument, and the client-side checks
 *   (invalid-payload...), are the message's fault: every device would refuse it.
 * - mismatched-credential (SENDER_ID_MISMATCH, and PERMISSION_DENIED for a credential without
 *   access): the device is out of reach, but it can be our configuration, so the token stays.
 * - everything else (quota, unavailable, internal, unknown, network, credential refresh,
 *   authentication) can pass: retried. firebase-admin has already retried a 503 itself.
 */
function classify(err: unknown): Outcome {
  const code = (err as { code?: unknown }).code;
  const text = err instanceof Error ? err.message : '';
  switch (code) {
    case 'messaging/registration-token-not-registered':
    case 'messaging/invalid-registration-token':
      return 'token-gone';
    case 'messaging/invalid-argument':
      return /registration token/i.test(text) ? 'token-gone' : 'message-refused';
    case 'messaging/invalid-payload':
    case 'messaging/invalid-data-payload-key':
    case 'messaging/payload-size-limit-exceeded':
    case 'messaging/invalid-options':
      return 'message-refused';
    case 'messaging/mismatched-credential':
    case 'messaging/invalid-package-name':
      return 'device-refused';
    default:
      return 'transient';
  }
}

/** Same content, same key: byte for byte the same FCM message, on every attempt. */
function fcmMessage(token: string, content: PushContent, message: OutboundMessage): Message {
  const tag = pushTag(message.key);
  // FCM takes only HTTPS links for web push; apps read the link from `data` whatever its scheme.
  const webLink = content.link?.startsWith('https://') ? content.link : undefined;
  return {
    token,
    notification: { title: content.title, body: content.body, ...(content.imageUrl ? { imageUrl: content.imageUrl } : {}) },
    data: {
      cairnKey: message.key,
      journeyId: message.journeyId,
      ...(message.openToken ? { cairnOpenToken: message.openToken } : {}),
      ...(message.test ? { cairnTest: '1' } : {}),
      ...(content.link ? { link: content.link } : {}),
    },
    webpush: { notification: { tag }, ...(webLink ? { fcmOptions: { link: webLink } } : {}) },
    // No collapse key: FCM keeps at most four per device while it is offline, so one per send
    // could drop other pending messages; the tag already makes a repeat replace its original.
    android: { notification: { tag } },
    apns: { headers: { 'apns-collapse-id': tag } },
  };
}

const explain = (err: unknown) => `${(err as Error).message} (${String((err as { code?: unknown }).code ?? 'no code')})`;

/**
 * Push through FCM: one message per device, so each device is a ledger part recorded as soon
 * as FCM accepts it, and a retry reaches only the devices still missing. `send()` is used, not
 * `sendEach()`: only `send()` honours the app's HTTP agent (see lib/firebase-messaging.ts).
 *
 * After an earlier attempt that died unrecorded (`earlierAttempt`), FCM cannot be asked what
 * it delivered, so devices without a recorded part get the message again under the same tag:
 * at worst the device replaces the notification with an identical one.
 */
export function createPushChannel(messaging: Messaging, deps: PushChannelDeps): ChannelAdapter {
  return {
    channel: 'push',
    addressOf(customer) {
      const count = uniqueTokens(customer.pushTokens).length;
      if (count === 0) return undefined;
      return count === 1 ? '1 device' : `${count} devices`;
    },
    async deliver(message) {
      const content = message.content as PushContent;
      const tokens = uniqueTokens(message.customer.pushTokens);
      // FCM refuses a payload over 4 KB for every device alike: say so plainly, before trying.
      const size = tokens.length > 0 ? payloadBytes(fcmMessage(tokens[0].token, content, message)) : 0;
      if (size > MAX_PAYLOAD_BYTES) {
        throw ApplicationFailure.nonRetryable(
          `the rendered push is ${size} bytes of notification and data; FCM accepts at most ${MAX_PAYLOAD_BYTES}: shorten the template`,
          FailureType.ChannelPermanentRejection,
        );
      }
      const delivered = new Map<string, string>();
      const gone: string[] = [];
      const refusals: string[] = [];
      let transient: unknown;

      for (const { token } of tokens) {
        const part = pushPart(token);
        const earlier = message.parts.done[part];
        if (earlier !== undefined) {
          delivered.set(token, earlier);
          continue;
        }
        let name: string;
        try {
          name = await messaging.send(fcmMessage(token, content, message));
        } catch (err) {
          const outcome = classify(err);
          if (outcome === 'token-gone') gone.push(token);
          else refusals.push(explain(err));
          if (outcome === 'device-refused' || outcome === 'token-gone') continue;
          // A refused message is refused for every device; a transient failure likely hits the
          // next one too, and a retry resumes from the recorded parts.
          if (outcome === 'transient') transient = err;
          break;
        }
        await message.parts.record(part, name);
        delivered.set(token, name);
      }

      if (gone.length > 0) await deps.removeTokens(message.customer._id, gone);
      if (transient !== undefined) {
        throw new Error(`push reached ${delivered.size} of ${tokens.length} devices, then FCM failed: ${explain(transient)}`, {
          cause: transient,
        });
      }
      // A part done earlier for a token the customer no longer has still counts as delivered.
      const names = delivered.size > 0 ? [...delivered.values()] : Object.values(message.parts.done);
      const messageId = names[0];
      if (messageId === undefined) {
        const why = [...(gone.length > 0 ? [`${gone.length} device token(s) no longer registered, removed`] : []), ...refusals];
        throw ApplicationFailure.nonRetryable(
          `FCM delivered the push to none of the customer's devices: ${why.join('; ') || 'no device tokens'}`,
          FailureType.ChannelPermanentRejection,
        );
      }
      const detail = { devices: names.length, removedTokens: gone.length, ...(refusals.length > 0 ? { refusedDevices: refusals.length } : {}) };
      return { messageId, detail };
    },
  };
}

/** FCM's limit on a message's notification and data payload. */
const MAX_PAYLOAD_BYTES = 4_096;

function payloadBytes(message: Message): number {
  const { notification, data } = message as { notification?: unknown; data?: unknown };
  return Buffer.byteLength(JSON.stringify({ notification, data }));
}

/** A token listed twice is still one device. */
function uniqueTokens(tokens: PushToken[] | undefined): PushToken[] {
  const seen = new Set<string>();
  return (tokens ?? []).filter((t) => typeof t.token === 'string' && t.token !== '' && !seen.has(t.token) && seen.add(t.token));
}
