// The `suppressions` collection: customers erased (DELETE /v1/customers/{id}), whom ingest
// refuses from then on, so a late event or identify does not create them again. A record holds
// a hash of the customer ID, never the ID: it stops the ID coming back without keeping
// personal data (whoever holds the ID can still check it, which is what a suppression is for).
// Lifted by DELETE /v1/suppressions/{customerId}.
import { createHash } from 'node:crypto';
import { Connection, Model, Schema } from 'mongoose';
import { isDuplicateKey } from './duplicate-key';

export interface SuppressionDoc {
  /** customerHash of the customer ID. */
  _id: string;
  suppressedAt: Date;
}

export type SuppressionModel = Model<SuppressionDoc>;

/** The hash suppressions, erased ledger rows and log lines name a customer by. */
export function customerHash(customerId: string): string {
  return createHash('sha256').update(`cairn-customer:${customerId}`).digest('hex');
}

export function createSuppressionModel(conn: Connection): SuppressionModel {
  return conn.model<SuppressionDoc>(
    'Suppression',
    new Schema<SuppressionDoc>({ _id: { type: String, required: true }, suppressedAt: { type: Date, required: true } }, { versionKey: false }),
    'suppressions',
  );
}

/** The customers among `customerIds` who are suppressed: one read by `_id`. */
export async function suppressedAmong(model: SuppressionModel, customerIds: Iterable<string>): Promise<Set<string>> {
  const byHash = new Map([...new Set(customerIds)].map((id) => [customerHash(id), id]));
  if (byHash.size === 0) return new Set();
  const found = await model.collection.find({ _id: { $in: [...byHash.keys()] } } as never, { projection: { _id: 1 } }).toArray();
  return new Set(found.map((doc) => byHash.get(doc._id as unknown as string)!));
}

/** The customer's suppression, if any. */
export async function readSuppression(model: SuppressionModel, customerId: string): Promise<SuppressionDoc | null> {
  return model.findById(customerHash(customerId)).lean();
}

/** Suppresses the customer; a customer suppressed already keeps the first time. Returns it. */
export async function suppress(model: SuppressionModel, customerId: string): Promise<SuppressionDoc> {
  const _id = customerHash(customerId);
  try {
    await model.updateOne({ _id }, { $setOnInsert: { suppressedAt: new Date() } }, { upsert: true });
  } catch (err) {
    // Two erasures racing: the first one's record stands.
    if (!isDuplicateKey(err)) throw err;
  }
  return (await model.findById(_id).lean())!;
}

/** Lifts the customer's suppression; false when there was none. */
export async function liftSuppression(model: SuppressionModel, customerId: string): Promise<boolean> {
  return (await model.deleteOne({ _id: customerHash(customerId) })).deletedCount > 0;
}
