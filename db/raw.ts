// The driver's collection behind a model, typed by the model's document. For hot paths whose
// filters and updates are built in code from validated values: mongoose's casting of each one
// costs more CPU than the store spends on the operation.
import type { Model, mongo } from 'mongoose';

export function raw<T extends { _id: string }>(model: Model<T>): mongo.Collection<T> {
  return model.collection as unknown as mongo.Collection<T>;
}
