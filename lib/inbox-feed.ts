// New and newly read inbox messages, for the browsers connected to this API process.
//
// The worker writes the inbox from another process and the embedded store has no change
// streams, so one poller per feed asks MongoDB what changed, once per interval however many
// streams are open, and hands each customer's share to that customer's listeners. It polls only
// while someone listens.
import type { Model } from 'mongoose';
import type { InboxMessageDoc } from '../db/models';
import { logger } from './logger';

export interface InboxRead {
  id: string;
  readAt: Date;
}

export interface InboxBatch {
  messages: InboxMessageDoc[];
  reads: InboxRead[];
  /**
   * Every message created up to this time (ms) and visible to the feed had been found when this
   * batch was made: the poll's start less the overlap. Absent on reads published in-process.
   */
  settledUpTo?: number;
}

export type InboxListener = (batch: InboxBatch) => void;

export interface InboxFeedOptions {
  /** Default 1,000. */
  pollIntervalMs?: number;
  /**
   * How late a message may become visible after its createdAt (write latency plus clock skew
   * between the writer and this process). Default 10,000.
   */
  overlapMs?: number;
}

export interface InboxFeed {
  readonly overlapMs: number;
  /** Returns the unsubscribe function. */
  subscribe(customerId: string, listener: InboxListener): () => void;
  /** Reads made by this process reach its listeners at once instead of at the next poll. */
  publishRead(customerId: string, reads: InboxRead[]): void;
}

export function createInboxFeed(inbox: Model<InboxMessageDoc>, options: InboxFeedOptions = {}): InboxFeed {
  const interval = options.pollIntervalMs ?? 1_000;
  const overlap = options.overlapMs ?? 10_000;
  const listeners = new Map<string, Set<InboxListener>>();
  // What has been handed out and may be found again inside the overlap window: ID → time (ms).
  const seenCreated = new Map<string, number>();
  const seenRead = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  // The start of the last successful poll; the next one looks back to it less the overlap.
  let lastPoll = 0;

  function emit(customerId: string, batch: InboxBatch): void {
    for (const listener of listeners.get(customerId) ?? []) {
      try {
        listener(batch);
      } catch (err) {
        logger.error({ err, customerId }, 'inbox feed: a listener failed');
      }
    }
  }

  async function poll(): Promise<void> {
    const startedAt = Date.now();
    const bound = new Date(lastPoll - overlap);
    const found = await inbox
      .find({
        customerId: { $in: [...listeners.keys()] },
        $or: [{ createdAt: { $gt: bound } }, { readAt: { $gt: bound } }],
      })
      .sort({ createdAt: 1, _id: 1 })
      .lean();
    lastPoll = startedAt;
    const settledUpTo = startedAt - overlap;

    const batches = new Map<string, InboxBatch>();
    const batchOf = (customerId: string) => {
      let batch = batches.get(customerId);
      if (!batch) batches.set(customerId, (batch = { messages: [], reads: [], settledUpTo }));
      return batch;
    };
    for (const message of found) {
      const created = message.createdAt.getTime();
      if (created > bound.getTime() && !seenCreated.has(message._id)) {
        seenCreated.set(message._id, created);
        batchOf(message.customerId).messages.push(message);
      }
      const read = message.readAt?.getTime();
      if (read !== undefined && read > bound.getTime() && seenRead.get(message._id) !== read) {
        seenRead.set(message._id, read);
        batchOf(message.customerId).reads.push({ id: message._id, readAt: message.readAt! });
      }
    }
    // The next poll looks back no further than this one's start less the overlap.
    forgetUpTo(seenCreated, settledUpTo);
    forgetUpTo(seenRead, settledUpTo);
    // Streams use settledUpTo to keep their resume cursors short, so each hears of every poll.
    for (const customerId of listeners.keys()) emit(customerId, batches.get(customerId) ?? { messages: [], reads: [], settledUpTo });
  }

  function schedule(delay: number): void {
    timer = setTimeout(() => {
      timer = undefined;
      if (listeners.size === 0) return;
      polling = true;
      const startedAt = Date.now();
      poll()
        .catch((err) => logger.error({ err }, 'inbox feed: poll failed; retrying'))
        .finally(() => {
          polling = false;
          if (listeners.size > 0) schedule(Math.max(0, interval - (Date.now() - startedAt)));
        });
    }, delay);
  }

  return {
    overlapMs: overlap,
    subscribe(customerId, listener) {
      if (listeners.size === 0 && !timer && !polling) {
        // Idle until now: a stream replays what came before it subscribed, so look back from here.
        lastPoll = Date.now();
        schedule(interval);
      }
      let own = listeners.get(customerId);
      if (!own) listeners.set(customerId, (own = new Set()));
      own.add(listener);
      return () => {
        own.delete(listener);
        if (own.size === 0 && listeners.get(customerId) === own) listeners.delete(customerId);
        if (listeners.size === 0 && timer) {
          clearTimeout(timer);
          timer = undefined;
        }
      };
    },
    publishRead(customerId, reads) {
      for (const read of reads) seenRead.set(read.id, read.readAt.getTime());
      if (reads.length > 0) emit(customerId, { messages: [], reads });
    },
  };
}

function forgetUpTo(seen: Map<string, number>, time: number): void {
  for (const [id, at] of seen) if (at <= time) seen.delete(id);
}
