// The journey definition: the data a marketer writes, validated at the edge (schema, then
// graph checks) and passed whole into each run, so a run keeps the version it started with.
// Pure; the workflow bundle imports its types only.
import { z } from 'zod';
import { checkJourneyGraph } from './journey-graph';
import { durationSchema, idSchema, quietHoursSchema, stepSchema } from './journey-steps';
import { timeZoneSchema } from './locale';
import { eventNameSchema } from './names';

export * from './journey-steps';
export { checkJourneyGraph, successors } from './journey-graph';
export type { GraphIssue } from './journey-graph';

/** How customers enter: only through launches (api), when they join a segment, or on an event. */
export const entrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('api') }).strict(),
  z.object({ type: z.literal('segment'), segmentId: idSchema }).strict(),
  z.object({ type: z.literal('event'), event: eventNameSchema }).strict(),
]);

export const settingsSchema = z
  .object({
    /**
     * Whether a customer may enter again once their run has ended: never (the default), always,
     * or once `after` has passed since their last entry.
     */
    reentry: z.union([z.enum(['never', 'always']), z.object({ after: durationSchema }).strict()]).optional(),
    /** No send in these local hours (the customer's time zone); transactional sends go anyway. */
    quietHours: quietHoursSchema.optional(),
    /** For local-time waits and quiet hours of customers without a time zone of their own. */
    timeZone: timeZoneSchema.optional(),
    /** The customer leaves the journey, wherever they are, when this event arrives. */
    exitOnEvent: eventNameSchema.optional(),
    /** The customer leaves the journey when a change to them means they no longer match the entry segment. */
    exitOnLeavingSegment: z.boolean().optional(),
    /** A conversion: the event within the window after entry. */
    goal: z.object({ event: eventNameSchema, within: durationSchema, exitOnConversion: z.boolean().optional() }).strict().optional(),
  })
  .strict();

export const journeyDefinitionSchema = z
  .object({
    name: z.string().trim().min(1).max(200).meta({ pattern: '\\S', description: 'Not blank' }),
    description: z.string().max(2000).optional(),
    entry: entrySchema.optional(),
    settings: settingsSchema.optional(),
    /** The first step is where every customer enters. */
    steps: z.array(stepSchema).min(1).max(500),
  })
  .strict()
  .check(
    z.superRefine(
      (definition, ctx) => {
        for (const issue of checkJourneyGraph(definition.steps)) ctx.addIssue({ code: 'custom', ...issue });
        if (definition.settings?.exitOnLeavingSegment && definition.entry?.type !== 'segment') {
          ctx.addIssue({ code: 'custom', path: ['settings', 'exitOnLeavingSegment'], message: 'needs an entry of type "segment"' });
        }
      },
      // The graph checks need well-formed steps: run them only once the schema passed.
      { when: (payload) => payload.issues.length === 0 },
    ),
  );

export type JourneyEntry = z.infer<typeof entrySchema>;
export type JourneySettings = z.infer<typeof settingsSchema>;
export type JourneyDefinition = z.infer<typeof journeyDefinitionSchema>;

export interface DefinitionIssue {
  path: PropertyKey[];
  message: string;
}

/**
 * Parses a definition; a problem inside a step names the step by its ID as well as its place,
 * so a message still says which step after the steps are reordered.
 */
export function parseJourneyDefinition(body: unknown): { definition: JourneyDefinition; issues?: undefined } | { issues: DefinitionIssue[] } {
  const result = journeyDefinitionSchema.safeParse(body);
  if (result.success) return { definition: result.data };
  const steps = (body as { steps?: unknown })?.steps;
  return {
    issues: result.error.issues.map((issue) => {
      const [head, index] = issue.path;
      const id = head === 'steps' && typeof index === 'number' && Array.isArray(steps) ? (steps[index] as { id?: unknown })?.id : undefined;
      const message = typeof id === 'string' && !issue.message.startsWith('step') ? `step "${id}": ${issue.message}` : issue.message;
      return { path: issue.path, message };
    }),
  };
}
