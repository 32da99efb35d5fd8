// Engagement as events: a message opened or clicked becomes an event of its customer
// (`message_opened`, `message_clicked`), stored through ingest like any other, so roll-ups,
// segments, waitForEvent, goals and live entry all see it; and the send's ledger row keeps when
// it was first opened and first clicked, which journey stats count per step.
//
// Idempotent by event ID (core/engagement-links.ts): one open per send, one click per send and
// link, however often a pixel is loaded or a link followed. A click also records the open (a
// reader whose client blocks images still opened the message).
import type { Channel } from '../core/channels';
import { MESSAGE_CLICKED, MESSAGE_OPENED } from '../core/engagement';
import { clickedEventId, openedEventId } from '../core/engagement-links';
import type { Models } from '../db/models';
import type { EventIngest, IncomingEvent } from './event-ingest';

export type EngagementEvents = ReturnType<typeof createEngagementEvents>;

/** Why nothing was recorded: no sent message has the key (never sent, a test send, or its customer was erased), or the customer is erased. */
export type EngagementOutcome = 'recorded' | 'unknown-send' | 'suppressed';

export function createEngagementEvents(deps: { models: Pick<Models, 'deliveries'>; events: Pick<EventIngest, 'ingest'> }) {
  const { deliveries } = deps.models;

  /** Records each item's open (and click), in one ingest; answers each send's outcome. */
  async function record(items: { sendKey: string; url?: string }[]): Promise<EngagementOutcome[]> {
    const keys = [...new Set(items.map((i) => i.sendKey))];
    const rows = await deliveries.find({ _id: { $in: keys } }, { state: 1, channel: 1, customerId: 1, journeyId: 1, stepId: 1, handOff: 1, openedAt: 1 }).lean();
    const sends = new Map(
      rows
        // A message handed over but not yet recorded (an inbox message read at once) counts too.
        .filter((row) => row.state === 'sent' || (row.state === 'claimed' && row.handOff))
        .map((row) => {
          const channel: Channel = row.state === 'sent' ? row.channel : row.handOff!.channel;
          const properties = { journeyId: row.journeyId, stepId: row.stepId, channel, sendKey: row._id, ...(row.handOff ? { templateId: row.handOff.templateId } : {}) };
          return [row._id, { customerId: row.customerId, properties, opened: row.openedAt !== undefined }] as const;
        }),
    );
    const at = new Date();
    const events = new Map<string, IncomingEvent>();
    for (const { sendKey, url } of items) {
      const send = sends.get(sendKey);
      // An open already on the row was recorded (the row is marked after the ingest): a pixel
      // loaded again, or prefetched by a mail proxy, costs this one read.
      if (!send || (url === undefined && send.opened)) continue;
      const opened = openedEventId(sendKey);
      events.set(opened, { id: opened, customerId: send.customerId, name: MESSAGE_OPENED, timestamp: at, properties: send.properties });
      if (url === undefined) continue;
      const clicked = clickedEventId(sendKey, url);
      events.set(clicked, { id: clicked, customerId: send.customerId, name: MESSAGE_CLICKED, timestamp: at, properties: { ...send.properties, url } });
    }
    if (events.size === 0) return items.map((i) => (sends.has(i.sendKey) ? 'recorded' : 'unknown-send'));
    const result = await deps.events.ingest([...events.values()]);
    const refused = new Set(result.suppressedEvents);
    const recorded = (i: { sendKey: string; url?: string }) => sends.has(i.sendKey) && !refused.has(openedEventId(i.sendKey));
    // The first times stay ($min); no upsert, so a row an erasure moved meanwhile is not written again.
    const opens = items.filter(recorded).map((i) => i.sendKey);
    const clicks = items.filter((i) => i.url !== undefined && recorded(i)).map((i) => i.sendKey);
    await Promise.all([
      opens.length > 0 && deliveries.updateMany({ _id: { $in: opens } }, { $min: { openedAt: at } }, { timestamps: false }),
      clicks.length > 0 && deliveries.updateMany({ _id: { $in: clicks } }, { $min: { clickedAt: at } }, { timestamps: false }),
    ]);
    return items.map((i) => (!sends.has(i.sendKey) ? 'unknown-send' : recorded(i) ? 'recorded' : 'suppressed'));
  }

  return {
    /** The message was opened: an email's pixel loaded, a push opened in the app, an inbox message read. */
    opened: async (sendKey: string) => (await record([{ sendKey }]))[0],
    /** Several messages opened at once (the inbox's read-all). */
    openedAll: async (sendKeys: string[]) => (sendKeys.length > 0 ? record(sendKeys.map((sendKey) => ({ sendKey }))) : []),
    /** A link of the message was followed: `url` as the message held it, never one from the request. */
    clicked: async (sendKey: string, url: string) => (await record([{ sendKey, url }]))[0],
  };
}
