import mongoose, { Connection } from 'mongoose';
import { createModels, Models } from './models';

export interface Database {
  connection: Connection;
  models: Models;
  /** True when the server answers a ping. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens a connection of its own (no mongoose global), builds the models and their indexes. */
export async function connectDatabase(uri: string): Promise<Database> {
  const connection = await mongoose
    .createConnection(uri, { autoIndex: false, serverSelectionTimeoutMS: 10_000 })
    .asPromise();
  const models = createModels(connection);
  await Promise.all(Object.values(models).map((model) => model.createIndexes()));
  return {
    connection,
    models,
    async ping() {
      try {
        await connection.db!.admin().ping();
        return true;
      } catch {
        return false;
      }
    },
    close: () => connection.close(),
  };
}
