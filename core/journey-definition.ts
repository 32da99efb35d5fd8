// The journey definition: the data a marketer writes, validated at the edge (schema, then
// graph checks) and passed whole into each run, so a run keeps the version it started with.
// Pure; the workflow bundle imports its types only.
import { z } from 'zod';
import { CHANNELS } from './channels';
import { parseDuration } from './duration';
import { ID_PATTERN, ID_RULE } from './ids';
import { attributeNameSchema, eventNameSchema } from './names';

export const idSchema = z.string().regex(ID_PATTERN, `must use ${ID_RULE}`);

const durationSchema = z.string().refine((text) => parseDuration(text) !== undefined, {
  message: 'must be a duration such as "30m", "2h", "2d", "1w" or "1d12h", at most ten years',
});

const stepBase = {
  id: idSchema,
  /** The step that follows; none ends the journey. */
  next: idSchema.optional(),
};

export const sendStepSchema = z
  .object({
    ...stepBase,
    type: z.literal('send'),
    channel: z.enum(CHANNELS),
    template: idSchema,
  })
  .strict();

export const waitStepSchema = z
  .object({
    ...stepBase,
    type: z.literal('wait'),
    duration: durationSchema,
  })
  .strict();

/** Property values an event must carry to count: equality on each named property. */
const propertyMatchSchema = z
  .record(attributeNameSchema, z.union([z.string().max(1000), z.number(), z.boolean()]))
  .refine((m) => Object.keys(m).length <= 20, 'at most 20 properties');

export const waitForEventStepSchema = z
  .object({
    id: idSchema,
    type: z.literal('waitForEvent'),
    event: eventNameSchema,
    match: propertyMatchSchema.optional(),
    timeout: durationSchema,
    /** Where the customer goes when the event arrives in time; none ends the journey. */
    onEvent: idSchema.optional(),
    /** Where the customer goes when the time runs out; none ends the journey. */
    onTimeout: idSchema.optional(),
  })
  .strict();

export const stepSchema = z.discriminatedUnion('type', [sendStepSchema, waitStepSchema, waitForEventStepSchema]);

/** How customers enter: only through launches (api), when they join a segment, or on an event. */
export const entrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('api') }).strict(),
  z.object({ type: z.literal('segment'), segmentId: idSchema }).strict(),
  z.object({ type: z.literal('event'), event: eventNameSchema }).strict(),
]);

export const journeyDefinitionSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    entry: entrySchema.optional(),
    /** The first step is where every customer enters. */
    steps: z.array(stepSchema).min(1).max(500),
  })
  .strict()
  .check(
    z.superRefine(
      (definition, ctx) => {
        for (const issue of checkJourneyGraph(definition.steps)) ctx.addIssue({ code: 'custom', ...issue });
      },
      // The graph checks need well-formed steps: run them only once the schema passed.
      { when: (payload) => payload.issues.length === 0 },
    ),
  );

export type SendStep = z.infer<typeof sendStepSchema>;
export type WaitStep = z.infer<typeof waitStepSchema>;
export type WaitForEventStep = z.infer<typeof waitForEventStepSchema>;
export type JourneyEntry = z.infer<typeof entrySchema>;
export type Step = z.infer<typeof stepSchema>;
export type JourneyDefinition = z.infer<typeof journeyDefinitionSchema>;

export interface GraphIssue {
  path: (string | number)[];
  message: string;
}

/** The steps a step can lead to, each with the field that names it. */
export function successors(step: Step): { field: string; id: string }[] {
  const links = step.type === 'waitForEvent' ? { onEvent: step.onEvent, onTimeout: step.onTimeout } : { next: step.next };
  return Object.entries(links).flatMap(([field, id]) => (id === undefined ? [] : [{ field, id }]));
}

/** Steps that hold the customer until time passes (or an event comes): a loop needs one. */
const HOLDING_STEPS = new Set<Step['type']>(['wait', 'waitForEvent']);

/**
 * Graph checks over already well-formed steps: unique IDs, every `next` names a step, every
 * step is reachable from the first, and every cycle passes through a wait (a loop without a
 * wait would spin and flood the customer).
 */
export function checkJourneyGraph(steps: Step[]): GraphIssue[] {
  const issues: GraphIssue[] = [];
  if (steps.length === 0) return [{ path: ['steps'], message: 'a journey needs at least one step' }];
  const byId = new Map<string, Step>();
  steps.forEach((step, i) => {
    if (byId.has(step.id)) issues.push({ path: ['steps', i, 'id'], message: `step "${step.id}" is defined twice` });
    else byId.set(step.id, step);
  });
  steps.forEach((step, i) => {
    for (const { field, id } of successors(step)) {
      if (!byId.has(id)) issues.push({ path: ['steps', i, field], message: `step "${step.id}" leads to "${id}", which does not exist` });
    }
  });
  if (issues.length > 0) return issues;

  const reachable = new Set<string>([steps[0].id]);
  for (const id of reachable) for (const next of successors(byId.get(id)!)) reachable.add(next.id);
  steps.forEach((step, i) => {
    if (!reachable.has(step.id)) issues.push({ path: ['steps', i], message: `step "${step.id}" cannot be reached from the first step` });
  });

  const loop = findLoopWithoutWait(steps, byId);
  if (loop) {
    issues.push({
      path: ['steps', steps.findIndex((s) => s.id === loop[0])],
      message: `steps ${loop.map((id) => `"${id}"`).join(' → ')} form a loop without a wait step`,
    });
  }
  return issues;
}

/** A cycle among the non-wait steps, as the list of its step IDs, if there is one. */
function findLoopWithoutWait(steps: Step[], byId: Map<string, Step>): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const step = byId.get(id)!;
    if (HOLDING_STEPS.has(step.type) || done.has(id)) return undefined;
    const at = onPath.indexOf(id);
    if (at >= 0) return onPath.slice(at);
    onPath.push(id);
    for (const next of successors(step)) {
      const loop = visit(next.id);
      if (loop) return loop;
    }
    onPath.pop();
    done.add(id);
    return undefined;
  };
  for (const step of steps) {
    const loop = visit(step.id);
    if (loop) return loop;
  }
  return undefined;
}
