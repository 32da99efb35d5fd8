import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { Channel } from '../core/channels';
import { FailureType } from '../core/failures';
import { renderContent, renderContext, TemplateSyntaxError } from '../core/render';
import type { CustomerDoc, Models } from '../db/models';
import type { ChannelAdapter } from './channels/channel';
import type { CapReserver } from './caps';
import type { DeliveryLedger, FinalOutcome } from './ledger';

export interface SendInput {
  /** Idempotency key of this send (see core/ids.ts sendKey). */
  key: string;
  journeyId: string;
  customerId: string;
  stepId: string;
  channel: Channel;
  templateId: string;
  /** Used when the customer cannot be reached on `channel` (no address, or opted out). */
  fallback?: { channel: Channel; templateId: string };
  /** Bypasses frequency caps (receipts, password resets). */
  transactional?: boolean;
  /** When capped: skip the message (recorded), or defer it until the caps allow it. */
  whenCapped?: 'skip' | 'defer';
}

/** Deferred: capped for now, not recorded; call again with the same key at `retryAt`. */
export type SendResult = Exclude<FinalOutcome, { status: 'failed' }> | { status: 'deferred'; retryAt: string; reason: string };

export interface SendDeps {
  models: Pick<Models, 'customers' | 'templates'>;
  ledger: DeliveryLedger;
  channels: Record<Channel, ChannelAdapter>;
  reserveCap: CapReserver;
  /** Whether the journey is paused now (read from MongoDB). */
  isPaused: (journeyId: string) => Promise<boolean>;
}

/** How soon a send held by a pause it learnt of from the database looks again. */
const PAUSED_RECHECK_MS = 30_000;

/**
 * Renders the step's template with the customer's current data and delivers it, once per
 * idempotency key. Skips (recorded, not retried) when the customer is gone, or cannot be
 * reached on the channel nor on the fallback (no address, or opted out); fails without retry
 * when the template is missing or does not render.
 */
export function createSend(deps: SendDeps) {
  return async function send(input: SendInput): Promise<SendResult> {
    const claim = await deps.ledger.claim({
      key: input.key,
      channel: input.channel,
      customerId: input.customerId,
      journeyId: input.journeyId,
      stepId: input.stepId,
    });
    let outcome: FinalOutcome | undefined = claim.outcome;
    if (!outcome) {
      const attempt = await deliverOnce(deps, input, claim.capReserved);
      if (attempt.status === 'deferred') return attempt;
      outcome = attempt;
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

/** Why a customer cannot be reached on a channel, or undefined when they can. */
function unreachable(customer: CustomerDoc, channel: Channel, adapter: ChannelAdapter): string | undefined {
  if (customer.consent?.[channel] === false) return 'unsubscribed';
  return adapter.addressOf(customer) ? undefined : 'unreachable';
}

async function deliverOnce(deps: SendDeps, input: SendInput, capReserved: boolean): Promise<FinalOutcome | Extract<SendResult, { status: 'deferred' }>> {
  const customer = await deps.models.customers.findById(input.customerId).lean();
  if (!customer) return { status: 'skipped', reason: 'customer-not-found' };

  // The step's channel, or its fallback when the customer cannot be reached there.
  const routes = [{ channel: input.channel, templateId: input.templateId }, ...(input.fallback ? [input.fallback] : [])];
  let route: (typeof routes)[number] | undefined;
  let reason: string | undefined;
  for (const candidate of routes) {
    const why = unreachable(customer, candidate.channel, deps.channels[candidate.channel]);
    if (!why) {
      route = candidate;
      break;
    }
    reason ??= why;
  }
  if (!route) return { status: 'skipped', reason: reason! };

  const template = await deps.models.templates.findById(route.templateId).lean();
  if (!template || template.channel !== route.channel) {
    return {
      status: 'failed',
      reason: `template "${route.templateId}" for channel ${route.channel} does not exist`,
      type: FailureType.TemplateNotFound,
    };
  }
  const adapter = deps.channels[route.channel];
  let content;
  try {
    content = renderContent(template.content, renderContext(customer, input.journeyId));
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err;
    return { status: 'failed', reason: err.message, type: FailureType.TemplateRenderError };
  }
  // The pause signal reaches the runs Temporal lists; a run that missed it is held here.
  if (await deps.isPaused(input.journeyId)) {
    return { status: 'deferred', retryAt: new Date(Date.now() + PAUSED_RECHECK_MS).toISOString(), reason: 'paused' };
  }
  if (!input.transactional && !capReserved) {
    const reservation = await deps.reserveCap(customer._id, route.channel);
    if (!reservation.admitted) {
      const reason = `capped:${reservation.rule}`;
      if (input.whenCapped === 'defer') return { status: 'deferred', retryAt: reservation.retryAt.toISOString(), reason };
      return { status: 'skipped', reason };
    }
    await deps.ledger.markCapReserved(input.key);
  }
  try {
    const address = adapter.addressOf(customer)!;
    const { messageId } = await adapter.deliver({ key: input.key, journeyId: input.journeyId, customer, address, content });
    return { status: 'sent', messageId, channel: route.channel };
  } catch (err) {
    if (err instanceof ApplicationFailure && err.nonRetryable) {
      return { status: 'failed', reason: err.message, type: err.type ?? FailureType.ChannelPermanentRejection };
    }
    throw err;
  }
}
