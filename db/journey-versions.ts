import type { JourneyDefinition } from '../core/journey-definition';
import { eventsHeard } from '../core/journey-listens';
import type { JourneyDoc, Models } from './models';
import { upsertById } from './upsert';

export const journeyVersionId = (journeyId: string, version: number) => `${journeyId}@${version}`;

/**
 * Saves a definition as the journey's next version. The journey document is updated first, in
 * one atomic call that hands out the version number, so concurrent editors get distinct
 * versions; the version document follows. If the process dies between the two, the missing
 * version is the journey's current one, which loadJourneyVersion reads from the journey itself.
 */
export async function saveJourneyVersion(
  models: Pick<Models, 'journeys' | 'journeyVersions'>,
  journeyId: string,
  definition: JourneyDefinition,
): Promise<{ doc: JourneyDoc; created: boolean }> {
  const result = await upsertById(models.journeys, journeyId, {
    $set: { definition },
    $unset: { draft: '' },
    $inc: { version: 1 },
    $addToSet: { listensTo: { $each: eventsHeard(definition) } },
  });
  await writeVersion(models, journeyId, result.doc.version, definition);
  return result;
}

async function writeVersion(models: Pick<Models, 'journeyVersions'>, journeyId: string, version: number, definition: object) {
  await models.journeyVersions.replaceOne(
    { _id: journeyVersionId(journeyId, version) },
    { journeyId, version, definition, createdAt: new Date() },
    { upsert: true },
  );
}

/** One version of a journey's definition, or undefined when the journey has no such version. */
export async function loadJourneyVersion(
  models: Pick<Models, 'journeys' | 'journeyVersions'>,
  journeyId: string,
  version: number,
): Promise<JourneyDefinition | undefined> {
  const stored = await models.journeyVersions.findById(journeyVersionId(journeyId, version)).lean();
  if (stored) return stored.definition as JourneyDefinition;
  const journey = await models.journeys.findById(journeyId).lean();
  if (journey?.version !== version || !journey.definition) return undefined;
  await writeVersion(models, journeyId, version, journey.definition);
  return journey.definition as JourneyDefinition;
}
