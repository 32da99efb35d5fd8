// The delivery ledger: one document per send, keyed by the send's idempotency key. Temporal
// runs activities at least once; the ledger turns that into "at most one accepted delivery
// per key" (see README, "Delivery guarantee").
import { ApplicationFailure } from '@temporalio/common';
import type { Model } from 'mongoose';
import type { Channel } from '../core/channels';
import { FailureType } from '../core/failures';
import { isDuplicateKey } from '../db/duplicate-key';
import { raw } from '../db/raw';
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
  | {
      status: 'sent';
      messageId: string;
      /** The channel used, when it was the fallback. */
      channel?: Channel;
      detail?: Record<string, string | number>;
    }
  | { status: 'skipped'; reason: string }
  | { status: 'failed'; reason: string; type: string };

export interface DeliveryLedger {
  /**
   * Claims the key for this attempt. The claim carries the recorded outcome when an earlier
   * attempt finished; without one, this attempt should deliver (first attempt, or an earlier
   * one was deferred or died before recording).
   */
  claim(send: SendIdentity): Promise<Claim>;
  /**
   * Claims the key and marks the hand-off in one write, as the message is about to go to the
   * provider: a later attempt that finds the mark knows the provider may have the message, and
   * settles it on the same route. When an earlier attempt finished or handed over already,
   * nothing is marked and the claim says so (`handedOff` false).
   */
  claimForHandOff(send: SendIdentity, handOff: Omit<HandOff, 'at'>): Promise<Claim & { handedOff: boolean }>;
  record(key: string, outcome: FinalOutcome): Promise<void>;
  /** Withdraws the hand-off mark of a send the caps held back: the message never went out. */
  withdrawHandOff(key: string): Promise<void>;
  /** Records one delivered part of a send (push: one device) as soon as it is delivered. */
  recordPart(key: string, part: string, providerMessageId: string): Promise<void>;
}

export interface Claim {
  /** The recorded outcome of an earlier attempt that finished. */
  outcome?: FinalOutcome;
  /** An earlier attempt began handing the message to the provider, and did not record how it went. */
  handOff?: HandOff;
  /** Parts earlier attempts delivered. */
  parts: Record<string, string>;
}

export interface HandOff {
  at: Date;
  channel: Channel;
  templateId: string;
  /** contentDigest of what was handed over. */
  digest: string;
}

const PART_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function createDeliveryLedger(model: Model<DeliveryDoc>): DeliveryLedger {
  const deliveries = raw(model);
  async function claim(send: SendIdentity): Promise<Claim> {
    const { key, ...identity } = send;
    const now = new Date();
    const previous = await deliveries.findOneAndUpdate(
      { _id: key },
      { $setOnInsert: { ...identity, state: 'claimed', createdAt: now }, $set: { updatedAt: now }, $inc: { attempts: 1 } },
      { upsert: true, returnDocument: 'before' },
    );
    return claimOf(previous);
  }
  return {
    claim,
    async claimForHandOff(send, handOff) {
      const { key, ...identity } = send;
      try {
        // Only a row still claimed and not handed over takes the mark (or a new row).
        const now = new Date();
        const previous = await deliveries.findOneAndUpdate(
          { _id: key, state: 'claimed', handOff: { $exists: false } },
          { $setOnInsert: { ...identity, createdAt: now }, $set: { handOff: { ...handOff, at: now }, updatedAt: now }, $inc: { attempts: 1 } },
          { upsert: true, returnDocument: 'before' },
        );
        return { ...claimOf(previous), handedOff: true };
      } catch (err) {
        // The row has an outcome or an earlier hand-off: the filter missed, the upsert met the key.
        if (!isDuplicateKey(err)) throw err;
        return { ...(await claim(send)), handedOff: false };
      }
    },
    async withdrawHandOff(key) {
      await deliveries.updateOne({ _id: key }, { $unset: { handOff: 1 }, $set: { updatedAt: new Date() } });
    },
    async recordPart(key, part, providerMessageId) {
      if (!PART_NAME.test(part)) {
        throw ApplicationFailure.nonRetryable(`delivery part name "${part}" must match ${PART_NAME}`, FailureType.ChannelPermanentRejection);
      }
      await deliveries.updateOne({ _id: key }, { $set: { [`parts.${part}`]: providerMessageId, updatedAt: new Date() } });
    },
    async record(key, outcome) {
      const update =
        outcome.status === 'sent'
          ? { state: 'sent', messageId: outcome.messageId, ...(outcome.channel ? { channel: outcome.channel } : {}), ...(outcome.detail ? { detail: outcome.detail } : {}) }
          : outcome.status === 'skipped'
            ? { state: 'skipped', reason: outcome.reason }
            : { state: 'failed', reason: outcome.reason, failureType: outcome.type };
      await deliveries.updateOne({ _id: key }, { $set: { ...update, updatedAt: new Date() } as Partial<DeliveryDoc> });
    },
  };
}

function claimOf(previous: DeliveryDoc | null): Claim {
  const base = { parts: previous?.parts ?? {} };
  if (!previous || previous.state === 'claimed') return previous?.handOff ? { ...base, handOff: previous.handOff } : base;
  if (previous.state === 'sent') {
    return {
      ...base,
      outcome: { status: 'sent', messageId: previous.messageId!, channel: previous.channel, ...(previous.detail ? { detail: previous.detail } : {}) },
    };
  }
  if (previous.state === 'skipped') return { ...base, outcome: { status: 'skipped', reason: previous.reason! } };
  return { ...base, outcome: { status: 'failed', reason: previous.reason!, type: previous.failureType! } };
}
