// Code-first journey types the worker registers (workflows/code-first/), by journey ID, from
// their declarations (core/code-journey-types/). Their runs use the same workflow IDs, query,
// signals and search attributes as JSON journeys. Pure.
import type { CodeJourneyType } from './code-journey-type';
import { onboarding } from './code-journey-types/onboarding';
import { trialExpiry } from './code-journey-types/trial-expiry';

export type { CodeJourneyType } from './code-journey-type';

export const CODE_JOURNEYS: Readonly<Record<string, CodeJourneyType>> = Object.fromEntries([onboarding, trialExpiry].map((type) => [type.id, type]));
