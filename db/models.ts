// MongoDB collections, through mongoose. Every hot path reads and writes by `_id`: the embedded
// store (mongo-java-server) uses only `_id` and unique indexes, and ignores secondary ones.
import { Connection, Schema } from 'mongoose';
import type { Channel } from '../core/channels';
import type { ChannelChoice } from '../core/best-channel';
import type { Engagement } from '../core/engagement';
import type { TemplateContent } from '../core/template-content';
import type { EmailTracking } from '../core/engagement-links';
import { createSegmentModel } from './segment-model';
import { createSuppressionModel } from './suppressions';
import { createErasedRunsModel } from './erased-runs';

export interface PushToken {
  token: string;
  platform: 'ios' | 'android' | 'web';
}

/** Per-event roll-up kept on the customer at ingest, so conditions need no event scan. */
export interface EventRollup {
  count: number;
  first: Date;
  last: Date;
}

export interface CustomerDoc {
  _id: string;
  email?: string;
  /** E.164. */
  phone?: string;
  timeZone?: string;
  /** Canonical BCP 47 tag. */
  locale?: string;
  pushTokens?: PushToken[];
  /** false: opted out of the channel. */
  consent?: Partial<Record<Channel, boolean>>;
  attributes: Record<string, unknown>;
  events?: Record<string, EventRollup>;
  /** Which ingest batches are folded into `events`, by hour received (see lib/event-rollups.ts). */
  ingest?: Record<string, Record<string, number>>;
  lastSeenAt?: Date;
  /** Kept event times per series, newest first (core/event-windows.ts, lib/event-windows.ts). */
  windows?: Record<string, Date[]>;
  /** The series the event log's backfill has folded into `windows`. */
  windowFills?: Record<string, number>;
  /** Opens, clicks and sessions by hour of week and channel (core/engagement.ts). */
  engagement?: Engagement;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A kept series of event times (`_id`: its key, core/event-windows.ts): ingest folds the events
 * received from `from` on, the backfill those received before; `filledAt` once it has.
 */
export interface EventWindowDoc {
  _id: string;
  event: string;
  where: Record<string, unknown>;
  from: Date;
  filledAt?: Date;
  createdAt: Date;
}


export interface TemplateDoc {
  _id: string;
  channel: Channel;
  content: TemplateContent;
  /** Email: opens and clicks tracked unless set to false (core/engagement-links.ts). */
  tracking?: EmailTracking;
  createdAt: Date;
  updatedAt: Date;
}

export interface JourneyDoc {
  _id: string;
  /**
   * `code`: a code-first type's record (db/code-journey-records.ts), written when a worker or
   * the API starts; its definition is its code, so it has none. Absent on JSON journeys.
   */
  kind?: 'code';
  /** A code-first type's launch input that live entries (segment or event) pass to their runs. */
  liveInput?: Record<string, unknown>;
  /** The published version, incremented on every publish (0: never published); runs record theirs. */
  version: number;
  /** The published definition (absent until the first publish). */
  definition?: Record<string, unknown>;
  /** Work in progress, validated but not used by launches until published. */
  draft?: Record<string, unknown>;
  /** Set by a launch: segment- and event-entry journeys then enter customers as they qualify. */
  live?: boolean;
  /**
   * Every event name some published version's runs can hear (core/journey-listens.ts): runs
   * keep the version they started with, so a name stays here after a later version drops it.
   */
  listensTo?: string[];
  /** Paused: nobody enters, and runs hold before their next send until resumed. */
  paused?: boolean;
  /**
   * Stopped: its runs were asked to end, send nothing more, and its launches enter nobody,
   * until it is launched again.
   */
  stopped?: boolean;
  /** Archived: stopped for good, read-only. */
  archived?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Every version of every journey, kept so a run or a launch can name the one it uses. */
export interface JourneyVersionDoc {
  /** `${journeyId}@${version}` */
  _id: string;
  journeyId: string;
  version: number;
  definition: Record<string, unknown>;
  createdAt: Date;
}

/** A customer's entries into a journey that allows re-entry; `_id` is `${journeyId}:${customerId}`. */
export interface JourneyEntryDoc {
  _id: string;
  /** The latest entry number: the run is `journey:<journeyId>:<customerId>:<last>`. */
  last: number;
  lastEnteredAt: Date;
  /** The entry whose run the lapse re-check told that its customer left the entry segment. */
  left?: number;
}

/**
 * The places sends hold under each frequency-cap rule, for one customer (`_id`): the newest
 * `limit` per rule, oldest first, each with its time (ms) and the send's key.
 */
export interface FrequencyDoc {
  _id: string;
  held?: Record<string, { t: number; k: string }[]>;
}

/** Settings documents by name, e.g. `frequency-caps`. */
export interface SettingsDoc {
  _id: string;
  value: Record<string, unknown>;
  updatedAt: Date;
}

export type DeliveryState = 'claimed' | 'sent' | 'skipped' | 'failed';

/** One row per send, keyed by its idempotency key: the delivery ledger. */
export interface DeliveryDoc {
  _id: string;
  state: DeliveryState;
  /** The step's channel until the message goes out; then the channel used (the fallback, maybe). */
  channel: Channel;
  /** The step's channel, kept when a fallback is used (absent on rows written before it was kept). */
  plannedChannel?: Channel;
  customerId: string;
  journeyId: string;
  stepId: string;
  attempts: number;
  messageId?: string;
  reason?: string;
  /** The ApplicationFailure type of a failed send. */
  failureType?: string;
  /** A best-channel send's choice (core/best-channel.ts), written with the hand-off. */
  choice?: ChannelChoice;
  /** Set once, when the message first went to the provider: the route taken and what was sent. */
  handOff?: { at: Date; channel: Channel; templateId: string; digest: string };
  /** The attempt that owns the hand-off now, until when (activities/ledger.ts takeOver). */
  lease?: { owner: string; until: Date };
  /** Parts delivered so far (push: one per device), with the provider's message IDs. */
  parts?: Record<string, string>;
  /** Provider facts kept with the send (SMS segments, devices reached...). */
  detail?: Record<string, string | number>;
  /** When the customer first opened, and first clicked, the message (lib/engagement-events.ts). */
  openedAt?: Date;
  clickedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * One status the provider reported for a sent message (Twilio status callbacks): one document
 * per (send key, status), written once. Kept apart from the ledger, which only the send
 * activity writes, and one document per status, because callbacks for one message can arrive
 * at the same moment, in any order.
 */
export interface DeliveryReportDoc {
  /** `<send key>|<status>` */
  _id: string;
  key: string;
  status: string;
  at: Date;
  channel: Channel;
  /** From the ledger row, so journey stats can count provider outcomes per step. */
  journeyId: string;
  stepId: string;
  providerMessageId?: string;
  errorCode?: string;
}

export interface InboxMessageDoc {
  /** The send's idempotency key, so a retried delivery overwrites nothing and adds nothing. */
  _id: string;
  customerId: string;
  journeyId: string;
  title: string;
  body: string;
  link?: string;
  /** A test send from the API, not a journey's. */
  test?: boolean;
  createdAt: Date;
  readAt?: Date;
}

/** A tracked event; `_id` is the client's own event ID, so a resent event is a duplicate. */
export interface EventDoc {
  _id: string;
  customerId: string;
  name: string;
  timestamp: Date;
  properties?: Record<string, unknown>;
  receivedAt: Date;
  /** The ingest request that stored it (lib/event-ingest.ts); its events share `receivedAt`. */
  batch: string;
}

/** An ingest batch whose events were dispatched to journeys; only such batches have one. */
export interface EventBatchDoc {
  _id: string;
  dispatchedAt: Date;
}

const timestamps = { timestamps: true, versionKey: false } as const;

export function createModels(conn: Connection) {
  const customerSchema = new Schema<CustomerDoc>(
    {
      _id: { type: String, required: true },
      email: String,
      // Inbound texts find their sender by number (an index on MongoDB; the embedded store scans).
      phone: { type: String, index: true },
      timeZone: String,
      locale: String,
      pushTokens: { type: [{ _id: false, token: String, platform: String }], default: undefined },
      consent: { type: Schema.Types.Mixed },
      attributes: { type: Schema.Types.Mixed, default: {} },
      events: { type: Schema.Types.Mixed },
      ingest: { type: Schema.Types.Mixed },
      lastSeenAt: Date,
      windows: { type: Schema.Types.Mixed },
      windowFills: { type: Schema.Types.Mixed },
      engagement: { type: Schema.Types.Mixed },
    },
    { ...timestamps, minimize: false },
  );
  // Windowed conditions compare `windows.<key>.<n>` (MongoDB serves them from this index and
  // checks the place on the documents it finds; the embedded store scans).
  customerSchema.index({ 'windows.$**': 1 });
  const customers = conn.model<CustomerDoc>('Customer', customerSchema, 'customers');
  const eventWindows = conn.model<EventWindowDoc>(
    'EventWindow',
    new Schema<EventWindowDoc>(
      {
        _id: { type: String, required: true },
        event: { type: String, required: true },
        where: { type: Schema.Types.Mixed, required: true },
        from: { type: Date, required: true },
        filledAt: Date,
        createdAt: { type: Date, required: true },
      },
      { versionKey: false, minimize: false },
    ),
    'event_windows',
  );
  const templates = conn.model<TemplateDoc>(
    'Template',
    new Schema<TemplateDoc>(
      {
        _id: { type: String, required: true },
        channel: { type: String, required: true },
        content: { type: Schema.Types.Mixed, required: true },
        tracking: { type: new Schema({ opens: Boolean, clicks: Boolean }, { _id: false }), default: undefined },
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
        version: { type: Number, required: true, default: 0 },
        kind: String,
        liveInput: Schema.Types.Mixed,
        definition: Schema.Types.Mixed,
        draft: Schema.Types.Mixed,
        live: Boolean,
        listensTo: { type: [String], default: undefined },
        paused: Boolean,
        stopped: Boolean,
        archived: Boolean,
      },
      timestamps,
    ),
    'journeys',
  );
  const journeyVersions = conn.model<JourneyVersionDoc>(
    'JourneyVersion',
    new Schema<JourneyVersionDoc>(
      {
        _id: { type: String, required: true },
        journeyId: { type: String, required: true },
        version: { type: Number, required: true },
        definition: { type: Schema.Types.Mixed, required: true },
        createdAt: { type: Date, required: true },
      },
      { versionKey: false },
    ),
    'journey_versions',
  );
  const deliveries = conn.model<DeliveryDoc>(
    'Delivery',
    new Schema<DeliveryDoc>(
      {
        _id: { type: String, required: true },
        state: { type: String, required: true },
        channel: { type: String, required: true },
        plannedChannel: String,
        // A customer's messages, newest first (an index on MongoDB; the embedded store scans).
        customerId: { type: String, required: true, index: true },
        // Journey stats read a journey's rows (an index on MongoDB; the embedded store scans).
        journeyId: { type: String, required: true, index: true },
        stepId: { type: String, required: true },
        attempts: { type: Number, default: 0 },
        messageId: String,
        reason: String,
        failureType: String,
        choice: { type: Schema.Types.Mixed },
        handOff: { type: new Schema({ at: Date, channel: String, templateId: String, digest: String }, { _id: false }), default: undefined },
        lease: { type: new Schema({ owner: String, until: Date }, { _id: false }), default: undefined },
        parts: { type: Schema.Types.Mixed },
        detail: { type: Schema.Types.Mixed },
        openedAt: Date,
        clickedAt: Date,
      },
      timestamps,
    ),
    'deliveries',
  );
  const deliveryReports = conn.model<DeliveryReportDoc>(
    'DeliveryReport',
    new Schema<DeliveryReportDoc>(
      {
        _id: { type: String, required: true },
        key: { type: String, required: true },
        status: { type: String, required: true },
        at: { type: Date, required: true },
        channel: { type: String, required: true },
        journeyId: { type: String, required: true, index: true },
        stepId: { type: String, required: true },
        providerMessageId: String,
        errorCode: String,
      },
      { versionKey: false },
    ),
    'delivery_reports',
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
        test: Boolean,
        createdAt: { type: Date, required: true },
        readAt: Date,
      },
      { versionKey: false },
    ),
    'inbox',
  );
  const eventSchema = new Schema<EventDoc>(
    {
      _id: { type: String, required: true },
      customerId: { type: String, required: true, index: true },
      name: { type: String, required: true },
      timestamp: { type: Date, required: true },
      properties: Schema.Types.Mixed,
      // The sweep reads batches by time received (an index on MongoDB; the embedded store scans).
      receivedAt: { type: Date, required: true, index: true },
      batch: { type: String, required: true },
    },
    { versionKey: false },
  );
  // A new windowed series is backfilled from the log by event name and time (lib/event-windows.ts).
  eventSchema.index({ name: 1, timestamp: 1 });
  const events = conn.model<EventDoc>('Event', eventSchema, 'events');
  const eventBatches = conn.model<EventBatchDoc>(
    'EventBatch',
    new Schema<EventBatchDoc>({ _id: { type: String, required: true }, dispatchedAt: { type: Date, required: true } }, { versionKey: false }),
    'event_batches',
  );
  const journeyEntries = conn.model<JourneyEntryDoc>(
    'JourneyEntry',
    new Schema<JourneyEntryDoc>(
      { _id: { type: String, required: true }, last: { type: Number, required: true }, lastEnteredAt: { type: Date, required: true }, left: Number },
      { versionKey: false },
    ),
    'journey_entries',
  );
  const frequency = conn.model<FrequencyDoc>(
    'Frequency',
    new Schema<FrequencyDoc>({ _id: { type: String, required: true }, held: Schema.Types.Mixed }, { versionKey: false }),
    'frequency',
  );
  const settings = conn.model<SettingsDoc>(
    'Settings',
    new Schema<SettingsDoc>(
      { _id: { type: String, required: true }, value: { type: Schema.Types.Mixed, required: true }, updatedAt: Date },
      { versionKey: false },
    ),
    'settings',
  );
  const segments = createSegmentModel(conn);
  const suppressions = createSuppressionModel(conn);
  const erasedRuns = createErasedRunsModel(conn);
  return { customers, templates, journeys, journeyVersions, journeyEntries, deliveries, deliveryReports, inbox, events, eventBatches, eventWindows, segments, frequency, settings, suppressions, erasedRuns };
}

export type Models = ReturnType<typeof createModels>;
