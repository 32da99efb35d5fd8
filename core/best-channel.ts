// The channel a best-channel send goes out on: the one the customer engages with most among
// those they can be reached on. Pure; the send activity (activities/send.ts) says which
// channels are reachable, and records the choice on the send's ledger row.
import type { Channel } from './channels';
import type { Engagement } from './engagement';

/**
 * - `most-engaged`: the channel with the most opens and clicks, strictly;
 * - `tied`: the first listed of the channels sharing the most;
 * - `no-history`: no opens or clicks on any reachable channel: the first reachable listed.
 */
export const CHOICE_REASONS = ['most-engaged', 'tied', 'no-history'] as const;
export type ChoiceReason = (typeof CHOICE_REASONS)[number];

export interface ChannelChoice {
  channel: Channel;
  reason: ChoiceReason;
  /** Opens plus clicks on each listed channel, reachable or not. */
  scores: Partial<Record<Channel, number>>;
  /** Listed channels left out as the customer cannot be reached there, and why (`unsubscribed`, `unreachable`...). */
  passedOver?: Partial<Record<Channel, string>>;
}

/**
 * A channel's score: its opens plus its clicks. A click usually follows an open, so a channel
 * whose messages get clicked counts about twice; recency is not weighed (the counters keep
 * no history beyond the latest engagement).
 */
export function channelScore(engagement: Engagement | undefined, channel: Channel): number {
  const counts = engagement?.channels?.[channel];
  return (counts?.opened ?? 0) + (counts?.clicked ?? 0);
}

/**
 * Picks among `listed` (in fallback order) the channel to send on; `blocked` says why the
 * customer cannot be reached on a channel (absent when they can). Undefined when no listed
 * channel is reachable.
 */
export function chooseChannel(
  listed: readonly Channel[],
  blocked: Partial<Record<Channel, string>>,
  engagement: Engagement | undefined,
): ChannelChoice | undefined {
  const scores = Object.fromEntries(listed.map((c) => [c, channelScore(engagement, c)])) as Partial<Record<Channel, number>>;
  const passed = listed.filter((c) => blocked[c]);
  const passedOver = passed.length > 0 ? { passedOver: Object.fromEntries(passed.map((c) => [c, blocked[c]!])) } : {};
  const reachable = listed.filter((c) => !blocked[c]);
  if (reachable.length === 0) return undefined;
  const top = Math.max(...reachable.map((c) => scores[c]!));
  // The first listed of the best: ties and customers without history keep the step's order.
  const channel = reachable.find((c) => scores[c] === top)!;
  const reason: ChoiceReason = top === 0 ? 'no-history' : reachable.filter((c) => scores[c] === top).length > 1 ? 'tied' : 'most-engaged';
  return { channel, reason, scores, ...passedOver };
}
