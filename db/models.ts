// MongoDB collections, through mongoose. Every hot path reads and writes by `_id`: FerretDB
// (our local server) pushes only exact `_id` filters down to storage.
import { Connection, Schema } from 'mongoose';
import type { Channel } from '../core/channels';
import type { TemplateContent } from '../core/template-content';

export interface CustomerDoc {
  _id: string;
  email?: string;
  timeZone?: string;
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}


export interface TemplateDoc {
  _id: string;
  channel: Channel;
  content: TemplateContent;
  createdAt: Date;
  updatedAt: Date;
}

export interface JourneyDoc {
  _id: string;
  /** Incremented on every change; runs record the version they started with. */
  version: number;
  definition: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryState = 'claimed' | 'sent' | 'skipped' | 'failed';

/** One row per send, keyed by its idempotency key: the delivery ledger. */
export interface DeliveryDoc {
  _id: string;
  state: DeliveryState;
  channel: Channel;
  customerId: string;
  journeyId: string;
  stepId: string;
  attempts: number;
  messageId?: string;
  reason?: string;
  /** The ApplicationFailure type of a failed send. */
  failureType?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface InboxMessageDoc {
  /** The send's idempotency key, so a retried delivery overwrites nothing and adds nothing. */
  _id: string;
  customerId: string;
  journeyId: string;
  title: string;
  body: string;
  link?: string;
  createdAt: Date;
  readAt?: Date;
}

const timestamps = { timestamps: true, versionKey: false } as const;

export function createModels(conn: Connection) {
  const customers = conn.model<CustomerDoc>(
    'Customer',
    new Schema<CustomerDoc>(
      {
        _id: { type: String, required: true },
        email: String,
        timeZone: String,
        attributes: { type: Schema.Types.Mixed, default: {} },
      },
      { ...timestamps, minimize: false },
    ),
    'customers',
  );
  const templates = conn.model<TemplateDoc>(
    'Template',
    new Schema<TemplateDoc>(
      {
        _id: { type: String, required: true },
        channel: { type: String, required: true },
        content: { type: Schema.Types.Mixed, required: true },
      },
      timestamps,
    ),
    'templates',
  );
  const journeys = conn.model<JourneyDoc>(
    'Journey',
    new Schema<JourneyDoc>(
      {
        _id: { type: String, required: true },
        version: { type: Number, required: true },
        definition: { type: Schema.Types.Mixed, required: true },
      },
      timestamps,
    ),
    'journeys',
  );
  const deliveries = conn.model<DeliveryDoc>(
    'Delivery',
    new Schema<DeliveryDoc>(
      {
        _id: { type: String, required: true },
        state: { type: String, required: true },
        channel: { type: String, required: true },
        customerId: { type: String, required: true },
        journeyId: { type: String, required: true },
        stepId: { type: String, required: true },
        attempts: { type: Number, default: 0 },
        messageId: String,
        reason: String,
        failureType: String,
      },
      timestamps,
    ),
    'deliveries',
  );
  const inbox = conn.model<InboxMessageDoc>(
    'InboxMessage',
    new Schema<InboxMessageDoc>(
      {
        _id: { type: String, required: true },
        customerId: { type: String, required: true, index: true },
        journeyId: { type: String, required: true },
        title: { type: String, required: true },
        body: { type: String, required: true },
        link: String,
        createdAt: { type: Date, required: true },
        readAt: Date,
      },
      { versionKey: false },
    ),
    'inbox',
  );
  return { customers, templates, journeys, deliveries, inbox };
}

export type Models = ReturnType<typeof createModels>;
