// Why a send ended as it did, in words: one ledger row (activities/ledger.ts) and what the
// provider reported later, read back for people. Pure; the words for every reason the send
// activity records (activities/send.ts) live here and nowhere else.
import type { ChannelChoice } from './best-channel';
import type { Channel } from './channels';
import { FailureType } from './failures';
import { CUSTOMER_ERASED, JOURNEY_STOPPED } from './journey-contract';

/** `pending`: claimed, no outcome recorded yet (deferrals are not recorded, see explainSend). */
export const SEND_OUTCOMES = ['sent', 'skipped', 'failed', 'pending'] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];

export interface SendFacts {
  state: 'claimed' | 'sent' | 'skipped' | 'failed';
  /** The step's channel (a best-channel send's: the one chosen). */
  plannedChannel: Channel;
  /** A best-channel send's choice, and why. */
  choice?: ChannelChoice;
  /** The channel the message went out on (sent), or is being handed to (pending). */
  usedChannel?: Channel;
  reason?: string;
  failureType?: string;
  /** The provider's latest status for a sent message (core/delivery-status.ts), and its error code. */
  providerStatus?: string;
  providerErrorCode?: string;
  /** The window of the cap rule a `capped:<rule>` names, when the rule still exists. */
  capWindow?: string;
}

export interface SendExplanation {
  outcome: SendOutcome;
  /** The machine reason: a skip reason, a failure's `rendered-*` code, or its failure type. */
  reason?: string;
  explanation: string;
}

const outcomeOf = (state: SendFacts['state']): SendOutcome => (state === 'claimed' ? 'pending' : state);

/** Skip reasons with fixed words; `capped:<rule>` is worded by explainSkip. */
const SKIPS: Record<string, string> = {
  unsubscribed: 'the customer unsubscribed from (or never consented to) the channel, and from the fallback (or the other listed channels) if any',
  unreachable: 'the customer has no address on the channel (no email, phone or push token), nor on the fallback (or the other listed channels) if any',
  'customer-not-found': 'the customer was deleted before the message went out',
  [JOURNEY_STOPPED]: 'the journey was stopped or archived before the message went out',
  [CUSTOMER_ERASED]: 'the customer was erased (DELETE /v1/customers/{id}) before the message went out',
};

function explainSkip(reason: string | undefined, capWindow: string | undefined): string {
  if (reason?.startsWith('capped:')) {
    const rule = reason.slice('capped:'.length);
    return `frequency cap "${rule}" ${capWindow ? `(per ${capWindow}) ` : ''}already allowed the customer all its messages in its window`;
  }
  return (reason && SKIPS[reason]) ?? `skipped: ${reason ?? 'no reason recorded'}`;
}

/** The code of a failure: a template's `rendered-*:<field>`, else its failure type. */
export function failureCode(facts: Pick<SendFacts, 'reason' | 'failureType'>): string | undefined {
  return facts.reason && /^rendered-(empty|bad-link):/.test(facts.reason) ? facts.reason : facts.failureType;
}

function explainFailure(facts: SendFacts): string {
  const reason = facts.reason ?? 'no reason recorded';
  const field = reason.slice(reason.indexOf(':') + 1);
  if (reason.startsWith('rendered-empty:')) return `the template rendered an empty "${field}" with this customer's data, so nothing went out`;
  if (reason.startsWith('rendered-bad-link:')) return `the template rendered a link in "${field}" that is not allowed, so nothing went out`;
  switch (facts.failureType) {
    case FailureType.TemplateNotFound:
      return `template missing: ${reason}`;
    case FailureType.TemplateRenderError:
      return `the template does not render: ${reason}`;
    case FailureType.ChannelNotConfigured:
      return `channel not configured: ${reason}`;
    case FailureType.ChannelPermanentRejection:
      return `the provider refused the message: ${reason}`;
    default:
      return `failed: ${reason}`;
  }
}

/** Skip reasons as a channel passed over by a best-channel choice shows them. */
const PASSED_OVER: Record<string, string> = { unsubscribed: 'unsubscribed', unreachable: 'no address', 'channel-not-configured': 'no provider configured' };

/**
 * Why a best-channel send took its channel, in words: "the channel the customer engages with
 * most (opens and clicks: push 7, email 2, sms 0); passed over: sms (unsubscribed)".
 */
export function explainChoice(choice: ChannelChoice): string {
  const scores = Object.entries(choice.scores)
    .map(([channel, n]) => `${channel} ${n}`)
    .join(', ');
  const why = {
    'most-engaged': `the channel the customer engages with most (opens and clicks: ${scores})`,
    tied: `first in the step's order of the channels the customer engages with most, tied (opens and clicks: ${scores})`,
    'no-history': `first in the step's order the customer can be reached on: no opens or clicks on any of them yet`,
  }[choice.reason];
  const passed = Object.entries(choice.passedOver ?? {}).map(([channel, reason]) => `${channel} (${PASSED_OVER[reason] ?? reason})`);
  return passed.length > 0 ? `${why}; passed over: ${passed.join(', ')}` : why;
}

function explainSent(facts: SendFacts): string {
  const used = facts.usedChannel ?? facts.plannedChannel;
  const how =
    facts.choice && used === facts.choice.channel
      ? `sent on ${used}, ${explainChoice(facts.choice)}`
      : used === facts.plannedChannel
        ? `sent on ${used}`
        : `fallback taken: sent on ${used}, as the customer could not be reached on ${facts.plannedChannel} (no address, or unsubscribed)`;
  if (!facts.providerStatus) return how;
  const code = facts.providerErrorCode ? ` (error ${facts.providerErrorCode})` : '';
  return `${how}; the provider reports it ${facts.providerStatus}${code}`;
}

/**
 * The outcome and its words. A deferred send (quiet hours, a pause, a cap that defers) is not
 * final and leaves no outcome: it shows as pending while its row exists, else not at all.
 */
export function explainSend(facts: SendFacts): SendExplanation {
  const outcome = outcomeOf(facts.state);
  switch (facts.state) {
    case 'sent':
      return { outcome, explanation: explainSent(facts) };
    case 'skipped':
      return { outcome, ...(facts.reason ? { reason: facts.reason } : {}), explanation: explainSkip(facts.reason, facts.capWindow) };
    case 'failed': {
      const reason = failureCode(facts);
      return { outcome, ...(reason ? { reason } : {}), explanation: explainFailure(facts) };
    }
    case 'claimed':
      return {
        outcome,
        explanation: facts.usedChannel
          ? `being handed to the provider on ${facts.usedChannel}${facts.choice ? ` (${explainChoice(facts.choice)})` : ''}, or an attempt died doing so and a retry will settle it`
          : 'no outcome yet: deferred (quiet hours, a pause, or a cap that defers) or still being attempted; deferrals are not recorded until the send goes out or is skipped',
      };
  }
}


/**
 * Why a send waits rather than going out now: a deferral, which the ledger does not record
 * (journey simulations show them, lib/journey-simulation.ts). The reasons of activities/send.ts.
 */
export function explainDeferral(reason: string, capWindow?: string): string {
  if (reason === 'quiet-hours') return "the customer is in quiet hours (the journey's, else the account's) in their time zone: held until they end";
  if (reason === 'paused') return 'the journey is paused: held until it is resumed';
  if (reason.startsWith('capped:')) {
    const rule = reason.slice('capped:'.length);
    return `frequency cap "${rule}" ${capWindow ? `(per ${capWindow}) ` : ''}already allowed the customer all its messages in its window: deferred until a place frees (the step defers when capped)`;
  }
  return `deferred: ${reason}`;
}
