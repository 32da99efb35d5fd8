// What a code-first journey type (workflows/code-first/) declares: the data the API, the worker,
// ingest and stats need to treat it as a journey like any other, next to the TypeScript that
// runs it. Pure; the workflow bundle imports it too (the kit reads the settings, steps and splits).
import type { z } from 'zod';
import { codeSplitOptimizeSchema, type JourneyEntry, type JourneySettings, type SplitOptimize } from './journey-definition';

/** A split step's paths, as a JSON split step has them (without `next`: the code goes on). */
export interface CodeJourneySplit {
  paths: readonly { name: string; weight: number }[];
  /** A control group: the run ends there, as a JSON split's holdout ends it. */
  holdout?: { weight: number };
  /** Move customers toward the path that converts, as a JSON split's `optimize` does. */
  optimize?: SplitOptimize;
}

export interface CodeJourneyDeclaration<Input extends z.ZodType = z.ZodType> {
  /** The journey ID: stats, pause, stop, runs and search attributes use it, as a JSON journey's. */
  id: string;
  /** The exported workflow function's name (workflows/index.ts exports it). */
  workflowType: string;
  description: string;
  /**
   * What a launch passes to every run (`POST /v1/code-journeys/{id}/launch` with `input`),
   * validated by this schema; the workflow's input type is inferred from it.
   */
  input: Input;
  /** Quiet hours, time zone, goal, exit on event, exit on leaving the entry segment, as a JSON journey's. */
  settings?: JourneySettings;
  /** Live entry besides launches: customers enter as they join the segment or on the event, once launched. */
  entry?: JourneyEntry;
  /** Every step ID the code runs: stats count each, and the kit refuses any other. */
  steps: readonly string[];
  /** The split steps among them, with their paths. */
  splits?: Readonly<Record<string, CodeJourneySplit>>;
  /** Event names its waitForEvent steps wait for (the goal's and the exit's are added). */
  waitsFor?: readonly string[];
  /**
   * Every template its sends use, fallbacks included: deleting one answers 409 while the type is
   * not archived, as for a JSON journey that names it; the kit refuses any other.
   */
  templates: readonly string[];
  /** The segments its branches test: deleting one answers 409 likewise; the kit refuses any other. */
  segments?: readonly string[];
}

export interface CodeJourneyType<Input extends z.ZodType = z.ZodType> extends CodeJourneyDeclaration<Input> {
  /**
   * Every event name the type's runs wait for, exit on or count as a goal: ingest signals a run
   * only the events its journey hears.
   */
  listensTo: readonly string[];
}

/**
 * A type's declaration, with the events its runs hear worked out from it. Its splits' `optimize`
 * is checked as a JSON split's is: a bad one would fail inside every run (a `within` that parses
 * to no date, shares over 1), so it throws here, at import, failing the worker's and the API's start.
 */
export function defineCodeJourney<Input extends z.ZodType>(declaration: CodeJourneyDeclaration<Input>): CodeJourneyType<Input> {
  for (const [splitId, split] of Object.entries(declaration.splits ?? {})) {
    const issue = codeSplitOptimizeSchema.safeParse(split).error?.issues[0];
    if (issue) throw new Error(`code-first journey type "${declaration.id}", split "${splitId}": ${issue.path.join('.')}: ${issue.message}`);
  }
  const { settings } = declaration;
  const heard = new Set([
    ...(declaration.waitsFor ?? []),
    ...(settings?.exitOnEvent ? [settings.exitOnEvent] : []),
    ...(settings?.goal ? [settings.goal.event] : []),
    ...Object.values(declaration.splits ?? {}).flatMap((split) => (split.optimize ? [split.optimize.goal] : [])),
  ]);
  return { ...declaration, listensTo: [...heard].sort() };
}

/** The launch input of a type's runs, as its schema outputs it. */
export type CodeJourneyInputOf<T extends CodeJourneyType> = z.output<T['input']>;
