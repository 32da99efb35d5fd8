// A template or segment that a journey names cannot be deleted while the journey may still use it.
import type { Model } from 'mongoose';
import type { CodeJourneyType } from '../core/code-journey-type';
import { CODE_JOURNEYS } from '../core/code-journeys';
import type { JourneyDefinition } from '../core/journey-definition';
import type { JourneyDoc } from '../db/models';
import { conflict } from './errors';

/**
 * Refuses with a 409 naming them when journeys that are not archived name `id` in their
 * published definition or their draft (`names`: what a definition names), or, for a code-first
 * type, in its declaration (`declared`). Archived journeys can no longer be edited, launched or
 * run, so what they name may go.
 */
export async function refuseIfNamed(
  journeys: Model<JourneyDoc>,
  what: string,
  id: string,
  names: (definition: JourneyDefinition) => string[],
  declared: (type: CodeJourneyType) => readonly string[],
): Promise<void> {
  // Journeys are few next to customers: read them all, and look into their definitions here.
  const candidates = await journeys.find({ archived: { $ne: true } }, { kind: 1, definition: 1, draft: 1 }).sort({ _id: 1 }).lean();
  const uses = (j: (typeof candidates)[number]) => {
    const type = j.kind === 'code' ? CODE_JOURNEYS[j._id] : undefined;
    if (type) return declared(type).includes(id);
    return [j.definition, j.draft].some((d) => d !== undefined && names(d as JourneyDefinition).includes(id));
  };
  const using = candidates.filter(uses).map((j) => `"${j._id}"`);
  if (using.length > 0) throw conflict(`${what} "${id}" is used by journeys ${using.join(', ')}: change or archive them first`);
}
