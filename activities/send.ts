import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { type ChannelChoice, chooseChannel } from '../core/best-channel';
import type { Channel } from '../core/channels';
import { CUSTOMER_ERASED, JOURNEY_STOPPED, type TemplateEvents } from '../core/journey-contract';
import { FailureType } from '../core/failures';
import type { QuietHours } from '../core/journey-steps';
import { contentDigest, renderedProblem, type EmailContent, type TemplateContent } from '../core/template-content';
import { renderContent, renderContext, TemplateSyntaxError } from '../core/render';
import type { EngagementLinks } from '../core/engagement-links';
import { htmlToText } from '../core/html-text';
import type { JourneyState } from '../db/journey-state';
import type { CustomerReader } from '../db/customer-reader';
import type { CustomerDoc, TemplateDoc } from '../db/models';
import { capRefusals, countSend, handOffRecoveries, reasonLabel, sendDeferrals, sendsInFlight } from '../lib/metrics';
import type { ChannelAdapter } from './channels/channel';
import type { CapReserver, Reservation } from './caps';
import type { QuietHoursCheck } from './quiet-hours';
import { type Claim, type DeliveryLedger, type FinalOutcome, HAND_OFF_LEASE_MS, type SendIdentity } from './ledger';

/** `event` and `events` (TemplateEvents): the run's events, as the template reads them. */
export interface SendInput extends TemplateEvents {
  /** Idempotency key of this send (see core/ids.ts sendKey). */
  key: string;
  journeyId: string;
  customerId: string;
  stepId: string;
  channel: Channel;
  templateId: string;
  /** Used when the customer cannot be reached on `channel` (no address, or opted out). */
  fallback?: Route;
  /**
   * A best-channel send: its listed channels with their templates, in the step's order
   * (`channel` and `templateId` are the first). The customer's engagement picks among those
   * they can be reached on (core/best-channel.ts); `fallback` is not used.
   */
  best?: Route[];
  /**
   * The choice of the attempt that rerouted this best-channel send here: kept while the customer
   * can be reached on its channel, so a change of engagement meanwhile does not send it back.
   */
  choice?: ChannelChoice;
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
  /** When the customer entered the run, while it has sent nothing: the send that goes out measures the time to first send. */
  enteredAt?: string;
}

/**
 * Deferred: capped or paused for now, not recorded; call again with the same key at `retryAt`.
 * Rerouted: to be delivered on another channel's task queue; call again there.
 */
export type SendResult =
  | Exclude<FinalOutcome, { status: 'failed' }>
  | { status: 'deferred'; retryAt: string; reason: string }
  | { status: 'rerouted'; channel: Channel; choice?: ChannelChoice };

/** A channel a send may go out on, with its template. */
export interface Route {
  channel: Channel;
  templateId: string;
}

export interface SendDeps {
  customer: CustomerReader;
  /** A template by ID, from a short cache: an edit reaches sends within its refresh time. */
  template: (id: string) => Promise<TemplateDoc | null>;
  ledger: DeliveryLedger;
  /** The channels this worker can deliver on; a missing one has no provider configured. */
  channels: Partial<Record<Channel, ChannelAdapter>>;
  /** The customer's signed unsubscribe link, for email templates (`{{unsubscribeUrl}}`) and headers. */
  unsubscribeUrl?: (customerId: string, journeyId: string) => string;
  /**
   * Engagement tracking (core/engagement-links.ts): an email's open pixel and click redirects, a
   * push's open token. Absent (simulations): messages go out with their links as written.
   */
  tracking?: EngagementLinks;
  reserveCap: CapReserver;
  /** When quiet hours (the journey's, else the account's) end for a customer in that zone, if they are in them now. */
  quietHoursEnd: QuietHoursCheck;
  /** Whether the journey is paused or stopped now (db/journey-state.ts, through its short cache). */
  journeyState: (journeyId: string) => Promise<JourneyState>;
  /** The clock quiet hours, caps and pauses are judged by; a simulation's runs on simulated time. */
  now?: () => Date;
  /** Erased customers (db/suppressions.ts): a send to one hands nothing over and keeps nothing of them. */
  erasures: {
    /** Whether the customer was erased: read from the store, never a cache. */
    erased(customerId: string): Promise<boolean>;
    /** Takes the customer out of this send's ledger row and of the caps (an erasure ran beside this attempt). */
    forget(key: string, customerId: string): Promise<void>;
  };
}

const nowOf = (deps: SendDeps): Date => deps.now?.() ?? new Date();

/** How soon a send held by a pause it learnt of from the database looks again. */
const PAUSED_RECHECK_MS = 30_000;

/**
 * Renders the step's template with the customer's current data and delivers it, once per
 * idempotency key. Skips (recorded, not retried) when the customer is gone, the journey is
 * stopped or archived (`journey-stopped`), or the customer cannot be reached on the channel nor
 * on the fallback (no address, or opted out); fails without retry when the template is missing
 * or does not render.
 *
 * One attempt at a time owns the hand-off to the provider: the ledger's lease (activities/
 * ledger.ts), renewed while the attempt works. An attempt that finds the lease held by a live
 * one does nothing and is retried after the lease would run out.
 *
 * Three store round trips on the common path: the customer; the claim with the hand-off mark,
 * beside the cap reservation; the outcome. Templates, pause, quiet hours and cap rules come
 * from short caches.
 */
export function createSend(deps: SendDeps) {
  return (input: SendInput): Promise<SendResult> => {
    const lease: Lease = { owner: randomUUID(), held: false };
    return whileBeating(
      () => sendOnce(deps, input, lease),
      async () => {
        if (lease.held) lease.held = await deps.ledger.renewLease(input.key, lease.owner);
      },
    );
  };
}

/** This attempt's name in the ledger's lease, and whether it owns the hand-off now. */
interface Lease {
  owner: string;
  held: boolean;
}

type Deferral = Extract<SendResult, { status: 'deferred' }>;
type Attempt = FinalOutcome | Deferral | Extract<SendResult, { status: 'rerouted' }>;

async function sendOnce(deps: SendDeps, input: SendInput, lease: Lease): Promise<SendResult> {
  const outcome = await attempt(deps, input, lease);
  if (outcome.status === 'deferred') sendDeferrals.inc({ channel: input.channel, reason: reasonLabel(outcome.reason) });
  logOutcome(input, outcome);
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

/**
 * One line per attempt, naming the send; the activity's logger adds the run's workflowId.
 * A failure here is expected (recorded, not retried) but needs someone: a warning.
 */
function logOutcome(input: SendInput, outcome: Attempt): void {
  const log = activityContext()?.log;
  const fields = { journeyId: input.journeyId, customerId: input.customerId, sendKey: input.key, stepId: input.stepId, channel: input.channel, ...outcome };
  if (outcome.status === 'failed') log?.warn(`message failed: ${outcome.reason}`, fields);
  else if (outcome.status === 'rerouted') log?.debug(`message rerouted to ${outcome.channel}`, fields);
  else log?.info(`message ${outcome.status}`, fields);
}

const identityOf = (input: SendInput, choice?: ChannelChoice): SendIdentity => ({
  key: input.key,
  channel: choice?.channel ?? input.channel,
  ...(choice ? { choice } : {}),
  customerId: input.customerId,
  journeyId: input.journeyId,
  stepId: input.stepId,
});

/**
 * The routes to try in order, and a best-channel send's choice: its chosen channel first, then
 * the others as listed (a customer reachable nowhere is skipped with the first one's reason).
 */
function routesFor(deps: SendDeps, input: SendInput, customer: CustomerDoc | null): { routes: Route[]; choice?: ChannelChoice } {
  if (!input.best) return { routes: [{ channel: input.channel, templateId: input.templateId }, ...(input.fallback ? [input.fallback] : [])] };
  if (!customer) return { routes: input.best };
  const blocked = Object.fromEntries(input.best.map((r) => [r.channel, unreachable(customer, r.channel, deps.channels[r.channel])]));
  const choice = input.choice && !blocked[input.choice.channel] ? input.choice : chooseChannel(input.best.map((r) => r.channel), blocked, customer.engagement);
  if (!choice) return { routes: input.best };
  return { routes: [...input.best.filter((r) => r.channel === choice.channel), ...input.best.filter((r) => r.channel !== choice.channel)], choice };
}

async function attempt(deps: SendDeps, input: SendInput, lease: Lease): Promise<Attempt> {
  const [customer, journey] = await Promise.all([deps.customer(input.customerId), deps.journeyState(input.journeyId)]);
  // A customer erased already: nothing is written, so the ledger does not name them again.
  if (!customer && (await deps.erasures.erased(input.customerId))) return ERASED;
  const { routes, choice } = routesFor(deps, input, customer);
  const prepared = !customer
    ? ({ status: 'skipped', reason: 'customer-not-found' } as const)
    : journey.stopped
      ? ({ status: 'skipped', reason: JOURNEY_STOPPED } as const)
      : await prepare(deps, input, customer, routes);
  if (!('route' in prepared)) {
    if (prepared.status === 'rerouted') {
      // An earlier attempt may have handed the message over on another route (the customer
      // changed since): its route stands, and is settled below when it is this queue's.
      const earlier = await deps.ledger.find(input.key);
      if (earlier.outcome) return earlier.outcome;
      const channel = earlier.handOff?.channel ?? prepared.channel;
      if (channel !== input.via) return { status: 'rerouted', channel, ...(choice?.channel === channel ? { choice } : {}) };
    }
    // Nothing to hand over now; an earlier attempt may have finished or handed over, though.
    const claim = await deps.ledger.claim(identityOf(input));
    if (claim.outcome) return claim.outcome;
    if (claim.handOff && customer) {
      const taken = await takeOver(deps, input, lease);
      if (!taken.outcome && (await deps.erasures.erased(input.customerId))) return forgetErased(deps, input, lease);
      return settleEarlier(deps, input, customer, taken, lease);
    }
    // The earlier hand-off this queue was to settle was withdrawn meanwhile: deliver where the customer is reached now.
    if (prepared.status === 'rerouted') return prepared;
    // The claim may have come after an erasure that began once the customer was read.
    if (customer && (await deps.erasures.erased(input.customerId))) return forgetErased(deps, input, lease);
    return record(deps, input, prepared);
  }
  // A pause or quiet hours hold a message before it is first handed over.
  const held = await heldBack(deps, input, prepared.customer, journey);
  if (held) return held;

  // The erasure check follows the claim: an erasure either sees this claim's lease and waits
  // for it, or wrote its suppression before the check reads it (see ARCHITECTURE.md).
  const [claim, reservation] = await Promise.all([
    deps.ledger
      .claimForHandOff(identityOf(input, choice), handOffOf(prepared), lease.owner)
      .then(async (c) => ({ ...c, erased: await deps.erasures.erased(input.customerId) })),
    reserve(deps, input, prepared.route.channel),
  ]);
  if (claim.outcome) return claim.outcome;
  // Only an attempt that owns the row forgets it; one whose row another attempt still holds
  // waits for it (owned throws), and the erasure waits for that one too.
  if (claim.erased && (claim.handedOff || (claim.handOff && !claim.inFlightUntil))) return forgetErased(deps, input, lease);
  if (!claim.handedOff) return settleEarlier(deps, input, prepared.customer, owned(input, lease, claim), lease);
  lease.held = true;
  if (!reservation.admitted) {
    // The adapter never ran: the mark comes off, and the send is capped.
    lease.held = false;
    await deps.ledger.withdrawHandOff(input.key, lease.owner);
    return capped(deps, input, prepared.route.channel, reservation);
  }
  return record(deps, input, await deliver(deps, input, prepared, { ...claim, ...(choice ? { choice } : {}) }));
}

/** What a send to an erased customer answers: skipped (recorded only by an attempt that had claimed the send). */
const ERASED = { status: 'skipped', reason: CUSTOMER_ERASED } as const;

/**
 * The customer was erased while this attempt prepared the message: it hands nothing over and
 * takes what it wrote (its claim, its cap place) out of the store, as the erasure may be done.
 */
async function forgetErased(deps: SendDeps, input: SendInput, lease: Lease): Promise<Attempt> {
  lease.held = false;
  await record(deps, input, ERASED);
  await deps.erasures.forget(input.key, input.customerId);
  return ERASED;
}

/** Takes over an earlier attempt's hand-off whose lease ran out (see owned). */
async function takeOver(deps: SendDeps, input: SendInput, lease: Lease): Promise<Claim> {
  return owned(input, lease, await deps.ledger.takeOver(input.key, lease.owner));
}

/**
 * The claim of an earlier hand-off, now owned by this attempt. Throws (retryable) when another
 * attempt still holds it, or withdrew it since: this attempt must not deliver now.
 */
function owned(input: SendInput, lease: Lease, claim: Claim): Claim {
  if (claim.outcome) return claim;
  if (claim.inFlightUntil || !claim.handOff) {
    const until = claim.inFlightUntil?.getTime() ?? Date.now();
    sendsInFlight.inc({ channel: input.channel });
    throw ApplicationFailure.create({
      message: claim.inFlightUntil
        ? `another attempt of send ${input.key} is handing it to the provider; its lease runs until ${claim.inFlightUntil.toISOString()}`
        : `send ${input.key} changed hands while this attempt looked; trying again`,
      type: SEND_IN_FLIGHT,
      nextRetryDelay: Math.max(until - Date.now(), 0) + 1_000,
      category: ApplicationFailureCategory.BENIGN,
    });
  }
  lease.held = true;
  return claim;
}

/** The failure type of an attempt that found another one owning the send's hand-off. */
export const SEND_IN_FLIGHT = 'SendInFlight';

/**
 * An earlier attempt handed the message over and did not record how it went: settle it on the
 * route it took, with no second look at pauses or quiet hours (the message may be out
 * already). The caps are asked again, keyed by the send: the place it took counts.
 */
async function settleEarlier(deps: SendDeps, input: SendInput, customer: CustomerDoc, claim: Claim, lease: Lease): Promise<Attempt> {
  if (claim.outcome) return claim.outcome;
  const earlier = claim.handOff!;
  handOffRecoveries.inc({ channel: earlier.channel });
  const prepared = await prepare(deps, input, customer, [{ channel: earlier.channel, templateId: earlier.templateId }]);
  if (!('route' in prepared)) {
    if (prepared.status !== 'rerouted') return record(deps, input, prepared);
    // Its channel's queue settles it: the lease goes now, so that attempt need not wait for it to run out.
    lease.held = false;
    await deps.ledger.releaseLease(input.key, lease.owner);
    return prepared;
  }
  const reservation = await reserve(deps, input, earlier.channel, earlier.at);
  if (!reservation.admitted) {
    lease.held = false;
    await deps.ledger.withdrawHandOff(input.key, lease.owner);
    return capped(deps, input, earlier.channel, reservation);
  }
  return record(deps, input, await deliver(deps, input, prepared, claim));
}

/**
 * Records the outcome; one another attempt recorded first stands (see DeliveryLedger.record).
 * Counted only by the attempt whose outcome stood, so a retry counts nothing twice.
 */
async function record(deps: SendDeps, input: SendInput, outcome: FinalOutcome): Promise<FinalOutcome> {
  const recorded = await deps.ledger.record(input.key, outcome);
  if (recorded === outcome) countSend(outcome.status === 'sent' ? (outcome.channel ?? input.channel) : input.channel, outcome, input.enteredAt);
  return recorded;
}

function reserve(deps: SendDeps, input: SendInput, channel: Channel, handedOffAt?: Date): Promise<Reservation> {
  if (input.transactional) return Promise.resolve({ admitted: true });
  return deps.reserveCap({ customerId: input.customerId, channel, key: input.key, now: nowOf(deps), ...(handedOffAt ? { handedOffAt } : {}) });
}

async function capped(deps: SendDeps, input: SendInput, channel: Channel, reservation: Extract<Reservation, { admitted: false }>): Promise<Attempt> {
  const reason = `capped:${reservation.rule}`;
  capRefusals.inc({ channel, rule: reservation.rule, then: input.whenCapped === 'defer' ? 'deferred' : 'skipped' });
  if (input.whenCapped === 'defer') return { status: 'deferred', retryAt: reservation.retryAt.toISOString(), reason };
  return record(deps, input, { status: 'skipped', reason });
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
  route: Route;
  adapter: ChannelAdapter;
  content: TemplateContent;
  unsubscribeUrl?: string;
  /** A push's open token (core/engagement-links.ts). */
  openToken?: string;
}

/**
 * The first route the customer can be reached on, and the message rendered for it; or why
 * there is none (skipped, failed), or the channel whose queue must deliver it (rerouted).
 */
async function prepare(
  deps: SendDeps,
  input: SendInput,
  customer: CustomerDoc,
  routes: Route[],
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
    const content = renderContent(template.content, { ...renderContext(customer, input.journeyId, input), ...(unsubscribeUrl ? { unsubscribeUrl } : {}) });
    // A blank message or an unsafe link never goes out; this customer's data will render it the same on a retry.
    const problem = renderedProblem(route.channel, content);
    if (problem) return { status: 'failed', reason: problem, type: FailureType.TemplateRenderError };
    const openToken = route.channel === 'push' ? deps.tracking?.openToken(input.key) : undefined;
    return {
      customer,
      route,
      adapter: deps.channels[route.channel]!,
      content: tracked(deps, input, template, content),
      ...(unsubscribeUrl ? { unsubscribeUrl } : {}),
      ...(openToken ? { openToken } : {}),
    };
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err;
    return { status: 'failed', reason: err.message, type: FailureType.TemplateRenderError };
  }
}

/**
 * An email's HTML with its open pixel and click redirects, as its template allows. The text part
 * keeps the links as written (derived here from the untracked HTML when the template has none):
 * a reader of plain text sees where a link leads. A transactional send's links stay as written:
 * a password reset or sign-in link is a secret, which a click event would keep in the event log.
 */
function tracked(deps: SendDeps, input: SendInput, template: TemplateDoc, content: TemplateContent): TemplateContent {
  if (!deps.tracking || template.channel !== 'email') return content;
  const email = content as EmailContent;
  if (email.html === undefined) return content;
  const tracking = input.transactional ? { ...template.tracking, clicks: false } : template.tracking;
  return { ...email, html: deps.tracking.trackEmail(input.key, email.html, tracking), text: email.text ?? htmlToText(email.html) };
}

const handOffOf = (p: Prepared) => ({ channel: p.route.channel, templateId: p.route.templateId, digest: contentDigest(p.content) });

/** A pause, and quiet hours (the journey's, else the account's; not for transactional sends). */
async function heldBack(deps: SendDeps, input: SendInput, customer: CustomerDoc, journey: JourneyState): Promise<Deferral | undefined> {
  // The pause signal reaches the runs Temporal lists; a run that missed it is held here.
  if (journey.paused) {
    return { status: 'deferred', retryAt: new Date(nowOf(deps).getTime() + PAUSED_RECHECK_MS).toISOString(), reason: 'paused' };
  }
  if (input.transactional) return undefined;
  const quietUntil = await deps.quietHoursEnd(input.quietHours, customer.timeZone ?? input.timeZone, nowOf(deps));
  return quietUntil ? { status: 'deferred', retryAt: quietUntil.toISOString(), reason: 'quiet-hours' } : undefined;
}

/** Hands the message to the channel's adapter; `claim` says what earlier attempts did. */
async function deliver(deps: SendDeps, input: SendInput, prepared: Prepared, claim: Claim): Promise<FinalOutcome> {
  const { customer, route, adapter, content, unsubscribeUrl, openToken } = prepared;
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
      ...(openToken ? { openToken } : {}),
      ...(earlier ? { earlierAttempt: { at: earlier.at, digest: earlier.digest } } : {}),
      parts: {
        done: parts,
        async record(part, providerMessageId) {
          await deps.ledger.recordPart(input.key, part, providerMessageId);
          parts[part] = providerMessageId;
        },
      },
    });
    return { status: 'sent', messageId, channel: route.channel, ...(detail ? { detail } : {}), ...(claim.choice ? { choice: claim.choice } : {}) };
  } catch (err) {
    if (err instanceof ApplicationFailure && err.nonRetryable) {
      return { status: 'failed', reason: err.message, type: err.type ?? FailureType.ChannelPermanentRejection };
    }
    throw err;
  }
}

/**
 * Heartbeats from the start of an attempt to its end, so a worker that dies mid-send is noticed
 * within the heartbeat timeout and the retry starts soon; and renews the attempt's hand-off
 * lease while it works, so a retry Temporal starts beside a live but slow attempt (its
 * heartbeats lost, a provider slow to answer) waits for it instead of delivering too. Renewal
 * stops once Temporal cancels the attempt (timed out), and the lease then runs out.
 */
async function whileBeating<T>(work: () => Promise<T>, renewLease: () => Promise<void>): Promise<T> {
  const context = activityContext();
  let lastRenewal = Date.now();
  const timer = setInterval(() => {
    context?.heartbeat();
    if (context?.cancellationSignal.aborted || Date.now() - lastRenewal < LEASE_RENEW_EVERY_MS) return;
    lastRenewal = Date.now();
    // A failed renewal is tried again at the next beat; the lease outlasts a few of them.
    renewLease().catch(() => {});
  }, HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

const HEARTBEAT_EVERY_MS = 2_000;
/** A quarter of the lease: three renewals can fail before it runs out. */
const LEASE_RENEW_EVERY_MS = HAND_OFF_LEASE_MS / 4;

/** The running activity's context; undefined when called outside an activity (benchmarks). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
