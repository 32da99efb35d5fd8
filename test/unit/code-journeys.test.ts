// Every registered code-first type's declaration holds what a JSON journey's definition would
// be refused without: read from the registry, so a new type is checked without being named here.
import { CODE_JOURNEYS } from '../../core/code-journeys';
import { entrySchema, idSchema, settingsSchema } from '../../core/journey-definition';
import * as workflows from '../../workflows';

const types = Object.values(CODE_JOURNEYS).map((type) => [type.id, type] as const);

test.each(types)('when the declaration of %s is checked, then its ID, settings, entry and steps are valid', (id, type) => {
  expect(idSchema.safeParse(id).success).toBe(true);
  expect(settingsSchema.safeParse(type.settings ?? {}).error?.issues).toBeUndefined();
  if (type.entry) expect(entrySchema.safeParse(type.entry).error?.issues).toBeUndefined();
  if (type.settings?.exitOnLeavingSegment) expect(type.entry?.type).toBe('segment');
  expect(type.steps.filter((s) => !idSchema.safeParse(s).success)).toEqual([]);
  expect(new Set(type.steps).size).toBe(type.steps.length);
  expect(Object.keys(type.splits ?? {}).filter((s) => !type.steps.includes(s))).toEqual([]);
});

test.each(types)('when %s is looked up among the workflows the worker registers, then its workflow type is there', (_id, type) => {
  expect(typeof (workflows as Record<string, unknown>)[type.workflowType]).toBe('function');
});

test('when a type hears events, then they are its waits, its goal and its exit event', () => {
  expect(CODE_JOURNEYS['trial-expiry'].listensTo).toEqual(['account_deleted', 'upgraded']);
});
