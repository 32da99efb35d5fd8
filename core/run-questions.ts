// What journey stats ask of a journey's runs, answered two ways that must agree: as a Temporal
// visibility filter, which counts over every run of the journey, and as a test of one listed
// run's search attributes, which tallies over a chosen set of runs (a segment's members: no
// visibility filter can select customers by a segment). Pure.
import type { TypedSearchAttributes } from '@temporalio/common';
import { journeyRunOf } from './ids';
import { SA_CONVERTED, SA_CUSTOMER, SA_OPTIMIZE, SA_SPLITS, SA_STATUS, SA_STEP, SA_VISITED } from './journey-contract';

/** The runs that meet every field given; `{}` asks for every run. */
export interface RunQuestion {
  /** Cairn's status of the run (CairnStatus): running, waiting, completed, exited, stopped. */
  status?: string;
  /** The run converted (CairnConverted). */
  converted?: true;
  /** The run entered the step (CairnVisited). */
  visited?: string;
  /** The run is held on the step now: the step it last showed (CairnStep), and still running in Temporal. */
  on?: string;
  /** The run took a split's path: `<stepId>:<path>` (CairnSplits). */
  split?: string;
  /**
   * An optimizing split's trial of the run: `<step>:<context>:<path>:entered|settled|converted`
   * (CairnOptimize). A run that continued as new leaves a closed row holding the values its next
   * run publishes again: only the latest run of a chain counts its trials.
   */
  optimize?: string;
}

/** One run as visibility lists it: its search attributes and whether Temporal runs it still. */
export interface RunAttributes {
  customerId?: string;
  running: boolean;
  /** Temporal closed the run by continuing it as new: its next run carries its values on. */
  continuedAsNew: boolean;
  status?: string;
  step?: string;
  visited: string[];
  splits: string[];
  optimize: string[];
  converted: boolean;
}

export function runAttributes(info: { workflowId: string; status: { name: string }; typedSearchAttributes: TypedSearchAttributes }): RunAttributes {
  const sa = info.typedSearchAttributes;
  const customerId = sa.get(SA_CUSTOMER) ?? journeyRunOf(info.workflowId)?.customerId;
  const status = sa.get(SA_STATUS);
  const step = sa.get(SA_STEP);
  return {
    ...(customerId !== undefined ? { customerId } : {}),
    running: info.status.name === 'RUNNING',
    continuedAsNew: info.status.name === 'CONTINUED_AS_NEW',
    ...(status !== undefined ? { status } : {}),
    ...(step !== undefined ? { step } : {}),
    visited: sa.get(SA_VISITED) ?? [],
    splits: sa.get(SA_SPLITS) ?? [],
    optimize: sa.get(SA_OPTIMIZE) ?? [],
    converted: sa.get(SA_CONVERTED) === true,
  };
}

/**
 * The question as a visibility filter to AND with the journey's (undefined: every run). Values
 * are step IDs, path names and statuses, which match ID_PATTERN: safe inside the quotes.
 */
export function visibilityFilter(question: RunQuestion): string | undefined {
  const { status, converted, visited, on, split, optimize } = question;
  const clauses = [
    status !== undefined ? `${SA_STATUS.name} = "${status}"` : undefined,
    converted ? `${SA_CONVERTED.name} = true` : undefined,
    // A KeywordList attribute equals a value when the list holds it.
    visited !== undefined ? `${SA_VISITED.name} = "${visited}"` : undefined,
    on !== undefined ? `${SA_STEP.name} = "${on}" AND ExecutionStatus = "Running"` : undefined,
    split !== undefined ? `${SA_SPLITS.name} = "${split}"` : undefined,
    optimize !== undefined ? `${SA_OPTIMIZE.name} = "${optimize}" AND ExecutionStatus != "ContinuedAsNew"` : undefined,
  ].filter((clause) => clause !== undefined);
  return clauses.length > 0 ? clauses.join(' AND ') : undefined;
}

/** Whether the run is one the question counts: the same answer its visibility filter gives. */
export function answers(run: RunAttributes, question: RunQuestion): boolean {
  const { status, converted, visited, on, split, optimize } = question;
  return (
    (status === undefined || run.status === status) &&
    (!converted || run.converted) &&
    (visited === undefined || run.visited.includes(visited)) &&
    (on === undefined || (run.running && run.step === on)) &&
    (split === undefined || run.splits.includes(split)) &&
    (optimize === undefined || (!run.continuedAsNew && run.optimize.includes(optimize)))
  );
}
