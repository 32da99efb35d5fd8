// The JSON the journey routes answer with (api/routes/journeys.ts, launches.ts, code-journeys.ts),
// for the OpenAPI document; the routes check their answers against these types.
import { z } from 'zod';
import { CHANNELS } from '../core/channels';
import { JOURNEY_STATUSES } from '../core/journey-status';
import { named } from './openapi-spec';

const storedDefinition = z.record(z.string(), z.unknown()).meta({ description: 'A JourneyDefinition, as saved' });

export const journeyStatusSchema = z.enum(JOURNEY_STATUSES).meta({
  description:
    'The first that holds: archived; stopped (until launched again); paused; live (segment or event entry, entering customers as they qualify); draft (never published: version 0); published (published, and entering customers only when launched)',
});

const journeySummaryShape = z.object({
  id: z.string(),
  /** `code`: a code-first type (GET /v1/code-journeys), defined by its code: no definition or draft, always version 1. */
  kind: z.enum(['json', 'code']),
  /** The published version's name, else the draft's. */
  name: z.string().optional(),
  status: journeyStatusSchema,
  /** The published version; 0 until the first publish. */
  version: z.number().int(),
  live: z.boolean(),
  paused: z.boolean(),
  stopped: z.boolean(),
  archived: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

/** A journey in a list: the single view without its definitions. */
export const journeySummarySchema = named('JourneySummary', journeySummaryShape);

export const journeyViewSchema = named(
  'Journey',
  journeySummaryShape.extend({
    definition: storedDefinition.optional(),
    draft: storedDefinition.optional(),
  }),
);

const countsSchema = z.record(z.string(), z.number().int());

const optimizePathStatsSchema = z.object({
  entries: z.number().int().meta({ description: 'Customers the optimizer sent down the path' }),
  settled: z.number().int().meta({ description: 'Their trials that converted or whose window closed' }),
  conversions: z.number().int(),
  conversionRate: z.number().nullable().meta({ description: 'conversions / settled; null before any trial settled' }),
  interval: z
    .object({ low: z.number(), high: z.number() })
    .meta({ description: "The conversion rate's 95% Wilson score interval ([0, 1] before any trial settled)" }),
  probabilityBest: z.number().meta({ description: 'The chance the path converts best: Beta(1 + conversions, 1 + failures) posteriors, 20,000 draws' }),
});

const optimizeStatsSchema = named(
  'OptimizeStats',
  z.object({
    goal: z.string(),
    within: z.string(),
    paths: z.record(z.string(), optimizePathStatsSchema).meta({ description: 'Path → its numbers over all customers' }),
    bySegment: z
      .record(z.string(), z.record(z.string(), optimizePathStatsSchema))
      .optional()
      .meta({ description: 'With `segments`: segment ID (or `everyone`) → path → its numbers among customers in it' }),
  }),
);

export const journeyStatsSchema = named(
  'JourneyStats',
  z.object({
    journeyId: z.string(),
    entered: z.number().int(),
    running: z.number().int(),
    waiting: z.number().int(),
    completed: z.number().int(),
    exited: z.number().int(),
    stopped: z.number().int(),
    converted: z.number().int(),
    steps: z.record(
      z.string(),
      z.object({
        entered: z.number().int(),
        now: z.number().int(),
        deliveries: countsSchema.optional().meta({
          description:
            "Outcomes of the step's sends in the ledger: `sent`, `skipped`, `failed`, `claimed` (pending), and skips and failures by reason: `skipped:<reason>` (`skipped:unreachable`, `skipped:capped:<rule>`), `failed:<code>` (`failed:ChannelPermanentRejection`, `failed:rendered-empty:subject`)",
        }),
        byChannelUsed: countsSchema.optional().meta({ description: 'Sent messages per channel they went out on: a fallback counts on its own channel' }),
        fallbacks: z.number().int().optional().meta({ description: "Sent messages that went out on the step's fallback channel" }),
        provider: countsSchema.optional(),
        opened: z.number().int().optional().meta({ description: 'Sent messages opened at least once (`message_opened`: email pixel or click, push open, inbox read)' }),
        clicked: z.number().int().optional().meta({ description: 'Sent messages with a link clicked at least once (`message_clicked`)' }),
        openRate: z.number().optional().meta({ description: '`opened` over sent messages, 0 to 1 (four decimals)' }),
        clickRate: z.number().optional().meta({ description: '`clicked` over sent messages, 0 to 1 (four decimals)' }),
      }),
    ),
    /** Split step → path → customers assigned. */
    splits: z.record(z.string(), countsSchema),
    segment: z
      .object({
        id: z.string(),
        name: z.string(),
        members: z.number().int().meta({ description: "How many of the journey's customers the segment holds now" }),
      })
      .optional()
      .meta({ description: "With `segmentId`: the segment; every number above then counts its members' runs and sends only" }),
    optimize: z
      .record(z.string(), optimizeStatsSchema)
      .optional()
      .meta({ description: 'Optimizing split step → how its paths convert; only journeys with a split that has `optimize`' }),
  }),
);

export const runSummarySchema = named(
  'RunSummary',
  z.object({
    customerId: z.string(),
    /** 1 for the customer's first entry; later entries as the journey's re-entry allows. */
    entry: z.number().int(),
    workflowId: z.string(),
    enteredAt: z.date(),
    /** Temporal's status of the run (RUNNING, COMPLETED...); NOT_STARTED for an entry registered whose run has not started yet. */
    status: z.string(),
    /** Cairn's status of the run (running, waiting, completed, exited, stopped) and its step, as of its latest wait or its end. */
    runStatus: z.string().optional(),
    step: z.string().optional(),
  }),
);

export const runViewSchema = named(
  'Run',
  z.object({
    workflowId: z.string(),
    runId: z.string(),
    /** Temporal's status of the workflow: RUNNING, COMPLETED, TERMINATED... */
    status: z.string(),
    startedAt: z.date().optional(),
    closedAt: z.date().optional(),
    /** The run's own state; absent if no worker answered the query. */
    state: z
      .object({
        journeyId: z.string(),
        journeyVersion: z.number().int(),
        customerId: z.string(),
        status: z.enum(['running', 'waiting', 'completed', 'exited', 'stopped']),
        currentStep: z.string().optional(),
        enteredAt: z.iso.datetime(),
        path: z.array(z.string()),
        sends: z.array(
          z.object({
            stepId: z.string(),
            channel: z.enum(CHANNELS),
            status: z.enum(['sent', 'skipped', 'failed']),
            messageId: z.string().optional(),
            reason: z.string().optional(),
            at: z.iso.datetime(),
          }),
        ),
        splits: z.record(z.string(), z.string()),
        converted: z.object({ eventId: z.string(), at: z.iso.datetime() }).optional(),
        exitReason: z.enum(['exit-event', 'left-segment', 'converted', 'exit-step', 'holdout', 'stopped']).optional(),
        paused: z.boolean().optional(),
        waitingUntil: z.iso.datetime().optional(),
        waitReason: z.string().optional().meta({ description: 'While on a best-time wait: why it ends when it does' }),
        waitingFor: z.object({ event: z.string(), match: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional() }).optional(),
      })
      .optional(),
  }),
);

/** What entering listed customers answers (also for code-first journeys). */
export const launchOutcomeSchema = z.object({
  journeyId: z.string(),
  /** Customers who entered now. */
  entered: z.array(z.string()),
  /** Customers who already had a run of this journey: not entered again. */
  alreadyEntered: z.array(z.string()),
  /** The customers after those above were not tried. */
  halted: z.boolean().optional(),
});

export const launchAnswerSchema = named(
  'LaunchAnswer',
  z.object({
    journeyId: z.string(),
    version: z.number().int(),
    entered: z.array(z.string()).optional(),
    alreadyEntered: z.array(z.string()).optional(),
    halted: z.boolean().optional(),
    /** The journey now enters customers as they qualify (segment or event entry). */
    live: z.literal(true).optional(),
    /** The segment launch started or joined. */
    launch: z.object({ workflowId: z.string(), segmentId: z.string(), progress: z.string().meta({ description: 'Where to read its progress' }) }).optional(),
  }),
);
export type LaunchAnswer = z.infer<typeof launchAnswerSchema>;

export const launchProgressSchema = named(
  'Launch',
  z.object({
    workflowId: z.string(),
    /** Temporal's status of the launch workflow. */
    status: z.string(),
    /** Absent if no worker answered the query. */
    progress: z
      .object({
        status: z.enum(['counting', 'entering', 'completed', 'stopped']),
        estimatedTotal: z.number().int().optional(),
        entered: z.number().int(),
        alreadyEntered: z.number().int(),
        pages: z.number().int(),
        cursor: z.string().optional(),
        startedAt: z.iso.datetime(),
        completedAt: z.iso.datetime().optional(),
        stoppedAt: z.iso.datetime().optional(),
      })
      .optional(),
  }),
);

export const stopAnswerSchema = z.object({
  journeyId: z.string(),
  /** Stop: entries stopped. */
  live: z.literal(false).optional(),
  /** Archive: for good. */
  archived: z.literal(true).optional(),
  /** Runs asked to end. */
  stopping: z.number().int(),
  /** Launches still running after 30 s (their worker is down). */
  launchesStillRunning: z.number().int().optional(),
});
export const stopEntriesAnswerSchema = z.object({ journeyId: z.string(), live: z.literal(false) });
export const runStopAnswerSchema = z.object({ journeyId: z.string(), customerId: z.string(), stopping: z.literal(true) });
export const pauseAnswerSchema = z.object({ journeyId: z.string(), paused: z.boolean(), signalled: z.number().int() });
