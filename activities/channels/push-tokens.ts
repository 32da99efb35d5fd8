import type { Model } from 'mongoose';
import type { CustomerDoc } from '../../db/models';

/**
 * Removes device tokens from a customer in one atomic update: every entry with one of the
 * tokens goes, whatever its platform; entries added meanwhile are left alone.
 */
export function removePushTokens(customers: Model<CustomerDoc>) {
  return async (customerId: string, tokens: string[]): Promise<void> => {
    if (tokens.length === 0) return;
    await customers.updateOne(
      { _id: customerId },
      { $pull: { pushTokens: { token: { $in: tokens } } }, $set: { updatedAt: new Date() } },
      { timestamps: false },
    );
  };
}
