import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { Channel } from '../core/channels';
import { FailureType } from '../core/failures';
import type { QuietHours } from '../core/journey-steps';
import { contentDigest, type TemplateContent } from '../core/template-content';
import { renderContent, renderContext, TemplateSyntaxError } from '../core/render';
import type { CustomerDoc, Models, TemplateDoc } from '../db/models';
import { raw } from '../db/raw';
import type { ChannelAdapter } from './channels/channel';
import type { CapReserver, Reservation } from './caps';
import type { QuietHoursCheck } from './quiet-hours';
import type { Claim, DeliveryLedger, FinalOutcome, SendIdentity } from './ledger';

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
  models: Pick<Models, 'customers'>;
  /** A template by ID, from a short cache: an edit reaches sends within its refresh time. */
  template: (id: string) => Promise<TemplateDoc | null>;
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
 * Three store round trips on the common path: the customer; the claim with the hand-off mark,
 * beside the cap reservation; the outcome. Templates, pause, quiet hours and cap rules come
 * from short caches.
 */
export function createSend(deps: SendDeps) {
  return (input: SendInput): Promise<SendResult> => whileBeating(() => sendOnce(deps, input));
}

type Deferral = Extract<SendResult, { status: 'deferred' }>;
type Attempt = FinalOutcome | Deferral | Extract<SendResult, { status: 'rerouted' }>;

async function sendOnce(deps: SendDeps, input: SendInput): Promise<SendResult> {
  const outcome = await attempt(deps, input);
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

const identityOf = (input: SendInput): SendIdentity => ({
  key: input.key,
  channel: input.channel,
  customerId: input.customerId,
  journeyId: input.journeyId,
  stepId: input.stepId,
});

async function attempt(deps: SendDeps, input: SendInput): Promise<Attempt> {
  const customer = await raw(deps.models.customers).findOne({ _id: input.customerId });
  const routes = [{ channel: input.channel, templateId: input.templateId }, ...(input.fallback ? [input.fallback] : [])];
  const prepared = customer ? await prepare(deps, input, customer, routes) : ({ status: 'skipped', reason: 'customer-not-found' } as const);
  if (!('route' in prepared)) {
    if (prepared.status === 'rerouted') return prepared;
    // Nothing to hand over now; an earlier attempt may have finished or handed over, though.
    const claim = await deps.ledger.claim(identityOf(input));
    if (claim.outcome) return claim.outcome;
    if (claim.handOff && customer) return settleEarlier(deps, input, customer, claim);
    return record(deps, input.key, prepared);
  }
  // A pause or quiet hours hold a message before it is first handed over.
  const held = await heldBack(deps, input, prepared.customer);
  if (held) return held;

  const [claim, reservation] = await Promise.all([
    deps.ledger.claimForHandOff(identityOf(input), handOffOf(prepared)),
    reserve(deps, input, prepared.route.channel),
  ]);
  if (claim.outcome) return claim.outcome;
  if (!claim.handedOff) return settleEarlier(deps, input, prepared.customer, claim);
  if (!reservation.admitted) {
    // The adapter never ran: the mark comes off, and the send is capped.
    await deps.ledger.withdrawHandOff(input.key);
    return capped(deps, input, reservation);
  }
  return record(deps, input.key, await deliver(deps, input, prepared, claim));
}

/**
 * An earlier attempt handed the message over and did not record how it went: settle it on the
 * route it took, with no second look at pauses or quiet hours (the message may be out
 * already). The caps are asked again, keyed by the send: the place it took counts.
 */
async function settleEarlier(deps: SendDeps, input: SendInput, customer: CustomerDoc, claim: Claim): Promise<Attempt> {
  const earlier = claim.handOff!;
  const prepared = await prepare(deps, input, customer, [{ channel: earlier.channel, templateId: earlier.templateId }]);
  if (!('route' in prepared)) return prepared.status === 'rerouted' ? prepared : record(deps, input.key, prepared);
  const reservation = await reserve(deps, input, earlier.channel, earlier.at);
  if (!reservation.admitted) {
    await deps.ledger.withdrawHandOff(input.key);
    return capped(deps, input, reservation);
  }
  return record(deps, input.key, await deliver(deps, input, prepared, claim));
}

async function record(deps: SendDeps, key: string, outcome: FinalOutcome): Promise<FinalOutcome> {
  await deps.ledger.record(key, outcome);
  return outcome;
}

function reserve(deps: SendDeps, input: SendInput, channel: Channel, handedOffAt?: Date): Promise<Reservation> {
  if (input.transactional) return Promise.resolve({ admitted: true });
  return deps.reserveCap({ customerId: input.customerId, channel, key: input.key, ...(handedOffAt ? { handedOffAt } : {}) });
}

async function capped(deps: SendDeps, input: SendInput, reservation: Extract<Reservation, { admitted: false }>): Promise<Attempt> {
  const reason = `capped:${reservation.rule}`;
  if (input.whenCapped === 'defer') return { status: 'deferred', retryAt: reservation.retryAt.toISOString(), reason };
  return record(deps, input.key, { status: 'skipped', reason });
}

/** Why a customer cannot be reached on a channel, or undefined when they can. */
function unreachable(customer: CustomerDoc, channel: Channel, adapter: ChannelAdapter | undefined): string | undefined {
  if (customer.consent?.[channel] === false) return 'unsubscribed';
  if (!adapter) return NOT_CONFIGURED;
  return adapter.addressOf(customer) ? undefined : 'unreachable';
}

const NOT_CONFIGURED = 'channel-not-configured';

interface Prepared {
  customer: CustomerDoc;
  route: { channel: Channel; templateId: string };
  adapter: ChannelAdapter;
  content: TemplateContent;
  unsubscribeUrl?: string;
}

/**
 * The first route the customer can be reached on, and the message rendered for it; or why
 * there is none (skipped, failed), or the channel whose queue must deliver it (rerouted).
 */
async function prepare(
  deps: SendDeps,
  input: SendInput,
  customer: CustomerDoc,
  routes: { channel: Channel; templateId: string }[],
): Promise<Prepared | FinalOutcome | Extract<SendResult, { status: 'rerouted' }>> {
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

  const template = await deps.template(route.templateId);
  if (!template || template.channel !== route.channel) {
    return {
      status: 'failed',
      reason: `template "${route.templateId}" for channel ${route.channel} does not exist`,
      type: FailureType.TemplateNotFound,
    };
  }
  const unsubscribeUrl = route.channel === 'email' ? deps.unsubscribeUrl?.(customer._id, input.journeyId) : undefined;
  try {
    const content = renderContent(template.content, { ...renderContext(customer, input.journeyId), ...(unsubscribeUrl ? { unsubscribeUrl } : {}) });
    return { customer, route, adapter: deps.channels[route.channel]!, content, ...(unsubscribeUrl ? { unsubscribeUrl } : {}) };
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err;
    return { status: 'failed', reason: err.message, type: FailureType.TemplateRenderError };
  }
}

const handOffOf = (p: Prepared) => ({ channel: p.route.channel, templateId: p.route.templateId, digest: contentDigest(p.content) });

/** A pause, and quiet hours (the journey's, else the account's; not for transactional sends). */
async function heldBack(deps: SendDeps, input: SendInput, customer: CustomerDoc): Promise<Deferral | undefined> {
  // The pause signal reaches the runs Temporal lists; a run that missed it is held here.
  if (await deps.isPaused(input.journeyId)) {
    return { status: 'deferred', retryAt: new Date(Date.now() + PAUSED_RECHECK_MS).toISOString(), reason: 'paused' };
  }
  if (input.transactional) return undefined;
  const quietUntil = await deps.quietHoursEnd(input.quietHours, customer.timeZone ?? input.timeZone);
  return quietUntil ? { status: 'deferred', retryAt: quietUntil.toISOString(), reason: 'quiet-hours' } : undefined;
}

/** Hands the message to the channel's adapter; `claim` says what earlier attempts did. */
async function deliver(deps: SendDeps, input: SendInput, prepared: Prepared, claim: Claim): Promise<FinalOutcome> {
  const { customer, route, adapter, content, unsubscribeUrl } = prepared;
  const earlier = claim.handOff;
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
