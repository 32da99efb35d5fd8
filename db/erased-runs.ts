// What journey stats counted of erased customers' runs. Erasure deletes a customer's runs from
// Temporal (their histories hold the customer's data), and journey stats count runs in
// Temporal's visibility; so before a run is deleted its numbers (status, steps entered, split
// paths, conversion) move here, one document per journey, and stats add them. Each run is
// counted once: its hash joins the document in the update that counts it.
import { createHash } from 'node:crypto';
import { Connection, Model, Schema } from 'mongoose';
import { isDuplicateKey } from './duplicate-key';

export interface ErasedRunsDoc {
  /** The journey ID. */
  _id: string;
  entered: number;
  converted: number;
  /** By the run's final status (completed, exited, stopped). */
  status: Record<string, number>;
  /** By step ID (encoded by fieldKey), the runs that entered the step. */
  visited: Record<string, number>;
  /** By `<stepId>:<path>` (encoded by fieldKey). */
  splits: Record<string, number>;
  /** By CairnOptimize value, `<stepId>:<context>:<path>:<mark>` (encoded by fieldKey). */
  optimize?: Record<string, number>;
  /** Hashes of the runs counted. */
  runs: string[];
}

export type ErasedRunsModel = Model<ErasedRunsDoc>;

export function createErasedRunsModel(conn: Connection): ErasedRunsModel {
  return conn.model<ErasedRunsDoc>(
    'ErasedRuns',
    new Schema<ErasedRunsDoc>(
      {
        _id: { type: String, required: true },
        entered: Number,
        converted: Number,
        status: Schema.Types.Mixed,
        visited: Schema.Types.Mixed,
        splits: Schema.Types.Mixed,
        optimize: Schema.Types.Mixed,
        runs: { type: [String], default: undefined },
      },
      { versionKey: false },
    ),
    'erased_runs',
  );
}

/** Step IDs may hold "."; a field name may not. IDs hold no "%", so this reads back unambiguously. */
const fieldKey = (name: string) => name.replace(/\./g, '%2E');
const nameOf = (key: string) => key.replace(/%2E/g, '.');

export interface ErasedRun {
  workflowId: string;
  runId: string;
  journeyId: string;
  status: string;
  visited: string[];
  splits: string[];
  /** Its CairnOptimize values (optimizing splits' trials). */
  optimize?: string[];
  converted: boolean;
}

/** Counts the run into its journey's numbers, unless it was counted already. */
export async function countErasedRun(model: ErasedRunsModel, run: ErasedRun): Promise<void> {
  const hash = createHash('sha256').update(`${run.workflowId}/${run.runId}`).digest('hex');
  const inc: Record<string, number> = { entered: 1, converted: run.converted ? 1 : 0, [`status.${fieldKey(run.status)}`]: 1 };
  for (const step of new Set(run.visited)) inc[`visited.${fieldKey(step)}`] = 1;
  for (const split of new Set(run.splits)) inc[`splits.${fieldKey(split)}`] = 1;
  for (const value of new Set(run.optimize ?? [])) inc[`optimize.${fieldKey(value)}`] = 1;
  try {
    await model.collection.updateOne({ _id: run.journeyId, runs: { $ne: hash } } as never, { $inc: inc, $push: { runs: hash } } as never, { upsert: true });
  } catch (err) {
    // Counted already: the filter missed, and the upsert met the journey's document.
    if (!isDuplicateKey(err)) throw err;
  }
}

export interface ErasedRunCounts {
  entered: number;
  converted: number;
  status: Record<string, number>;
  visited: Record<string, number>;
  splits: Record<string, number>;
  optimize: Record<string, number>;
}

export async function readErasedRuns(model: ErasedRunsModel, journeyId: string): Promise<ErasedRunCounts> {
  const doc = await model.findById(journeyId, { runs: 0 }).lean();
  const decode = (counts: Record<string, number> | undefined) => Object.fromEntries(Object.entries(counts ?? {}).map(([k, n]) => [nameOf(k), n]));
  return {
    entered: doc?.entered ?? 0,
    converted: doc?.converted ?? 0,
    status: decode(doc?.status),
    visited: decode(doc?.visited),
    splits: decode(doc?.splits),
    optimize: decode(doc?.optimize),
  };
}
