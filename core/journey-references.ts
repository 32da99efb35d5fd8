// The templates and segments a journey definition names, each with where it is named: saving a
// journey checks they exist, and deleting a template or segment checks no journey names it. Pure.
import { BEST_CHANNEL, type Channel } from './channels';
import type { JourneyDefinition } from './journey-definition';
import type { SegmentRule } from './segment-rules';
import { sendRoutes } from './send-routes';

export interface TemplateUse {
  field: string;
  stepId: string;
  template: string;
  channel: Channel;
}

export interface SegmentUse {
  field: string;
  segmentId: string;
  /** Absent for the entry segment (which exitOnLeavingSegment also watches). */
  stepId?: string;
}

/**
 * Each send names a template for its channel, and maybe one for its fallback channel; a
 * best-channel send one per listed channel.
 */
export function templateUses(definition: JourneyDefinition): TemplateUse[] {
  return definition.steps.flatMap((step, i) => {
    if (step.type !== 'send') return [];
    const fieldOf = (channel: Channel, n: number) =>
      step.channel === BEST_CHANNEL ? `steps[${i}].templates.${channel}` : n === 0 ? `steps[${i}].template` : `steps[${i}].fallback.template`;
    return sendRoutes(step).map((route, n) => ({ field: fieldOf(route.channel, n), stepId: step.id, template: route.template, channel: route.channel }));
  });
}

/** The rules branch cases write inline (rather than naming a saved segment). */
export function inlineRules(definition: JourneyDefinition): SegmentRule[] {
  return definition.steps.flatMap((step) => (step.type !== 'branch' ? [] : step.cases.flatMap((c) => ('rule' in c.when ? [c.when.rule] : []))));
}

/** The entry segment, those branch cases test, and those optimizing splits learn for separately. */
export function segmentUses(definition: JourneyDefinition): SegmentUse[] {
  const uses: SegmentUse[] = [];
  if (definition.entry?.type === 'segment') uses.push({ field: 'entry.segmentId', segmentId: definition.entry.segmentId });
  definition.steps.forEach((step, i) => {
    if (step.type === 'split') {
      step.optimize?.segments?.forEach((segmentId, j) => uses.push({ field: `steps[${i}].optimize.segments[${j}]`, segmentId, stepId: step.id }));
    }
    if (step.type !== 'branch') return;
    step.cases.forEach((c, j) => {
      if ('segment' in c.when) uses.push({ field: `steps[${i}].cases[${j}].when.segment`, segmentId: c.when.segment, stepId: step.id });
    });
  });
  return uses;
}
