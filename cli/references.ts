// The templates and segments the folder's journeys name must exist where the API will look:
// in the folder (applied before the journeys) or on the server. Offline, only the folder is
// known, so a name found in neither is a warning there (it may exist on the server), and an
// error once diff or apply has read the server.
import type { Channel } from '../core/channels';
import { parseFieldPath } from '../core/field-path';
import type { JourneyDefinition } from '../core/journey-definition';
import { segmentUses, templateUses } from '../core/journey-references';
import type { TemplateBody } from '../core/template-content';
import type { LocalResource } from './folder';
import { problemAt, type Problem } from './problems';

export interface Known {
  /** Template IDs with their channel. */
  templates: Map<string, Channel>;
  segments: Set<string>;
  /** Where names were looked for, for messages: "the folder", "the folder or on the server". */
  where: string;
}

/** What the folder itself defines. */
export function knownInFolder(resources: readonly LocalResource[]): Known {
  return {
    templates: new Map(resources.filter((r) => r.kind === 'template').map((r) => [r.id, (r.body as TemplateBody).channel])),
    segments: new Set(resources.filter((r) => r.kind === 'segment').map((r) => r.id)),
    where: 'the folder',
  };
}

export function referenceProblems(resources: readonly LocalResource[], known: Known, missing: Problem['severity']): Problem[] {
  const problems: Problem[] = [];
  for (const journey of resources.filter((r) => r.kind === 'journey')) {
    const definition = journey.body as JourneyDefinition;
    const at = (field: string, message: string, severity: Problem['severity']) =>
      problems.push(problemAt(journey.source, [...journey.at, ...parseFieldPath(field)], message, severity));
    for (const use of templateUses(definition)) {
      const channel = known.templates.get(use.template);
      if (channel === undefined) at(use.field, `step "${use.stepId}": template "${use.template}" is not in ${known.where}`, missing);
      else if (channel !== use.channel) at(use.field, `step "${use.stepId}": template "${use.template}" is for ${channel}, not ${use.channel}`, 'error');
    }
    for (const use of segmentUses(definition)) {
      if (known.segments.has(use.segmentId)) continue;
      at(use.field, `${use.stepId ? `step "${use.stepId}": ` : ''}segment "${use.segmentId}" is not in ${known.where}`, missing);
    }
  }
  return problems;
}
