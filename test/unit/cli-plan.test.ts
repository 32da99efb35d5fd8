// `cairn diff` and `apply` plan from the folder and the server's state: what matches is left
// alone, journeys publish only when their definition differs, and --prune deletes only what no
// journey will name.
import type { LocalResource } from '../../cli/folder';
import { planChanges } from '../../cli/plan';
import type { Kind } from '../../cli/resources';
import { resourceKey, type ServerState, type ServerView } from '../../cli/server-state';
import { parseSource, type SourceFile } from '../../cli/source-file';

const source = (file: string) => parseSource(file, '{}') as SourceFile;
const local = (kind: Kind, id: string, body: unknown): LocalResource => ({ kind, id, body, at: [], source: source(`${kind}s/${id}.yaml`) });
const stamps = { createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-02T00:00:00.000Z' };

const email = { channel: 'email', content: { subject: 'Hi', text: 'Hello' } };
const journeyUsing = (template: string) => ({ name: 'J', steps: [{ id: 's', type: 'send', channel: 'email', template }] });

function state(views: [Kind, string, ServerView][], extra: Partial<ServerState> = {}): ServerState {
  return {
    views: new Map(views.map(([kind, id, view]) => [resourceKey(kind, id), view])),
    templates: views.filter(([k]) => k === 'template').map(([, id, v]) => ({ id, channel: v.channel as 'email' })),
    segments: views.filter(([k]) => k === 'segment').map(([, id]) => id),
    journeys: views.filter(([k]) => k === 'journey').map(([, id]) => ({ id, status: 'published' })),
    codeJourneys: new Set(),
    otherJourneys: [],
    codeUses: [],
    ...extra,
  };
}

test('when the server holds what the folder says, then nothing is planned (timestamps and versions are the server’s)', () => {
  const folder = [local('template', 't', email), local('journey', 'j', journeyUsing('t'))];
  const server = state([
    ['template', 't', { id: 't', ...email, ...stamps }],
    ['journey', 'j', { id: 'j', version: 7, status: 'published', definition: journeyUsing('t'), ...stamps }],
  ]);
  expect(planChanges(folder, server, { prune: false })).toEqual({ steps: [], unchanged: 2, kept: [] });
});

test('when resources are new or differ, then they are planned in apply order: settings, templates, segments, journeys', () => {
  const folder = [
    local('journey', 'j', journeyUsing('t')),
    local('segment', 's', { name: 'S', rule: { attribute: 'plan', op: 'eq', value: 'pro' } }),
    local('template', 't', email),
    local('setting', 'frequency-caps', { rules: [] }),
  ];
  const server = state([['template', 't', { id: 't', ...email, content: { subject: 'Old', text: 'Hello' }, ...stamps }]]);
  const plan = planChanges(folder, server, { prune: false });
  expect(plan.steps.map((s) => [s.action, s.kind, s.id])).toEqual([
    ['create', 'setting', 'frequency-caps'],
    ['update', 'template', 't'],
    ['create', 'segment', 's'],
    ['create', 'journey', 'j'],
  ]);
  expect(plan.steps[1].changes).toEqual([{ path: ['content', 'subject'], kind: 'changed', before: 'Old', after: 'Hi' }]);
  expect(plan.steps[3].notes).toEqual(['publishes version 1']);
});

test('when a journey differs from its published version, then the next version is planned, saying a draft is replaced', () => {
  const server = state([['journey', 'j', { id: 'j', version: 3, definition: journeyUsing('a'), draft: journeyUsing('b'), ...stamps }]]);
  const [step] = planChanges([local('journey', 'j', journeyUsing('c'))], server, { prune: false }).steps;
  expect(step).toMatchObject({ action: 'update', notes: ['publishes version 4', "replaces the server's unpublished draft"] });
  expect(step.problem).toBeUndefined();
});

test('when a changed journey is archived on the server, then the step cannot be applied', () => {
  const server = state([['journey', 'j', { id: 'j', version: 1, archived: true, definition: journeyUsing('a'), ...stamps }]]);
  expect(planChanges([local('journey', 'j', journeyUsing('b'))], server, { prune: false }).steps[0].problem).toBe('is archived on the server: it can no longer change');
});

test('when quiet hours are null in the folder, then they are removed if set, and left alone if not', () => {
  const quiet = local('setting', 'quiet-hours', null);
  expect(planChanges([quiet], state([]), { prune: false })).toMatchObject({ steps: [], unchanged: 1 });
  const set = state([['setting', 'quiet-hours', { start: '21:00', end: '08:00' }]]);
  expect(planChanges([quiet], set, { prune: false }).steps.map((s) => s.action)).toEqual(['delete']);
});

describe('server resources the folder lacks', () => {
  const server = () =>
    state(
      [
        ['template', 'unused', { id: 'unused', ...email, ...stamps }],
        ['template', 'drafted', { id: 'drafted', ...email, ...stamps }],
        ['template', 'folder-uses', { id: 'folder-uses', ...email, ...stamps }],
        ['segment', 'old', { id: 'old', name: 'Old', rule: {}, ...stamps }],
      ],
      {
        journeys: [{ id: 'other', status: 'published' }],
        otherJourneys: [{ id: 'other', version: 1, definition: { name: 'O', steps: [{ id: 'x', type: 'exit' }] }, draft: journeyUsing('drafted') }],
      },
    );
  const folder = [local('journey', 'j', journeyUsing('folder-uses'))];

  it('when --prune is not given, then they are kept and listed', () => {
    const plan = planChanges(folder, server(), { prune: false });
    expect(plan.steps.map((s) => s.action)).toEqual(['create']);
    expect(plan.kept.map((k) => `${k.kind}:${k.id}`)).toEqual(['template:unused', 'template:drafted', 'template:folder-uses', 'segment:old', 'journey:other']);
  });

  it('when --prune is given, then unused templates and segments are deleted last, and those a journey or draft names are refused', () => {
    const plan = planChanges(folder, server(), { prune: true });
    expect(plan.steps.map((s) => [s.action, s.kind, s.id, s.problem])).toEqual([
      ['create', 'journey', 'j', undefined],
      ['delete', 'template', 'unused', undefined],
      ['delete', 'template', 'drafted', 'cannot be deleted: used by journey "other"'],
      ['delete', 'template', 'folder-uses', 'cannot be deleted: used by journey "j"'],
      ['delete', 'segment', 'old', undefined],
    ]);
    expect(plan.kept).toEqual([{ kind: 'journey', id: 'other' }]);
  });
});

test('when a journey on the server has only a draft, then publishing the folder’s is version 1, with no field list', () => {
  const server = state([['journey', 'j', { id: 'j', version: 0, draft: journeyUsing('a'), ...stamps }]]);
  const [step] = planChanges([local('journey', 'j', journeyUsing('b'))], server, { prune: false }).steps;
  expect(step).toMatchObject({ action: 'update', changes: [], notes: ['publishes version 1', "replaces the server's unpublished draft"] });
});

test('when a folder journey has the ID of a code-first type on the server, then its step has a problem and nothing publishes', () => {
  const plan = planChanges([local('journey', 'trial-expiry', journeyUsing('t'))], state([], { codeJourneys: new Set(['trial-expiry']) }), { prune: false });
  expect(plan.steps).toEqual([expect.objectContaining({ kind: 'journey', id: 'trial-expiry', problem: expect.stringContaining('code-first journey type') })]);
});

test('when --prune would delete a template or segment a code-first type declares, then the plan refuses it up front', () => {
  const server = state(
    [
      ['template', 'trial-started', { id: 'trial-started', ...email, ...stamps }],
      ['segment', 'paying', { id: 'paying', ...stamps }],
    ],
    { codeUses: [{ id: 'trial-expiry', templates: ['trial-started'], segments: ['paying'] }] },
  );
  expect(planChanges([], server, { prune: true }).steps.map((s) => [s.action, s.kind, s.id, s.problem])).toEqual([
    ['delete', 'template', 'trial-started', 'cannot be deleted: used by journey "trial-expiry"'],
    ['delete', 'segment', 'paying', 'cannot be deleted: used by journey "trial-expiry"'],
  ]);
});
