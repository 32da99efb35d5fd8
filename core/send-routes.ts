// The channels a send step may go out on, each with its template. Pure and free of zod: the
// workflow bundle and the reference checks read steps through it.
import { BEST_CHANNEL, type Channel } from './channels';
import type { SendStep } from './journey-steps';

/** A channel a send may go out on and its template. */
export interface SendRoute {
  channel: Channel;
  template: string;
}

/**
 * The channels a send may go out on, each with its template, in the order they are tried: the
 * step's channel then its fallback, or the listed channels of a best-channel send.
 */
export function sendRoutes(step: SendStep): SendRoute[] {
  if (step.channel === BEST_CHANNEL) return step.channels.map((channel) => ({ channel, template: step.templates[channel]! }));
  return [{ channel: step.channel, template: step.template }, ...(step.fallback ? [step.fallback] : [])];
}
