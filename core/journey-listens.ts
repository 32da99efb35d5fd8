// Which events a journey's runs can hear: the event names its waitForEvent steps wait for, its
// exit event, its goal and its optimizing splits' goals. Ingest signals an event only to runs of journeys that hear it, so an
// event nobody listens for costs no Temporal call. Pure.
import { CODE_JOURNEYS } from './code-journeys';
import type { JourneyDefinition } from './journey-definition';

export function eventsHeard(definition: JourneyDefinition): string[] {
  const names = new Set<string>();
  for (const step of definition.steps) {
    if (step.type === 'waitForEvent') names.add(step.event);
    if (step.type === 'split' && step.optimize) names.add(step.optimize.goal);
  }
  if (definition.settings?.exitOnEvent) names.add(definition.settings.exitOnEvent);
  if (definition.settings?.goal) names.add(definition.settings.goal.event);
  return [...names].sort();
}

/** Event name → the journeys (JSON and code-first) whose runs hear it. */
export type Listeners = ReadonlyMap<string, readonly string[]>;

export function listenersOf(journeys: { _id: string; listensTo?: string[] }[]): Listeners {
  const map = new Map<string, string[]>();
  // A code-first type is in both: its journey record, and the registry (before it is registered).
  const add = (journeyId: string, names: readonly string[]) => {
    for (const name of names) if (!map.get(name)?.includes(journeyId)) map.set(name, [...(map.get(name) ?? []), journeyId]);
  };
  for (const j of journeys) add(j._id, j.listensTo ?? []);
  for (const [id, j] of Object.entries(CODE_JOURNEYS)) add(id, j.listensTo);
  return map;
}
