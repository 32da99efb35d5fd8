// A customer's engagement, kept on their document by the same fold as the event roll-ups: how
// often they engage at each hour of the week, and how they respond on each channel. What a
// best-time wait and a best-channel send decide from, without reading the event log. Pure.
import { CHANNELS, type Channel } from './channels';

/** What tracking records when a customer opens or clicks a message (core/engagement-links.ts). */
export const MESSAGE_OPENED = 'message_opened';
export const MESSAGE_CLICKED = 'message_clicked';
/** The event an app sends when a session starts: it counts by hour, with no channel. */
export const SESSION_STARTED = 'session_started';

/** The events that count as engagement, and the per-channel counter each feeds (sessions have no channel). */
export const ENGAGEMENT_EVENTS: Readonly<Record<string, 'opened' | 'clicked' | undefined>> = {
  [MESSAGE_OPENED]: 'opened',
  [MESSAGE_CLICKED]: 'clicked',
  [SESSION_STARTED]: undefined,
};

export const HOURS_PER_WEEK = 168;

export interface ChannelEngagement {
  opened?: number;
  clicked?: number;
  /** The latest open or click on the channel. */
  last?: Date;
}

export interface Engagement {
  /**
   * Engagements (opens, clicks, sessions) per hour of the week in UTC: `h0` is Monday 00:00 to
   * 01:00 UTC, `h167` Sunday 23:00 to midnight. Counted in UTC because the fold does not read
   * the customer's time zone; a decision reads them at the instants it considers, so they are
   * the customer's local hours apart from the hour a daylight-saving change moves.
   */
  hours?: Record<string, number>;
  channels?: Partial<Record<Channel, ChannelEngagement>>;
}

/** The hour of the week in UTC of an instant, 0 (Monday 00:00) to 167. */
export function hourOfWeek(at: Date): number {
  return ((at.getUTCDay() + 6) % 7) * 24 + at.getUTCHours();
}

export interface EngagementEvent {
  name: string;
  timestamp: Date;
  properties?: Record<string, unknown>;
}

/**
 * The $inc and $max (dotted paths under `engagement`) that fold these events in; empty when
 * none of them is an engagement event. An open or click names its channel in
 * `properties.channel`; one that names no known channel still counts by hour.
 */
export function engagementChanges(events: readonly EngagementEvent[]): { inc: Record<string, number>; max: Record<string, Date> } {
  const inc: Record<string, number> = {};
  const max: Record<string, Date> = {};
  for (const e of events) {
    if (!Object.hasOwn(ENGAGEMENT_EVENTS, e.name)) continue;
    const hour = `engagement.hours.h${hourOfWeek(e.timestamp)}`;
    inc[hour] = (inc[hour] ?? 0) + 1;
    const counter = ENGAGEMENT_EVENTS[e.name];
    const channel = e.properties?.channel;
    if (!counter || !CHANNELS.includes(channel as Channel)) continue;
    const base = `engagement.channels.${channel as Channel}`;
    inc[`${base}.${counter}`] = (inc[`${base}.${counter}`] ?? 0) + 1;
    if (!max[`${base}.last`] || max[`${base}.last`] < e.timestamp) max[`${base}.last`] = e.timestamp;
  }
  return { inc, max };
}
