// A plan in words, as `cairn diff` prints it:
//   + template cart-reminder (templates/cart-reminder.yaml)
//   ~ journey abandoned-cart (journeys/abandoned-cart.yaml): publishes version 2
//       ~ steps[id=wait-order].timeout: "1h" → "2h"
import { plural } from './command';
import { formatPath, type FieldChange } from './json-diff';
import type { Plan, Step } from './plan';
import { lineDiff } from './text-diff';

const MARK = { create: '+', update: '~', delete: '-' } as const;
const MAX_VALUE = 100;

export function formatValue(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

export function formatChange(change: FieldChange): string[] {
  const path = formatPath(change.path) || '(whole)';
  switch (change.kind) {
    case 'added':
      return [`+ ${path}: ${formatValue(change.after)}`];
    case 'removed':
      return [`- ${path}`];
    case 'reordered':
      return [`~ ${path}: order ${(change.before as string[]).join(', ')} → ${(change.after as string[]).join(', ')}`];
    case 'changed': {
      const { before, after } = change;
      if (typeof before === 'string' && typeof after === 'string' && (before.includes('\n') || after.includes('\n'))) {
        return [`~ ${path}:`, ...lineDiff(before, after).map((line) => `    ${line}`)];
      }
      return [`~ ${path}: ${formatValue(before)} → ${formatValue(after)}`];
    }
  }
}

export function describeStep(step: Step): string {
  const file = step.local ? ` (${step.local.source.file})` : '';
  const notes = step.problem ? [`error: ${step.problem}`] : step.notes;
  return `${MARK[step.action]} ${step.kind} ${step.id}${file}${notes.length > 0 ? `: ${notes.join('; ')}` : ''}`;
}

export function formatPlan(plan: Plan, options: { prune: boolean }): string[] {
  const lines: string[] = [];
  for (const step of plan.steps) {
    lines.push(describeStep(step));
    // A creation is the whole file; an update lists its fields.
    if (step.action === 'update') lines.push(...step.changes.flatMap(formatChange).map((line) => `    ${line}`));
  }
  const count = (action: Step['action']) => plan.steps.filter((s) => s.action === action).length;
  const total = plan.steps.length + plan.unchanged;
  if (plan.steps.length === 0) lines.push(`No changes: the server matches the folder (${plural(total, 'resource')}).`);
  else lines.push(`${count('create')} to create, ${count('update')} to change, ${count('delete')} to delete, ${plan.unchanged} unchanged.`);
  if (plan.kept.length > 0) lines.push(keptLine(plan, options));
  return lines;
}

function keptLine(plan: Plan, options: { prune: boolean }): string {
  const byKind = ['template', 'segment', 'journey']
    .map((kind) => [kind, plan.kept.filter((k) => k.kind === kind).length] as const)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => plural(n, kind));
  const why = options.prune ? 'journeys are never deleted: archive them through the API' : '--prune deletes templates and segments the folder lacks';
  return `On the server only, left alone: ${byKind.join(', ')} (${why}).`;
}
