import type { Model } from 'mongoose';

/**
 * FerretDB 1.24 (SQLite) stops answering an update command of 100 or more statements: each
 * holds a pooled connection until the command ends, and the pool has 100. Bulk writes go in
 * chunks well under that, one after the other; MongoDB is indifferent.
 */
export const BULK_CHUNK = 50;

export async function bulkWriteInChunks<T>(
  model: Model<T>,
  ops: Parameters<Model<T>['bulkWrite']>[0],
): Promise<{ upserted: number; matched: number }> {
  let upserted = 0;
  let matched = 0;
  for (let i = 0; i < ops.length; i += BULK_CHUNK) {
    const result = await model.bulkWrite(ops.slice(i, i + BULK_CHUNK), { ordered: false, timestamps: false });
    upserted += result.upsertedCount;
    matched += result.matchedCount;
  }
  return { upserted, matched };
}
