// The answer to a write about an erased customer (db/suppressions.ts): a 409 that names the
// suppression and how to lift it, so a client does not take a refusal for a stored write.
import { AppError } from './errors';

export function suppressedCustomer(customerId: string, consequence: string): AppError {
  return new AppError(
    409,
    'customer_suppressed',
    `customer "${customerId}" was erased and is suppressed: ${consequence}. To accept them again, lift the suppression: DELETE /v1/suppressions/${customerId}`,
  );
}
