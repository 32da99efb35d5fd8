// What the server holds of the resources a folder states, read through the API: the lists
// (every template, segment and journey, to find what the folder lacks and what journeys may
// name) and each of the folder's resources in full.
import pLimit from 'p-limit';
import type { Channel } from '../core/channels';
import type { ApiClient } from './api-client';
import type { LocalResource } from './folder';
import { KINDS, type Kind } from './resources';

/** A resource as the server answers its GET. */
export type ServerView = Record<string, unknown>;

export interface ServerState {
  /** The server's view of each folder resource that exists there, by resourceKey. */
  views: Map<string, ServerView>;
  templates: { id: string; channel: Channel }[];
  segments: string[];
  journeys: { id: string; status: string }[];
  /** Code-first journey types: defined by code the workers run, never by a folder. */
  codeJourneys: Set<string>;
  /** With prune: the views of the server's journeys the folder lacks (what they name matters). */
  otherJourneys: ServerView[];
  /** With prune: the templates and segments each code-first type that is not archived declares. */
  codeUses: { id: string; templates: string[]; segments: string[] }[];
}

export const resourceKey = (kind: Kind, id: string) => `${kind}:${id}`;

/** How many reads are in flight at once. */
const READS = 8;

export async function readServerState(api: ApiClient, resources: readonly LocalResource[], options: { prune: boolean }): Promise<ServerState> {
  const [templates, segments, allJourneys] = await Promise.all(['/v1/templates', '/v1/segments', '/v1/journeys'].map((path) => api.list(path)));
  const journeys = allJourneys.filter((j) => j.kind !== 'code');
  const exists: Record<Kind, Set<string>> = {
    template: new Set(templates.map((t) => t.id as string)),
    segment: new Set(segments.map((s) => s.id as string)),
    journey: new Set(journeys.map((j) => j.id as string)),
    // Settings always answer (quiet hours with 404 when unset).
    setting: new Set(resources.filter((r) => r.kind === 'setting').map((r) => r.id)),
  };
  const limit = pLimit(READS);
  const views = new Map<string, ServerView>();
  await Promise.all(
    resources
      .filter((r) => exists[r.kind].has(r.id))
      .map((r) =>
        limit(async () => {
          const view = await api.find(KINDS[r.kind].path(r.id));
          if (view !== undefined) views.set(resourceKey(r.kind, r.id), view as ServerView);
        }),
      ),
  );
  const inFolder = new Set(resources.filter((r) => r.kind === 'journey').map((r) => r.id));
  const others = options.prune ? journeys.filter((j) => !inFolder.has(j.id as string) && j.status !== 'archived') : [];
  const otherJourneys = (await Promise.all(others.map((j) => limit(() => api.find(KINDS.journey.path(j.id as string)))))).filter(
    (view): view is ServerView => view !== undefined,
  );
  const codeIds = new Set(allJourneys.filter((j) => j.kind === 'code' && j.status !== 'archived').map((j) => j.id as string));
  const codeTypes = options.prune && codeIds.size > 0 ? (((await api.find('/v1/code-journeys')) as { journeys?: ServerView[] } | undefined)?.journeys ?? []) : [];
  return {
    views,
    templates: templates.map((t) => ({ id: t.id as string, channel: t.channel as Channel })),
    segments: [...exists.segment],
    journeys: journeys.map((j) => ({ id: j.id as string, status: j.status as string })),
    codeJourneys: new Set(allJourneys.filter((j) => j.kind === 'code').map((j) => j.id as string)),
    otherJourneys,
    codeUses: codeTypes
      .filter((t) => codeIds.has(t.id as string))
      .map((t) => ({ id: t.id as string, templates: (t.templates as string[]) ?? [], segments: (t.segments as string[]) ?? [] })),
  };
}
