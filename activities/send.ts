import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { Channel } from '../core/channels';
import { FailureType } from '../core/failures';
import { renderContent, renderContext, TemplateSyntaxError } from '../core/render';
import type { Models } from '../db/models';
import type { ChannelAdapter } from './channels/channel';
import type { DeliveryLedger, FinalOutcome } from './ledger';

export interface SendInput {
  /** Idempotency key of this send (see core/ids.ts sendKey). */
  key: string;
  journeyId: string;
  customerId: string;
  stepId: string;
  channel: Channel;
  templateId: string;
}

export type SendResult = Exclude<FinalOutcome, { status: 'failed' }>;

export interface SendDeps {
  models: Pick<Models, 'customers' | 'templates'>;
  ledger: DeliveryLedger;
  channels: Record<Channel, ChannelAdapter>;
}

/**
 * Renders the step's template with the customer's current data and delivers it, once per
 * idempotency key. Skips (recorded, not retried) when the customer is gone or has no address
 * on the channel; fails without retry when the template is missing or does not render.
 */
export function createSend(deps: SendDeps) {
  return async function send(input: SendInput): Promise<SendResult> {
    const recorded = await deps.ledger.claim({
      key: input.key,
      channel: input.channel,
      customerId: input.customerId,
      journeyId: input.journeyId,
      stepId: input.stepId,
    });
    let outcome = recorded;
    if (!outcome) {
      outcome = await deliverOnce(deps, input);
      await deps.ledger.record(input.key, outcome);
    }
    if (outcome.status === 'failed') {
      // An expected outcome, recorded in the ledger: BENIGN keeps it out of error logs and metrics.
      throw ApplicationFailure.create({
        message: outcome.reason,
        type: outcome.type,
        nonRetryable: true,
        category: ApplicationFailureCategory.BENIGN,
      });
    }
    return outcome;
  };
}

async function deliverOnce(deps: SendDeps, input: SendInput): Promise<FinalOutcome> {
  const [customer, template] = await Promise.all([
    deps.models.customers.findById(input.customerId).lean(),
    deps.models.templates.findById(input.templateId).lean(),
  ]);
  if (!customer) return { status: 'skipped', reason: 'customer-not-found' };
  if (!template || template.channel !== input.channel) {
    return {
      status: 'failed',
      reason: `template "${input.templateId}" for channel ${input.channel} does not exist`,
      type: FailureType.TemplateNotFound,
    };
  }
  const adapter = deps.channels[input.channel];
  const address = adapter.addressOf(customer);
  if (!address) return { status: 'skipped', reason: 'unreachable' };

  let content;
  try {
    content = renderContent(template.content, renderContext(customer, input.journeyId));
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err;
    return { status: 'failed', reason: err.message, type: FailureType.TemplateRenderError };
  }
  try {
    const { messageId } = await adapter.deliver({ key: input.key, journeyId: input.journeyId, customer, address, content });
    return { status: 'sent', messageId };
  } catch (err) {
    if (err instanceof ApplicationFailure && err.nonRetryable) {
      return { status: 'failed', reason: err.message, type: err.type ?? FailureType.ChannelPermanentRejection };
    }
    throw err;
  }
}
