import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { Channel } from '../core/channels';
import { FailureType } from '../core/failures';
import type { QuietHours } from '../core/journey-steps';
import { contentDigest } from '../core/template-content';
import { renderContent, renderContext, TemplateSyntaxError } from '../core/render';
import type { CustomerDoc, Models, TemplateDoc } from '../db/models';
import type { ChannelAdapter } from './channels/channel';
import type { CapReserver } from './caps';
import type { QuietHoursCheck } from './quiet-hours';
import type { Claim, DeliveryLedger, FinalOutcome, HandOff } from './ledger';

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
  /** The journey's quiet hours; without them the account's apply. */
  quietHours?: QuietHours;
  /** The journey's time zone, for customers without one of their own. */
  timeZone?: string;
  /**
   * The channel whose task queue runs this attempt (see core/journey-contract.ts
   * channelTaskQueue). A send that must go out on another channel is handed back as
   * `rerouted`, so each provider's rate limit holds. Absent: deliver on any channel here.
   */
  via?: Channel;
}

/**
 * Deferred: capped or paused for now, not recorded; call again with the same key at `retryAt`.
 * Rerouted: to be delivered on another channel's task queue; call again there.
 */
export type SendResult =
  | Exclude<FinalOutcome, { status: 'failed' }>
  | { status: 'deferred'; retryAt: string; reason: string }
  | { status: 'rerouted'; channel: Channel };

export interface SendDeps {
  models: Pick<Models, 'customers' | 'templates'>;
  ledger: DeliveryLedger;
  /** The channels this worker can deliver on; a missing one has no provider configured. */
  channels: Partial<Record<Channel, ChannelAdapter>>;
  /** The customer's signed unsubscribe link, for email templates (`{{unsubscribeUrl}}`) and headers. */
  unsubscribeUrl?: (customerId: string, journeyId: string) => string;
  reserveCap: CapReserver;
  /** When quiet hours (the journey's, else the account's) end for a customer in that zone, if they are in them now. */
  quietHoursEnd: QuietHoursCheck;
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
 *
 * Three store round trips on the common path: the claim, the customer and the template at
 * once; the cap reservation beside the hand-off mark; the outcome. Pause, quiet hours and cap
 * rules come from short caches.
 */
export function createSend(deps: SendDeps) {
  return (input: SendInput): Promise<SendResult> => whileBeating(() => sendOnce(deps, input));
}

async function sendOnce(deps: SendDeps, input: SendInput): Promise<SendResult> {
  const [claim, customer, template] = await Promise.all([
    deps.ledger.claim({
      key: input.key,
      channel: input.channel,
      customerId: input.customerId,
      journeyId: input.journeyId,
      stepId: input.stepId,
    }),
    deps.models.customers.findById(input.customerId).lean(),
    deps.models.templates.findById(input.templateId).lean(),
  ]);
  let outcome: FinalOutcome | undefined = claim.outcome;
  if (!outcome) {
    const attempt = await deliverOnce(deps, input, claim, customer, template);
    if (attempt.status === 'deferred' || attempt.status === 'rerouted') return attempt;
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
}

/** Why a customer cannot be reached on a channel, or undefined when they can. */
function unreachable(customer: CustomerDoc, channel: Channel, adapter: ChannelAdapter | undefined): string | undefined {
  if (customer.consent?.[channel] === false) return 'unsubscribed';
  if (!adapter) return NOT_CONFIGURED;
  return adapter.addressOf(customer) ? undefined : 'unreachable';
}

const NOT_CONFIGURED = 'channel-not-configured';

async function deliverOnce(
  deps: SendDeps,
  input: SendInput,
  claim: Claim,
  customer: CustomerDoc | null,
  stepTemplate: TemplateDoc | null,
): Promise<FinalOutcome | Extract<SendResult, { status: 'deferred' | 'rerouted' }>> {
  if (!customer) return { status: 'skipped', reason: 'customer-not-found' };

  // An earlier attempt handed the message over: settle it on the route it took, with no
  // second look at pauses or quiet hours (the message may be out already). Otherwise the
  // step's channel, or its fallback when the customer cannot be reached there.
  const earlier = claim.handOff;
  const routes = earlier
    ? [{ channel: earlier.channel, templateId: earlier.templateId }]
    : [{ channel: input.channel, templateId: input.templateId }, ...(input.fallback ? [input.fallback] : [])];
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
  if (!route) {
    if (reason === NOT_CONFIGURED) {
      return { status: 'failed', reason: `no provider is configured for channel ${routes[0].channel} on this worker`, type: FailureType.ChannelNotConfigured };
    }
    return { status: 'skipped', reason: reason! };
  }
  if (input.via && route.channel !== input.via) return { status: 'rerouted', channel: route.channel };

  const template = route.templateId === input.templateId ? stepTemplate : await deps.models.templates.findById(route.templateId).lean();
  if (!template || template.channel !== route.channel) {
    return {
      status: 'failed',
      reason: `template "${route.templateId}" for channel ${route.channel} does not exist`,
      type: FailureType.TemplateNotFound,
    };
  }
  const adapter = deps.channels[route.channel]!;
  const unsubscribeUrl = route.channel === 'email' ? deps.unsubscribeUrl?.(customer._id, input.journeyId) : undefined;
  let content;
  try {
    content = renderContent(template.content, { ...renderContext(customer, input.journeyId), ...(unsubscribeUrl ? { unsubscribeUrl } : {}) });
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err;
    return { status: 'failed', reason: err.message, type: FailureType.TemplateRenderError };
  }

  const held = await holdBack(deps, input, customer, { channel: route.channel, templateId: route.templateId, digest: contentDigest(content) }, earlier);
  if (held) return held;
  // Temporal cancels an attempt it has given up on (its heartbeats stopped reaching the server,
  // and a retry may be running): such an attempt must not hand the message over as well.
  activityContext()?.cancellationSignal.throwIfAborted();
  const parts = { ...claim.parts };
  try {
    const { messageId, detail } = await adapter.deliver({
      key: input.key,
      journeyId: input.journeyId,
      customer,
      address: adapter.addressOf(customer)!,
      content,
      ...(input.transactional ? { transactional: true } : {}),
      ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
      ...(earlier ? { earlierAttempt: { at: earlier.at, digest: earlier.digest } } : {}),
      parts: {
        done: parts,
        async record(part, providerMessageId) {
          await deps.ledger.recordPart(input.key, part, providerMessageId);
          parts[part] = providerMessageId;
        },
      },
    });
    return { status: 'sent', messageId, channel: route.channel, ...(detail ? { detail } : {}) };
  } catch (err) {
    if (err instanceof ApplicationFailure && err.nonRetryable) {
      return { status: 'failed', reason: err.message, type: err.type ?? FailureType.ChannelPermanentRejection };
    }
    throw err;
  }
}

/**
 * What holds a send back before it goes out: a pause and quiet hours (the journey's, else the
 * account's; not for transactional sends), checked only before the first hand-off; then the
 * frequency caps (not for transactional sends). The cap reservation and the hand-off mark are
 * written at once: the adapter runs only once both are done, so a send whose reservation was
 * refused never went out, and its mark is withdrawn (or, after a crash, found by the retry,
 * which asks the caps again: the reservation is keyed by the send, so a place taken counts).
 */
async function holdBack(
  deps: SendDeps,
  input: SendInput,
  customer: CustomerDoc,
  handOff: Omit<HandOff, 'at'>,
  earlier: HandOff | undefined,
): Promise<FinalOutcome | Extract<SendResult, { status: 'deferred' }> | undefined> {
  if (!earlier) {
    // The pause signal reaches the runs Temporal lists; a run that missed it is held here.
    if (await deps.isPaused(input.journeyId)) {
      return { status: 'deferred', retryAt: new Date(Date.now() + PAUSED_RECHECK_MS).toISOString(), reason: 'paused' };
    }
    if (!input.transactional) {
      const quietUntil = await deps.quietHoursEnd(input.quietHours, customer.timeZone ?? input.timeZone);
      if (quietUntil) return { status: 'deferred', retryAt: quietUntil.toISOString(), reason: 'quiet-hours' };
    }
  }
  const [reservation] = await Promise.all([
    input.transactional
      ? ({ admitted: true } as const)
      : deps.reserveCap({ customerId: customer._id, channel: handOff.channel, key: input.key, ...(earlier ? { handedOffAt: earlier.at } : {}) }),
    earlier ? undefined : deps.ledger.beginHandOff(input.key, handOff),
  ]);
  if (reservation.admitted) return undefined;
  await deps.ledger.withdrawHandOff(input.key);
  const reason = `capped:${reservation.rule}`;
  if (input.whenCapped === 'defer') return { status: 'deferred', retryAt: reservation.retryAt.toISOString(), reason };
  return { status: 'skipped', reason };
}

/**
 * Heartbeats from the start of an attempt to its end, so a worker that dies mid-send is noticed
 * within the heartbeat timeout and the retry starts soon, while a live but slow attempt (a busy
 * database, a provider slow to answer) is never overtaken by a second attempt of the same send.
 */
async function whileBeating<T>(work: () => Promise<T>): Promise<T> {
  const context = activityContext();
  if (!context) return work();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

const HEARTBEAT_EVERY_MS = 2_000;

/** The running activity's context; undefined when called outside an activity (benchmarks). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
