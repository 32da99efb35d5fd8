// Code-first journey types the worker registers (workflows/code-first/), by journey ID, from
// their declarations (core/code-journey-types/). Their runs use the same workflow IDs, query,
// signals and search attributes as JSON journeys. Pure.
import type { CodeJourneyType } from './code-journey-type';
import { onboarding } from './code-journey-types/onboarding';
import { trialExpiry } from './code-journey-types/trial-expiry';

export type { CodeJourneyType } from './code-journey-type';

/** Every declaration, one a line: `cairn new-journey` adds its import above and its line at the end. */
const TYPES: readonly CodeJourneyType[] = [
  onboarding,
  trialExpiry,
];

export const CODE_JOURNEYS: Readonly<Record<string, CodeJourneyType>> = Object.fromEntries(TYPES.map((type) => [type.id, type]));
