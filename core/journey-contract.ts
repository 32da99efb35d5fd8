// The contract of the journey workflow, shared by the workflow, the worker, the API and the
// tests: task queue, input, state, query and search attributes. Pure.
import { defineSearchAttributeKey, type SearchAttributePair, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, type Sinks } from '@temporalio/workflow';
import type { Channel } from './channels';
import type { JourneyDefinition } from './journey-definition';

export const JOURNEY_TASK_QUEUE = 'cairn-journeys';

/**
 * Sends run on a task queue per channel beside the journey queue, so each provider's rate limit
 * is enforced by Temporal across all workers (CAIRN_SEND_RATE_<CHANNEL>).
 */
export function channelTaskQueue(journeyQueue: string, channel: Channel): string {
  return `${journeyQueue}.send.${channel}`;
}

export interface JourneyRunInput {
  journeyId: string;
  /** The journey version the run started with; the run keeps it to the end. */
  journeyVersion: number;
  customerId: string;
  /** 1 for a customer's first entry into this journey. */
  entry: number;
  definition: JourneyDefinition;
  /** Where a run continued-as-new picks up; absent on entry. */
  resume?: RunResume;
  /** A simulation's run (lib/journey-simulation.ts): it reports each step it enters to the journeyTrace sink. */
  trace?: boolean;
}

/**
 * The sink a simulation's worker injects to see when a run enters each step (`at`: workflow
 * time, ISO 8601). Only runs started with `trace` call it: a sink call is no command, so it
 * changes no history, and real workers need not register it.
 */
export interface JourneyTraceSinks extends Sinks {
  journeyTrace: { stepEntered(stepId: string, at: string): void };
}

/** What a run carries across continue-as-new (the events its templates read, too). */
export interface RunResume extends TemplateEvents {
  stepId: string;
  visits: Record<string, number>;
  enteredAt: string;
  path: string[];
  sends: SendRecord[];
  splits: Record<string, string>;
  /** Optimizing splits' trials, open or settled (absent in runs without one). */
  trials?: Record<string, SplitTrial>;
  converted?: Conversion;
  /** The journey was paused when the run continued: the next run holds at its next send too. */
  paused?: boolean;
  /** The latest events heard, by ID, so one delivered again after continue-as-new is heard once. */
  eventIds?: string[];
}

export type RunStatus = 'running' | 'waiting' | 'completed' | 'exited' | 'stopped';

/**
 * The reason the send activity skips a send of a stopped or archived journey; the run that
 * hears it (it missed the stop signal) ends as the signal would have ended it.
 */
export const JOURNEY_STOPPED = 'journey-stopped';

/**
 * The reason a send to an erased customer is skipped (DELETE /v1/customers/{id}); the run that
 * hears it (the erasure's stop had not reached it yet) ends as stopped.
 */
export const CUSTOMER_ERASED = 'customer-erased';

/** Why a run ended before its last step. */
export type ExitReason = 'exit-event' | 'left-segment' | 'converted' | 'exit-step' | 'holdout' | 'stopped';

export interface Conversion {
  eventId: string;
  at: string;
}

/**
 * A run's trial of the path an optimizing split gave it: converted when the split's goal event
 * came before `until`, settled once converted or once `until` passed. The run stays open, still
 * listening, until each of its trials is settled (or it is stopped).
 */
export interface SplitTrial {
  path: string;
  /** The first of the split's segments the customer was in, or "everyone". */
  context: string;
  goal: string;
  /** When the window closes (ISO 8601). */
  until: string;
  converted?: Conversion;
  settled?: boolean;
}

export interface SendRecord {
  stepId: string;
  channel: Channel;
  status: 'sent' | 'skipped' | 'failed';
  /** Provider or inbox message ID, when sent. */
  messageId?: string;
  /** Why it was skipped or failed. */
  reason?: string;
  at: string;
}

export interface JourneyRunState {
  journeyId: string;
  journeyVersion: number;
  customerId: string;
  status: RunStatus;
  /** The step the run is on; absent once completed. */
  currentStep?: string;
  /** When the customer entered (ISO 8601): the conversion window counts from here. */
  enteredAt: string;
  /** Step IDs in the order the run entered them (the latest 100 after continue-as-new). */
  path: string[];
  /** The latest 100 sends. */
  sends: SendRecord[];
  /** The path each split step assigned: step ID → path name (or "holdout"). */
  splits: Record<string, string>;
  /** By optimizing split step ID: the trial of the path it gave. */
  trials?: Record<string, SplitTrial>;
  converted?: Conversion;
  exitReason?: ExitReason;
  /** True while the journey is paused: the run holds before its next send. */
  paused?: boolean;
  /** While in a wait or waitForEvent step: when it ends (ISO 8601). */
  waitingUntil?: string;
  /** While in a wait whose end the activity chose (untilBestTime): why it ends then. */
  waitReason?: string;
  /** While in a waitForEvent step: the event it waits for. */
  waitingFor?: { event: string; match?: Record<string, string | number | boolean> };
}

/** A tracked event, as it reaches the customer's running journeys. */
export interface CustomerEvent {
  id: string;
  name: string;
  /** ISO 8601. */
  timestamp: string;
  properties?: Record<string, unknown>;
}

/**
 * An event as templates read it: the entry event (`{{event.name}}`) or the one that ended a
 * waitForEvent step (`{{events.<stepId>.properties.x}}`). No ID: templates have no use for it,
 * and every send's input carries these.
 */
export interface TemplateEvent {
  name: string;
  /** ISO 8601. */
  timestamp: string;
  properties?: Record<string, unknown>;
}

/** The events a run's templates read, in the send activity's input and the render context. */
export interface TemplateEvents {
  /** The event that entered the customer (event-entry journeys). */
  event?: TemplateEvent;
  /** By waitForEvent step ID: the event that ended the step's latest wait. */
  events?: Record<string, TemplateEvent>;
}

export function templateEvent({ name, timestamp, properties }: CustomerEvent): TemplateEvent {
  return { name, timestamp, ...(properties ? { properties } : {}) };
}

/** Only the fields that hold something: each send's input carries them, and history stays small. */
export function heldTemplateEvents({ event, events }: TemplateEvents): TemplateEvents {
  return { ...(event ? { event } : {}), ...(events && Object.keys(events).length > 0 ? { events } : {}) };
}

export type JourneyRunResult = Pick<JourneyRunState, 'status' | 'path' | 'sends' | 'splits' | 'trials' | 'converted' | 'exitReason'>;

export const journeyStateQuery = defineQuery<JourneyRunState>('journeyState');

/** While a journey is paused its runs send nothing (a send waits for resume); waits go on. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');

/** The customer no longer matches the journey's entry segment (sent on a customer change). */
export const leftSegmentSignal = defineSignal('leftSegment');

/** Ends the run at once, through its own logic (its state and search attributes say so). */
export const stopSignal = defineSignal<[{ reason?: string }]>('stop');

/** Sent by event ingest to each running journey of the customer (and used to start event-entry runs). */
export const customerEventSignal = defineSignal<[CustomerEvent]>('customerEvent');

// Search attributes operators filter on in the Temporal UI, e.g.
//   CairnJourneyId = "welcome" AND CairnStatus = "waiting"
// and that journey stats count (api: GET /v1/journeys/{id}/stats). Values are IDs only, never
// personal data: Temporal stores them in clear.
export const SA_JOURNEY = defineSearchAttributeKey('CairnJourneyId', SearchAttributeType.KEYWORD);
export const SA_CUSTOMER = defineSearchAttributeKey('CairnCustomerId', SearchAttributeType.KEYWORD);
export const SA_STEP = defineSearchAttributeKey('CairnStep', SearchAttributeType.KEYWORD);
export const SA_STATUS = defineSearchAttributeKey('CairnStatus', SearchAttributeType.KEYWORD);
/** Every step the run has entered, as of its latest wait or its end. */
export const SA_VISITED = defineSearchAttributeKey('CairnVisited', SearchAttributeType.KEYWORD_LIST);
/** "<stepId>:<path>" for each split the run passed. */
export const SA_SPLITS = defineSearchAttributeKey('CairnSplits', SearchAttributeType.KEYWORD_LIST);
export const SA_CONVERTED = defineSearchAttributeKey('CairnConverted', SearchAttributeType.BOOL);
/**
 * Optimizing splits' trials, "<stepId>:<context>:<path>:<entered|settled|converted>"
 * (core/split-optimize.ts trialValue): the evidence the optimizer and stats count. The third
 * and last keyword list: the dev server's SQLite visibility holds three.
 */
export const SA_OPTIMIZE = defineSearchAttributeKey('CairnOptimize', SearchAttributeType.KEYWORD_LIST);
export const SEARCH_ATTRIBUTES = [SA_JOURNEY, SA_CUSTOMER, SA_STEP, SA_STATUS, SA_VISITED, SA_SPLITS, SA_CONVERTED, SA_OPTIMIZE];

/**
 * What a run shows from its start (free: Temporal Cloud bills upserts, not the start's
 * attributes): whose run it is and, for a journey definition, its first step, entered. The
 * run upserts the rest when it begins to wait and when it ends.
 */
export function startSearchAttributes(journeyId: string, customerId: string, firstStepId?: string): SearchAttributePair[] {
  return [
    { key: SA_JOURNEY, value: journeyId },
    { key: SA_CUSTOMER, value: customerId },
    ...(firstStepId !== undefined
      ? [
          { key: SA_STEP, value: firstStepId },
          { key: SA_VISITED, value: [firstStepId] },
        ]
      : []),
    { key: SA_STATUS, value: 'running' },
  ];
}

/** The names the Temporal CLI and docker-compose.yml use for each search attribute type. */
export const SEARCH_ATTRIBUTE_CLI_TYPE: Record<string, string> = {
  KEYWORD: 'Keyword',
  KEYWORD_LIST: 'KeywordList',
  BOOL: 'Bool',
};
