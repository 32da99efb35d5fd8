// GET /inbox/stream: server-sent events of one customer's inbox. `event: message` carries a new
// message, with an ID the browser sends back as Last-Event-ID when it reconnects; `event: read`
// carries messages read elsewhere; `event: reset` asks the browser to reload its list.
import type { RequestHandler } from 'express';
import type { Model } from 'mongoose';
import { StreamPosition } from '../../core/inbox-cursor';
import type { InboxMessageDoc } from '../../db/models';
import type { InboxBatch, InboxFeed } from '../../lib/inbox-feed';
import { logger } from '../../lib/logger';
import { invalid } from '../errors';
import { inboxAuth } from '../inbox-auth';
import { inboxMessageView } from '../inbox-schemas';

/** More missed messages than this and the browser is better off reloading its list. */
const REPLAY_LIMIT = 200;
const MAX_TIMER_MS = 2 ** 31 - 1;

const byCreation = (x: InboxMessageDoc, y: InboxMessageDoc) =>
  x.createdAt.getTime() - y.createdAt.getTime() || (x._id < y._id ? -1 : x._id > y._id ? 1 : 0);

export interface InboxStreamDeps {
  inbox: Model<InboxMessageDoc>;
  feed: InboxFeed;
  /** Each open stream's end function, so the router can end them all at shutdown. */
  openStreams: Set<() => void>;
  /** Comment lines that keep proxies from closing an idle stream. */
  heartbeatMs: number;
}

export function inboxStream({ inbox, feed, openStreams, heartbeatMs }: InboxStreamDeps): RequestHandler {
  return async (req, res) => {
    const { customerId, expiresAt } = inboxAuth(res);
    // The header on reconnects; the query on the first connection, from the list's lastEventId.
    const resume = req.get('last-event-id') || (typeof req.query.lastEventId === 'string' ? req.query.lastEventId : '');
    // Without one, the stream starts with the messages of the last overlap window: at worst a
    // repeat of what the page has just listed, never a gap.
    const start = resume ? StreamPosition.decode(resume) : StreamPosition.at(Date.now() - feed.overlapMs);
    if (!start) throw invalid([{ field: 'lastEventId', message: 'is not an event ID of this stream' }]);
    let position = start;

    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Proxies such as nginx would otherwise hold events back.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    let closed = false;
    const send = (text: string) => {
      if (!closed) res.write(text);
    };
    send('retry: 3000\n\n');

    const deliver = (batch: InboxBatch) => {
      const fresh = batch.messages.filter((m) => position.lacks(m)).sort(byCreation);
      fresh.forEach((message, i) => {
        position.delivered(message);
        // Only once the whole batch is out may the ID claim all it settles.
        if (i === fresh.length - 1 && batch.settledUpTo !== undefined) position.advance(batch.settledUpTo);
        send(`id: ${position.encode()}\nevent: message\ndata: ${JSON.stringify(inboxMessageView(message))}\n\n`);
      });
      if (fresh.length === 0 && batch.settledUpTo !== undefined) position.advance(batch.settledUpTo);
      const byTime = new Map<number, string[]>();
      for (const read of batch.reads) byTime.set(read.readAt.getTime(), [...(byTime.get(read.readAt.getTime()) ?? []), read.id]);
      for (const [time, ids] of byTime) send(`event: read\ndata: ${JSON.stringify({ ids, readAt: new Date(time).toISOString() })}\n\n`);
    };

    // Subscribe before looking back, so nothing falls between the replay and the live feed.
    let pending: InboxBatch[] | undefined = [];
    const unsubscribe = feed.subscribe(customerId, (batch) => (pending ? pending.push(batch) : deliver(batch)));
    const heartbeat = setInterval(() => send(': heartbeat\n\n'), heartbeatMs);
    // An expired token must not keep listening; the browser reconnects and is refused.
    const expiry = expiresAt ? setTimeout(() => end(), Math.min(MAX_TIMER_MS, Math.max(0, expiresAt.getTime() - Date.now()))) : undefined;
    const end = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(expiry);
      openStreams.delete(end);
      res.end();
    };
    openStreams.add(end);
    res.on('close', end);
    if (req.socket.destroyed) end();

    try {
      const replayedAt = Date.now();
      const settled = replayedAt - feed.overlapMs;
      const missed = await inbox
        .find({ customerId, createdAt: { $gt: position.since } })
        .sort({ createdAt: 1, _id: 1 })
        .limit(REPLAY_LIMIT + 1)
        .lean();
      if (missed.length > REPLAY_LIMIT) {
        // The browser reloads its list, which then holds everything created up to now.
        position = StreamPosition.at(settled);
        const recent = await inbox.find({ customerId, createdAt: { $gt: new Date(settled) } }, { _id: 1, createdAt: 1 }).lean();
        for (const m of recent) position.delivered(m);
        send(`id: ${position.encode()}\nevent: reset\ndata: {}\n\n`);
      } else {
        position.learn(missed);
        deliver({ messages: missed, reads: [], settledUpTo: settled });
      }
      const buffered = pending;
      pending = undefined;
      for (const batch of buffered) deliver(batch);
    } catch (err) {
      // The browser reconnects with its last event ID and loses nothing.
      logger.error({ err, customerId }, 'inbox stream: replay failed');
      end();
    }
  };
}
