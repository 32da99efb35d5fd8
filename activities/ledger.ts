// The delivery ledger: one document per send, keyed by the send's idempotency key. Temporal
// runs activities at least once; the ledger turns that into "at most one accepted delivery
// per key" (see README, "Delivery guarantee").
import { ApplicationFailure } from '@temporalio/common';
import type { Model } from 'mongoose';
import type { ChannelChoice } from '../core/best-channel';
import type { Channel } from '../core/channels';
import { FailureType } from '../core/failures';
import { isDuplicateKey } from '../db/duplicate-key';
import { raw } from '../db/raw';
import type { DeliveryDoc } from '../db/models';

export interface SendIdentity {
  key: string;
  /** The step's channel, or the one a best-channel send chose. */
  channel: Channel;
  /** A best-channel send's choice: written with the hand-off, so the row says what went out and why. */
  choice?: ChannelChoice;
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
      /** A best-channel send's choice. */
      choice?: ChannelChoice;
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
  /** What the row says now (an outcome, an earlier hand-off), without claiming it. */
  find(key: string): Promise<Claim>;
  /**
   * Claims the key, marks the hand-off and takes the hand-off's lease in one write, as the
   * message is about to go to the provider (`handedOff` true). When an earlier attempt handed
   * over already, this attempt takes over its lease if it has run out (see takeOver); when an
   * earlier attempt finished, the claim carries its outcome.
   */
  claimForHandOff(send: SendIdentity, handOff: Omit<HandOff, 'at'>, owner: string): Promise<Claim & { handedOff: boolean }>;
  /**
   * Takes over the lease of a hand-off an earlier attempt began and did not record: only when
   * that attempt's lease has run out (it died, or lost the store), so one attempt at a time
   * owns what goes to the provider. The claim says `inFlightUntil` when the lease is held.
   */
  takeOver(key: string, owner: string): Promise<Claim>;
  /** Extends the owner's lease while its attempt is still working; false when it lost the lease. */
  renewLease(key: string, owner: string): Promise<boolean>;
  /**
   * Records the outcome of a send still claimed, and returns it; a send an attempt recorded
   * already keeps its outcome, which is returned instead.
   */
  record(key: string, outcome: FinalOutcome): Promise<FinalOutcome>;
  /** Gives up the owner's lease of a hand-off it took over but must settle from another channel's queue. */
  releaseLease(key: string, owner: string): Promise<void>;
  /** Withdraws the owner's hand-off mark of a send the caps held back: the message never went out. */
  withdrawHandOff(key: string, owner: string): Promise<void>;
  /** Records one delivered part of a send (push: one device) as soon as it is delivered. */
  recordPart(key: string, part: string, providerMessageId: string): Promise<void>;
}

/**
 * How long an attempt owns a hand-off without renewing it. A live attempt renews it while it
 * works (see activities/send.ts), so a retry waits for it; a dead one is taken over after this.
 */
export const HAND_OFF_LEASE_MS = 20_000;

export interface Claim {
  /** The recorded outcome of an earlier attempt that finished. */
  outcome?: FinalOutcome;
  /** An earlier attempt began handing the message to the provider, and did not record how it went. */
  handOff?: HandOff;
  /** Parts earlier attempts delivered. */
  parts: Record<string, string>;
  /** Another attempt owns the hand-off until then: this one must not deliver. */
  inFlightUntil?: Date;
  /** The choice of a best-channel send's hand-off. */
  choice?: ChannelChoice;
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
  const leaseFrom = (owner: string, now: Date) => ({ owner, until: new Date(now.getTime() + HAND_OFF_LEASE_MS) });
  async function claim(send: SendIdentity): Promise<Claim> {
    // Only a hand-off records a choice: a send that hands nothing over has none to keep.
    const { key, choice: _choice, ...identity } = send;
    const now = new Date();
    const previous = await deliveries.findOneAndUpdate(
      { _id: key },
      { $setOnInsert: { ...identity, plannedChannel: identity.channel, state: 'claimed', createdAt: now }, $set: { updatedAt: now }, $inc: { attempts: 1 } },
      { upsert: true, returnDocument: 'before' },
    );
    return claimOf(previous);
  }
  async function takeOver(key: string, owner: string): Promise<Claim> {
    const now = new Date();
    // A conditional update of one document: atomic on MongoDB and on the embedded store alike.
    const previous = await deliveries.findOneAndUpdate(
      { _id: key, state: 'claimed', handOff: { $exists: true }, $or: [{ lease: { $exists: false } }, { 'lease.until': { $lte: now } }] },
      { $set: { lease: leaseFrom(owner, now), updatedAt: now }, $inc: { attempts: 1 } },
      { returnDocument: 'before' },
    );
    if (previous) return claimOf(previous);
    // Finished, held by a live attempt, or withdrawn since: the row says which.
    const current = await deliveries.findOne({ _id: key });
    const found = claimOf(current);
    if (found.outcome || !current?.handOff) return found;
    return { ...found, inFlightUntil: current.lease?.until ?? now };
  }
  return {
    claim,
    takeOver,
    async find(key) {
      return claimOf(await deliveries.findOne({ _id: key }));
    },
    async claimForHandOff(send, handOff, owner) {
      const { key, choice, ...identity } = send;
      // A choice is the attempt's own, made again after a deferral: the hand-off's stands.
      const { channel, ...rest } = identity;
      const chosen = choice ? { channel, plannedChannel: channel, choice } : {};
      const inserted = choice ? rest : { ...identity, plannedChannel: channel };
      try {
        // Only a row still claimed and not handed over takes the mark (or a new row).
        const now = new Date();
        const previous = await deliveries.findOneAndUpdate(
          { _id: key, state: 'claimed', handOff: { $exists: false } },
          {
            $setOnInsert: { ...inserted, createdAt: now },
            $set: { ...chosen, handOff: { ...handOff, at: now }, lease: leaseFrom(owner, now), updatedAt: now },
            $inc: { attempts: 1 },
          },
          { upsert: true, returnDocument: 'before' },
        );
        return { ...claimOf(previous), handedOff: true };
      } catch (err) {
        // The row has an outcome or an earlier hand-off: the filter missed, the upsert met the key.
        if (!isDuplicateKey(err)) throw err;
        return { ...(await takeOver(key, owner)), handedOff: false };
      }
    },
    async renewLease(key, owner) {
      const now = new Date();
      const result = await deliveries.updateOne({ _id: key, state: 'claimed', 'lease.owner': owner }, { $set: { lease: leaseFrom(owner, now) } });
      return result.matchedCount > 0;
    },
    async releaseLease(key, owner) {
      await deliveries.updateOne({ _id: key, 'lease.owner': owner }, { $unset: { lease: 1 }, $set: { updatedAt: new Date() } });
    },
    async withdrawHandOff(key, owner) {
      // The choice goes with the mark: the next hand-off chooses again (the row's channel stays the one capped).
      await deliveries.updateOne({ _id: key, 'lease.owner': owner }, { $unset: { handOff: 1, lease: 1, choice: 1 }, $set: { updatedAt: new Date() } });
    },
    async recordPart(key, part, providerMessageId) {
      if (!PART_NAME.test(part)) {
        throw ApplicationFailure.nonRetryable(`delivery part name "${part}" must match ${PART_NAME}`, FailureType.ChannelPermanentRejection);
      }
      await deliveries.updateOne({ _id: key }, { $set: { [`parts.${part}`]: providerMessageId, updatedAt: new Date() } });
    },
    async record(key, outcome) {
      // A sent outcome's choice is on the row since the hand-off.
      const update =
        outcome.status === 'sent'
          ? { state: 'sent', messageId: outcome.messageId, ...(outcome.channel ? { channel: outcome.channel } : {}), ...(outcome.detail ? { detail: outcome.detail } : {}) }
          : outcome.status === 'skipped'
            ? { state: 'skipped', reason: outcome.reason }
            : { state: 'failed', reason: outcome.reason, failureType: outcome.type };
      const result = await deliveries.updateOne(
        { _id: key, state: 'claimed' },
        { $set: { ...update, updatedAt: new Date() } as Partial<DeliveryDoc>, $unset: { lease: 1 } },
      );
      if (result.matchedCount > 0) return outcome;
      // Another attempt recorded first (it outlived its lease): its outcome stands.
      return claimOf(await deliveries.findOne({ _id: key })).outcome ?? outcome;
    },
  };
}

/** What a row found before this attempt's write says: an outcome, an earlier hand-off, the parts delivered. */
export function claimOf(previous: DeliveryDoc | null): Claim {
  const base = { parts: previous?.parts ?? {} };
  if (!previous || previous.state === 'claimed') return previous?.handOff ? { ...base, handOff: previous.handOff, ...(previous.choice ? { choice: previous.choice } : {}) } : base;
  if (previous.state === 'sent') {
    const { messageId, channel, detail, choice } = previous;
    return { ...base, outcome: { status: 'sent', messageId: messageId!, channel, ...(detail ? { detail } : {}), ...(choice ? { choice } : {}) } };
  }
  if (previous.state === 'skipped') return { ...base, outcome: { status: 'skipped', reason: previous.reason! } };
  return { ...base, outcome: { status: 'failed', reason: previous.reason!, type: previous.failureType! } };
}
