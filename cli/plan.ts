// What `apply` would do to make the server match the folder, worked out from both sides
// without I/O. A resource is compared on the fields the folder states, both as the API's
// schemas parse them, so what apply wrote compares equal the next time (nothing to do twice).
import type { JourneyDefinition } from '../core/journey-definition';
import { segmentUses, templateUses } from '../core/journey-references';
import type { LocalResource } from './folder';
import { diffDocuments, sameDocument, type FieldChange } from './json-diff';
import { APPLY_ORDER, KINDS, type Kind } from './resources';
import { resourceKey, type ServerState, type ServerView } from './server-state';

export interface Step {
  action: 'create' | 'update' | 'delete';
  kind: Kind;
  id: string;
  /** The folder resource; absent for a deletion of what the folder lacks. */
  local?: LocalResource;
  /** For create and update: the body to write. */
  body?: unknown;
  changes: FieldChange[];
  /** Said beside the step: "publishes version 3". */
  notes: string[];
  /** Why the step cannot be applied; apply writes nothing while any step has one. */
  problem?: string;
}

export interface Plan {
  /** In the order apply takes them: settings, templates, segments, journeys, then deletions. */
  steps: Step[];
  unchanged: number;
  /** Server resources the folder lacks and apply leaves alone, by kind. */
  kept: { kind: Kind; id: string }[];
}

export function planChanges(resources: readonly LocalResource[], server: ServerState, options: { prune: boolean }): Plan {
  const plan: Plan = { steps: [], unchanged: 0, kept: [] };
  const ordered = [...resources].sort((a, b) => APPLY_ORDER.indexOf(a.kind) - APPLY_ORDER.indexOf(b.kind));
  const deletions: Step[] = [];
  for (const local of ordered) {
    const view = server.views.get(resourceKey(local.kind, local.id));
    const current = view === undefined ? undefined : KINDS[local.kind].managed(view);
    if (local.body === null) {
      // A setting to remove (quiet hours: null).
      if (current === undefined) plan.unchanged += 1;
      else plan.steps.push({ action: 'delete', kind: local.kind, id: local.id, local, changes: [{ path: [], kind: 'removed', before: current }], notes: [] });
      continue;
    }
    if (current !== undefined && sameDocument(current, local.body)) {
      plan.unchanged += 1;
      continue;
    }
    const step: Step = {
      action: view === undefined ? 'create' : 'update',
      kind: local.kind,
      id: local.id,
      local,
      body: local.body,
      // A journey with only a draft has nothing published to compare with.
      changes: current === undefined ? [] : diffDocuments(current, local.body),
      notes: [],
    };
    if (local.kind === 'journey' && server.codeJourneys.has(local.id)) {
      step.problem = 'is a code-first journey type on the server: its steps are code, not a folder file';
    } else if (local.kind === 'journey') describeJourneyChange(step, view);
    plan.steps.push(step);
  }

  const inFolder = new Set(resources.map((r) => resourceKey(r.kind, r.id)));
  const serverOnly = [
    ...server.templates.map((t) => ({ kind: 'template' as const, id: t.id })),
    ...server.segments.map((id) => ({ kind: 'segment' as const, id })),
  ].filter((r) => !inFolder.has(resourceKey(r.kind, r.id)));
  const journeysOnly = server.journeys.filter((j) => !inFolder.has(resourceKey('journey', j.id))).map((j) => ({ kind: 'journey' as const, id: j.id }));
  if (!options.prune) {
    plan.kept.push(...serverOnly, ...journeysOnly);
  } else {
    // Journeys are never deleted (the API archives them, for good): they stay.
    plan.kept.push(...journeysOnly);
    const users = usesAfterApply(resources, server, plan.steps);
    for (const r of serverOnly) {
      const usedBy = users.get(resourceKey(r.kind, r.id));
      deletions.push({
        action: 'delete',
        ...r,
        changes: [],
        notes: [],
        ...(usedBy ? { problem: `cannot be deleted: used by journey ${[...usedBy].map((j) => `"${j}"`).join(', ')}` } : {}),
      });
    }
  }
  plan.steps.push(...deletions);
  return plan;
}

function describeJourneyChange(step: Step, view: ServerView | undefined): void {
  if (view === undefined) return void step.notes.push('publishes version 1');
  if (view.archived === true) step.problem = 'is archived on the server: it can no longer change';
  step.notes.push(`publishes version ${Number(view.version ?? 0) + 1}`);
  if (view.draft !== undefined && view.draft !== null) step.notes.push("replaces the server's unpublished draft");
}

/**
 * The journeys that will name each template and segment (by resourceKey) once the plan is
 * applied: the folder's definitions, a draft a folder journey keeps (apply publishes over a
 * draft only when the journey changes), and the server's other journeys that are not
 * archived, published definition and draft.
 */
function usesAfterApply(resources: readonly LocalResource[], server: ServerState, steps: readonly Step[]): Map<string, Set<string>> {
  const users = new Map<string, Set<string>>();
  const note = (journeyId: string, definition: unknown) => {
    if (!definition) return;
    const d = definition as JourneyDefinition;
    const named = [...templateUses(d).map((u) => resourceKey('template', u.template)), ...segmentUses(d).map((u) => resourceKey('segment', u.segmentId))];
    for (const key of named) users.set(key, (users.get(key) ?? new Set()).add(journeyId));
  };
  const publishing = new Set(steps.filter((s) => s.kind === 'journey').map((s) => s.id));
  for (const r of resources.filter((r) => r.kind === 'journey')) {
    const view = server.views.get(resourceKey('journey', r.id));
    // The API does not count archived journeys as users.
    if (view?.archived === true) continue;
    note(r.id, r.body);
    if (view && !publishing.has(r.id)) note(r.id, view.draft);
  }
  for (const view of server.otherJourneys) {
    note(view.id as string, view.definition);
    note(view.id as string, view.draft);
  }
  for (const type of server.codeUses) {
    const named = [...type.templates.map((id) => resourceKey('template', id)), ...type.segments.map((id) => resourceKey('segment', id))];
    for (const key of named) users.set(key, (users.get(key) ?? new Set()).add(type.id));
  }
  return users;
}
