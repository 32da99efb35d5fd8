// The delivery ledger: one document per send, keyed by the send's idempotency key. Temporal
// runs activities at least once; the ledger turns that into "at most one accepted delivery
// per key" (see README, "Delivery guarantee").
import type { Model } from 'mongoose';
import type { Channel } from '../core/channels';
import type { DeliveryDoc } from '../db/models';

export interface SendIdentity {
  key: string;
  channel: Channel;
  customerId: string;
  journeyId: string;
  stepId: string;
}

/** A send whose outcome is recorded for good: a retry returns it and does nothing else. */
export type FinalOutcome =
  | { status: 'sent'; messageId: string; /** The channel used, when it was the fallback. */ channel?: Channel }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string; type: string };

export interface DeliveryLedger {
  /**
   * Claims the key for this attempt. The claim carries the recorded outcome when an earlier
   * attempt finished; without one, this attempt should deliver (first attempt, or an earlier
   * one died between claiming and recording).
   */
  claim(send: SendIdentity): Promise<Claim>;
  record(key: string, outcome: FinalOutcome): Promise<void>;
  /** Notes that the send holds its place under the frequency caps. */
  markCapReserved(key: string): Promise<void>;
}

export interface Claim {
  /** The recorded outcome of an earlier attempt that finished. */
  outcome?: FinalOutcome;
  /** An earlier attempt already took this send's place under the frequency caps. */
  capReserved: boolean;
}

export function createDeliveryLedger(deliveries: Model<DeliveryDoc>): DeliveryLedger {
  return {
    async claim(send) {
      const { key, ...identity } = send;
      const previous = await deliveries
        .findOneAndUpdate(
          { _id: key },
          { $setOnInsert: { ...identity, state: 'claimed' }, $inc: { attempts: 1 } },
          { upsert: true, returnDocument: 'before' },
        )
        .lean();
      const capReserved = previous?.capReserved === true;
      if (!previous || previous.state === 'claimed') return { capReserved };
      if (previous.state === 'sent') return { capReserved, outcome: { status: 'sent', messageId: previous.messageId!, channel: previous.channel } };
      if (previous.state === 'skipped') return { capReserved, outcome: { status: 'skipped', reason: previous.reason! } };
      return { capReserved, outcome: { status: 'failed', reason: previous.reason!, type: previous.failureType! } };
    },
    async markCapReserved(key) {
      await deliveries.updateOne({ _id: key }, { $set: { capReserved: true } });
    },
    async record(key, outcome) {
      const update =
        outcome.status === 'sent'
          ? { state: 'sent', messageId: outcome.messageId, ...(outcome.channel ? { channel: outcome.channel } : {}) }
          : outcome.status === 'skipped'
            ? { state: 'skipped', reason: outcome.reason }
            : { state: 'failed', reason: outcome.reason, failureType: outcome.type };
      await deliveries.updateOne({ _id: key }, { $set: update });
    },
  };
}
