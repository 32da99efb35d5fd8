import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { Transporter } from 'nodemailer';
import { FailureType } from '../../core/failures';
import { htmlToText } from '../../core/html-text';
import type { EmailContent } from '../../core/template-content';
import type { ChannelAdapter, OutboundMessage } from './channel';

export interface EmailSettings {
  from: string;
  /** The domain in generated Message-IDs. */
  messageIdDomain: string;
}

/**
 * The Message-ID is derived from the idempotency key, so when a worker dies between the SMTP
 * server's acceptance and the ledger write, the re-sent copy carries the same Message-ID and
 * receiving systems can recognise it as the same message.
 */
export function emailMessageId(key: string, domain: string): string {
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 40)}@${domain}>`;
}

export function createEmailChannel(transport: Transporter, settings: EmailSettings): ChannelAdapter {
  return {
    channel: 'email',
    addressOf: (customer) => customer.email,
    async deliver(message: OutboundMessage) {
      const content = message.content as EmailContent;
      const messageId = emailMessageId(message.key, settings.messageIdDomain);
      try {
        await transport.sendMail({
          from: settings.from,
          to: message.address,
          subject: content.subject,
          html: content.html,
          // An HTML-only template still gets a text part, as mail clients and filters expect.
          text: content.text ?? (content.html ? htmlToText(content.html) : undefined),
          messageId,
          headers: { 'X-Cairn-Journey': message.journeyId, ...(message.test ? { 'X-Cairn-Test': '1' } : {}), ...(message.transactional || !message.unsubscribeUrl ? {} : unsubscribeHeaders(message.unsubscribeUrl)) },
        });
      } catch (err) {
        throw classifySmtpError(err);
      }
      return { messageId };
    },
  };
}

/**
 * RFC 8058 one-click unsubscribe: mailbox providers POST to the link themselves, and Gmail and
 * Yahoo require it of bulk senders. Transactional mail is no subscription, so it offers none.
 */
function unsubscribeHeaders(url: string): Record<string, string> {
  return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

/** SMTP 5xx replies are final (RFC 5321); 4xx replies and connection errors are worth a retry. */
function classifySmtpError(err: unknown): unknown {
  const code = (err as { responseCode?: number }).responseCode;
  if (typeof code === 'number' && code >= 500 && code < 600) {
    return ApplicationFailure.nonRetryable(
      `SMTP server rejected the message: ${(err as Error).message}`,
      FailureType.ChannelPermanentRejection,
    );
  }
  return err;
}
