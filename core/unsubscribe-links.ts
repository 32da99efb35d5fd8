// Unsubscribe links: a signed token naming the customer, the channel and the journey that sent
// the message. Pure. They never expire: a link in an old email must still work.
import { CHANNELS, type Channel } from './channels';
import { sign, verify, type TokenProblem } from './signed-token';

export const UNSUBSCRIBE_PURPOSE = 'unsubscribe';

export interface UnsubscribeRequest {
  customerId: string;
  channel: Channel;
  journeyId: string;
}

export function unsubscribeToken(secret: string, customerId: string, journeyId: string, channel: Channel = 'email'): string {
  return sign(secret, UNSUBSCRIBE_PURPOSE, { customerId, channel, journeyId });
}

/** The page behind `{{unsubscribeUrl}}` and the List-Unsubscribe header. */
export function unsubscribeUrl(publicUrl: string, secret: string, customerId: string, journeyId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/unsubscribe/${unsubscribeToken(secret, customerId, journeyId)}`;
}

export function readUnsubscribeToken(
  secret: string,
  token: string,
): { ok: true; request: UnsubscribeRequest } | { ok: false; reason: TokenProblem } {
  const verified = verify(secret, UNSUBSCRIBE_PURPOSE, token);
  if (!verified.ok) return verified;
  const { customerId, channel, journeyId } = verified.payload;
  if (!customerId || !journeyId || !(CHANNELS as readonly string[]).includes(channel)) return { ok: false, reason: 'malformed' };
  return { ok: true, request: { customerId, channel: channel as Channel, journeyId } };
}
