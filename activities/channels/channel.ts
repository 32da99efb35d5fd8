// One small interface per delivery channel; the send activity knows nothing else of them.
import type { Channel } from '../../core/channels';
import type { TemplateContent } from '../../core/template-content';
import type { CustomerDoc } from '../../db/models';

export interface OutboundMessage {
  /** The send's idempotency key: adapters derive provider-side dedup IDs from it. */
  key: string;
  journeyId: string;
  customer: CustomerDoc;
  /** Where the message goes on this channel (an email address, a customer ID...). */
  address: string;
  content: TemplateContent;
}

export interface ChannelAdapter {
  readonly channel: Channel;
  /** Where this customer is reached on this channel, or undefined when they cannot be. */
  addressOf(customer: CustomerDoc): string | undefined;
  /**
   * Hands the message to the provider and returns its message ID. Throws a non-retryable
   * ChannelPermanentRejection failure when the provider refuses it for good; any other error
   * is retried.
   */
  deliver(message: OutboundMessage): Promise<{ messageId: string }>;
}
