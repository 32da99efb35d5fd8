import type { Model, mongo } from 'mongoose';
import type { CustomerDoc, PushToken } from '../../db/models';

/**
 * Removes device tokens from a customer. `$pull` with a condition would do it in one step, but
 * FerretDB ignores `$pull` conditions; a `$set` guarded by the old array would make FerretDB
 * scan the collection (it pushes down only exact `_id` filters). So: read the entries by `_id`,
 * then `$pullAll` exactly those values. That is atomic per entry: an entry added or replaced
 * in between is left alone, and an entry already gone is a no-op.
 */
export function removePushTokens(customers: Model<CustomerDoc>) {
  return async (customerId: string, tokens: string[]): Promise<void> => {
    const gone = new Set(tokens);
    const customer = await customers.findById(customerId, { pushTokens: 1 }).lean<Pick<CustomerDoc, 'pushTokens'>>();
    const entries = (customer?.pushTokens ?? []).filter((t: PushToken) => gone.has(t.token));
    if (entries.length === 0) return;
    // The driver's collection, not the model: the entries go back exactly as stored (field
    // order included), which is what $pullAll compares.
    const raw = customers.collection as unknown as mongo.Collection<CustomerDoc>;
    await raw.updateOne({ _id: customerId }, { $pullAll: { pushTokens: entries }, $set: { updatedAt: new Date() } });
  };
}
