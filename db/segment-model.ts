// The `segments` collection: named, saved segment rules. Read by `_id` on every hot path.
import { Connection, Model, Schema } from 'mongoose';
import { ID_PATTERN } from '../core/ids';
import { SegmentRule, segmentRuleSchema } from '../core/segment-rules';

export interface SegmentDoc {
  _id: string;
  name: string;
  description?: string;
  /** A rule of core/segment-rules.ts; read it through storedRule(). */
  rule: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** What segment routes and activities read: segments, and the customers their rules select. */
export interface SegmentModels {
  customers: Model<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  segments: Model<SegmentDoc>;
}

export function createSegmentModel(conn: Connection) {
  return conn.model<SegmentDoc>(
    'Segment',
    new Schema<SegmentDoc>(
      {
        _id: { type: String, required: true, match: ID_PATTERN },
        name: { type: String, required: true },
        description: String,
        rule: { type: Schema.Types.Mixed, required: true },
      },
      { timestamps: true, versionKey: false },
    ),
    'segments',
  );
}

export class InvalidStoredRule extends Error {}

/**
 * The segment's rule, validated again on the way out: a document written past the API, or
 * saved under an older version of the language, is refused rather than compiled into a query.
 */
export function storedRule(segment: SegmentDoc): SegmentRule {
  const result = segmentRuleSchema.safeParse(segment.rule);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || 'rule'}: ${i.message}`).join('; ');
  throw new InvalidStoredRule(`segment "${segment._id}" holds an invalid rule (${problems})`);
}
