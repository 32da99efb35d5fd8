// Every registered code-first type's declaration holds what a JSON journey's definition would
// be refused without: read from the registry, so a new type is checked without being named here.
import { z } from 'zod';
import { defineCodeJourney } from '../../core/code-journey-type';
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

describe('a code-first split declared with optimize', () => {
  const declare = (optimize: Record<string, unknown>, paths = 2) =>
    defineCodeJourney({
      id: 'code-optimize-check',
      workflowType: 'codeOptimizeCheck',
      description: 'checks optimize',
      input: z.object({}),
      steps: ['pick'],
      splits: { pick: { paths: Array.from({ length: paths }, (_, i) => ({ name: `p${i}`, weight: 1 })), optimize: optimize as never } },
      templates: [],
    });

  it('when it is valid, then the type is defined and hears its goal', () => {
    expect(declare({ goal: 'purchased', within: '3d', minShare: 0.2 }).listensTo).toEqual(['purchased']);
  });
  it.each([
    [{ goal: 'purchased', within: 'soon' }, 2, /"code-optimize-check", split "pick": optimize\.within: /],
    [{ goal: 'purchased', within: '40d' }, 2, /optimize\.within: must be at most 30d/],
    [{ goal: 'purchased', within: '3d', minShare: 0.4 }, 3, /optimize\.minShare: minShare times the number of paths must be below 1/],
    [{ goal: 'purchased', within: '3d' }, 1, /split "pick": optimize: an optimizing split needs at least two paths/],
    [{ goal: 'purchased', within: '3d', extra: 1 }, 2, /split "pick": optimize: /],
  ])('when it is %j over %i paths, then defining the type throws naming the type, the split and the field', (optimize, paths, message) => {
    expect(() => declare(optimize, paths)).toThrow(message);
  });
});
