import type { Model } from 'mongoose';
import type { WebContent } from '../../core/template-content';
import type { InboxMessageDoc } from '../../db/models';
import type { ChannelAdapter, OutboundMessage } from './channel';

/**
 * The on-site inbox. The message is stored under the send's idempotency key with
 * $setOnInsert, so a retried or repeated delivery is a no-op: truly exactly once.
 */
export function createWebChannel(inbox: Model<InboxMessageDoc>): ChannelAdapter {
  return {
    channel: 'web',
    addressOf: (customer) => customer._id,
    async deliver(message: OutboundMessage) {
      const content = message.content as WebContent;
      await inbox.updateOne(
        { _id: message.key },
        {
          $setOnInsert: {
            customerId: message.address,
            journeyId: message.journeyId,
            title: content.title,
            body: content.body,
            ...(content.link ? { link: content.link } : {}),
            ...(message.test ? { test: true } : {}),
            createdAt: new Date(),
          },
        },
        { upsert: true },
      );
      return { messageId: message.key };
    },
  };
}
