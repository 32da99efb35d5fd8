// Patches asked about by more than one workflow module. A patch that changes one handler only
// lives in that handler (see steps/send.ts).
import { patched } from '@temporalio/workflow';

/**
 * Runs that pass this marker upsert their search attributes when they begin to wait and when
 * they end, not on entering every step (see JourneyRun); runs recorded before it upsert at
 * every step and replay that way. Asked at a run's first step, so every run records it first.
 */
export const SEARCH_ATTRIBUTES_WHEN_WAITING = 'search-attributes-when-waiting';

/**
 * Whether the run takes the new path of an older patch. A run that recorded the newest marker
 * started on code that has every older patch, so it does not record their markers as well:
 * each marker is a billable action on Temporal Cloud. Older runs answer by the older marker.
 */
export function patchedSince(olderPatchId: string): boolean {
  return patched(SEARCH_ATTRIBUTES_WHEN_WAITING) || patched(olderPatchId);
}
