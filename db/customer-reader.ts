// How activities read the customer a run is for: by `_id` from the store, or (a simulation,
// lib/journey-simulation.ts) from a profile held in memory, so the same activity code decides.
import type { CustomerDoc, Models } from './models';
import { raw } from './raw';

/** The customer, or null when there is none (deleted, or never known). */
export type CustomerReader = (customerId: string) => Promise<CustomerDoc | null>;

export function storeCustomerReader(customers: Models['customers']): CustomerReader {
  return (customerId) => raw(customers).findOne({ _id: customerId });
}
