// A template or segment that a journey names cannot be deleted while the journey may still use it.
import type { Model } from 'mongoose';
import type { JourneyDefinition } from '../core/journey-definition';
import type { JourneyDoc } from '../db/models';
import { conflict } from './errors';

/**
 * Refuses with a 409 naming them when journeys that are not archived name `id` in their
 * published definition or their draft (`names`: what a definition names). Archived journeys can
 * no longer be edited, launched or run, so what they name may go.
 */
export async function refuseIfNamed(
  journeys: Model<JourneyDoc>,
  what: string,
  id: string,
  names: (definition: JourneyDefinition) => string[],
): Promise<void> {
  // Journeys are few next to customers: read them all, and look into their definitions here.
  const candidates = await journeys.find({ archived: { $ne: true } }, { definition: 1, draft: 1 }).sort({ _id: 1 }).lean();
  const using = candidates
    .filter((j) => [j.definition, j.draft].some((d) => d !== undefined && names(d as JourneyDefinition).includes(id)))
    .map((j) => `"${j._id}"`);
  if (using.length > 0) throw conflict(`${what} "${id}" is used by journeys ${using.join(', ')}: change or archive them first`);
}
