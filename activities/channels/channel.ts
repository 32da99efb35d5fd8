// One small interface per delivery channel; the send activity knows nothing else of them.
import type { Channel } from '../../core/channels';
import type { TemplateContent } from '../../core/template-content';
import type { CustomerDoc } from '../../db/models';

export interface OutboundMessage {
  /** The send's idempotency key: adapters derive provider-side dedup IDs from it. */
  key: string;
  journeyId: string;
  customer: CustomerDoc;
  /** Where the message goes on this channel (an email address, a phone number, a customer ID...). */
  address: string;
  content: TemplateContent;
  /** A receipt or password reset rather than marketing (email: no List-Unsubscribe). */
  transactional?: boolean;
  /** The customer's signed one-click unsubscribe link (email), as the template also had it. */
  unsubscribeUrl?: string;
  /** Push: the signed token the app hands back when the notification is opened (POST /v1/push/opened). */
  openToken?: string;
  /**
   * Set when an earlier attempt of this send handed it to the provider and died (or failed)
   * before its outcome was recorded: when it began, and the contentDigest of what it sent. The
   * adapter settles what it can (asks the provider, or re-sends in a form the recipient's
   * device collapses); README "Delivery guarantee" says what each channel does.
   */
  earlierAttempt?: { at: Date; digest: string };
  /** A test send from the API (README "Preview and test send"): the adapter marks it so in the provider's terms. */
  test?: boolean;
  /** Progress within one send that has several parts (push: one per device), kept in the ledger. */
  parts: DeliveryParts;
}

export interface DeliveryParts {
  /** Parts an earlier attempt delivered, with the provider's message ID for each. */
  readonly done: Readonly<Record<string, string>>;
  /** Records a delivered part at once, so a retry does not deliver it again. Part names are [A-Za-z0-9_-]. */
  record(part: string, providerMessageId: string): Promise<void>;
}

export interface Delivered {
  messageId: string;
  /** Provider facts worth keeping with the send (SMS segments, devices reached...). */
  detail?: Record<string, string | number>;
}

export interface ChannelAdapter {
  readonly channel: Channel;
  /** Where this customer is reached on this channel, or undefined when they cannot be. */
  addressOf(customer: CustomerDoc): string | undefined;
  /**
   * Hands the message to the provider. Throws a non-retryable ApplicationFailure (type
   * ChannelPermanentRejection, or a more precise one from core/failures.ts) when the provider
   * refuses it for good; any other error is retried with backoff.
   */
  deliver(message: OutboundMessage): Promise<Delivered>;
}
