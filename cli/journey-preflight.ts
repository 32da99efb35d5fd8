// Before anything is written, each journey apply would publish is put to the server's own check
// (POST /v1/journeys/{id}/validate, which saves nothing): it knows what the folder cannot, such
// as the channels the server has providers for. Its complaints about templates and segments the
// folder itself provides are dropped: apply writes those first (references.ts checks them).
import pLimit from 'p-limit';
import { parseFieldPath } from '../core/field-path';
import type { JourneyDefinition } from '../core/journey-definition';
import { segmentUses, templateUses } from '../core/journey-references';
import { ApiError, type ApiClient } from './api-client';
import type { LocalResource } from './folder';
import type { Plan } from './plan';
import { problemAt, type Problem } from './problems';
import { KINDS } from './resources';

const CHECKS = 4;

export async function preflightJourneys(api: ApiClient, plan: Plan, resources: readonly LocalResource[]): Promise<Problem[]> {
  const provided = new Set(resources.filter((r) => r.kind === 'template' || r.kind === 'segment').map((r) => `${r.kind}:${r.id}`));
  const limit = pLimit(CHECKS);
  const journeys = plan.steps.filter((s) => s.kind === 'journey' && s.action !== 'delete' && !s.problem && s.local);
  const found = await Promise.all(
    journeys.map((step) =>
      limit(async (): Promise<Problem[]> => {
        const local = step.local!;
        try {
          await api.request('POST', `${KINDS.journey.path(step.id)}/validate`, step.body);
          return [];
        } catch (err) {
          if (!(err instanceof ApiError) || err.details.length === 0) throw err;
          const fromFolder = providedFields(step.body as JourneyDefinition, provided);
          return err.details
            .filter((d) => !fromFolder.has(d.field))
            .map((d) => problemAt(local.source, [...local.at, ...parseFieldPath(d.field)], `the server refuses it: ${d.message}`));
        }
      }),
    ),
  );
  return found.flat();
}

/** The fields naming a template or segment the folder provides. */
function providedFields(definition: JourneyDefinition, provided: Set<string>): Set<string> {
  return new Set([
    ...templateUses(definition).filter((u) => provided.has(`template:${u.template}`)).map((u) => u.field),
    ...segmentUses(definition).filter((u) => provided.has(`segment:${u.segmentId}`)).map((u) => u.field),
  ]);
}
