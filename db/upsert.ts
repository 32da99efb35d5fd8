import type { Model, UpdateQuery } from 'mongoose';

/**
 * Creates or updates the document with this `_id` in one atomic call, and says which it did:
 * the API answers 201 for a creation and 200 for an update.
 */
export async function upsertById<T extends { _id: string }>(
  model: Model<T>,
  id: string,
  update: UpdateQuery<T>,
): Promise<{ doc: T; created: boolean }> {
  const result = await model.findOneAndUpdate({ _id: id } as never, update, {
    upsert: true,
    returnDocument: 'after',
    includeResultMetadata: true,
    lean: true,
  });
  return { doc: result.value as unknown as T, created: !result.lastErrorObject?.updatedExisting };
}
