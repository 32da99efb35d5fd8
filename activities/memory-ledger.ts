// The delivery ledger held in memory, for a simulation (lib/journey-simulation.ts): the send
// activity takes the same decisions against it as against the store's, and nothing is written.
// One process, one attempt at a time: each method is one synchronous step on a map.
import type { DeliveryDoc } from '../db/models';
import { claimOf, type DeliveryLedger, type FinalOutcome, HAND_OFF_LEASE_MS } from './ledger';

type Row = Omit<DeliveryDoc, 'createdAt' | 'updatedAt'>;

export function createMemoryLedger(now: () => Date = () => new Date()): DeliveryLedger {
  const rows = new Map<string, Row>();
  const before = (key: string) => {
    const row = rows.get(key);
    return row ? (structuredClone(row) as DeliveryDoc) : null;
  };
  const lease = (owner: string) => ({ owner, until: new Date(now().getTime() + HAND_OFF_LEASE_MS) });
  const leaseFree = (row: Row) => !row.lease || row.lease.until <= now();

  const ledger: DeliveryLedger = {
    async claim({ key, choice: _choice, ...identity }) {
      const previous = before(key);
      const row = rows.get(key) ?? { _id: key, ...identity, plannedChannel: identity.channel, state: 'claimed', attempts: 0 };
      row.attempts += 1;
      rows.set(key, row);
      return claimOf(previous);
    },
    async claimForHandOff({ key, choice, ...identity }, handOff, owner) {
      const row = rows.get(key);
      if (row && (row.state !== 'claimed' || row.handOff)) return { ...(await ledger.takeOver(key, owner)), handedOff: false };
      const previous = before(key);
      const next = row ?? { _id: key, ...identity, plannedChannel: identity.channel, state: 'claimed', attempts: 0 };
      // As the store's ledger: the hand-off's choice names the row's channel.
      const chosen = choice ? { channel: identity.channel, plannedChannel: identity.channel, choice } : {};
      Object.assign(next, { ...chosen, handOff: { ...handOff, at: now() }, lease: lease(owner), attempts: next.attempts + 1 });
      rows.set(key, next);
      return { ...claimOf(previous), handedOff: true };
    },
    async find(key) {
      return claimOf(before(key));
    },
    async takeOver(key, owner) {
      const previous = before(key);
      const row = rows.get(key);
      if (row?.state === 'claimed' && row.handOff && leaseFree(row)) {
        Object.assign(row, { lease: lease(owner), attempts: row.attempts + 1 });
        return claimOf(previous);
      }
      const found = claimOf(previous);
      if (found.outcome || !row?.handOff) return found;
      return { ...found, inFlightUntil: row.lease?.until ?? now() };
    },
    async renewLease(key, owner) {
      const row = rows.get(key);
      if (row?.state !== 'claimed' || row.lease?.owner !== owner) return false;
      row.lease = lease(owner);
      return true;
    },
    async releaseLease(key, owner) {
      const row = rows.get(key);
      if (row?.lease?.owner === owner) delete row.lease;
    },
    async withdrawHandOff(key, owner) {
      const row = rows.get(key);
      if (row?.lease?.owner !== owner) return;
      delete row.handOff;
      delete row.lease;
      delete row.choice;
    },
    async recordPart(key, part, providerMessageId) {
      const row = rows.get(key);
      if (row) row.parts = { ...row.parts, [part]: providerMessageId };
    },
    async record(key, outcome: FinalOutcome) {
      const row = rows.get(key);
      if (row?.state !== 'claimed') return claimOf(before(key)).outcome ?? outcome;
      delete row.lease;
      if (outcome.status === 'sent') Object.assign(row, { state: 'sent', messageId: outcome.messageId, ...(outcome.channel ? { channel: outcome.channel } : {}) });
      else if (outcome.status === 'skipped') Object.assign(row, { state: 'skipped', reason: outcome.reason });
      else Object.assign(row, { state: 'failed', reason: outcome.reason, failureType: outcome.type });
      return outcome;
    },
  };
  return ledger;
}
