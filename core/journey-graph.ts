// Graph checks over a journey's steps. Pure.
import type { Step } from './journey-steps';

export interface GraphIssue {
  path: (string | number)[];
  message: string;
}

/** The steps a step can lead to, each with the field that names it. */
export function successors(step: Step): { field: string; id: string }[] {
  const links: [string, string | undefined][] = (() => {
    switch (step.type) {
      case 'waitForEvent':
        return [
          ['onEvent', step.onEvent],
          ['onTimeout', step.onTimeout],
        ];
      case 'branch':
        return [...step.cases.map((c, i): [string, string | undefined] => [`cases[${i}].next`, c.next]), ['default', step.default]];
      case 'split':
        return step.paths.map((p, i): [string, string | undefined] => [`paths[${i}].next`, p.next]);
      case 'exit':
        return [];
      default:
        return [['next', step.next]];
    }
  })();
  return links.flatMap(([field, id]) => (id === undefined ? [] : [{ field, id }]));
}

/** Steps that hold the customer until time passes (or an event comes): a loop needs one. */
const HOLDING_STEPS = new Set<Step['type']>(['wait', 'waitForEvent']);

/**
 * Unique IDs, every link names a step, every step is reachable from the first, and every
 * cycle passes through a wait (a loop without one would spin and flood the customer).
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
      if (!byId.has(id)) {
        issues.push({ path: ['steps', i, ...fieldPath(field)], message: `step "${step.id}" leads to "${id}", which does not exist` });
      }
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

/** "cases[1].next" → ['cases', 1, 'next'], so issue paths stay structured. */
function fieldPath(field: string): (string | number)[] {
  return field.split(/[.[\]]+/).filter(Boolean).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** A cycle among the steps that do not hold the customer, as its step IDs, if there is one. */
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
