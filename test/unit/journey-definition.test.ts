import type { z } from 'zod';
import { checkJourneyGraph, journeyDefinitionSchema, type Step } from '../../core/journey-definition';

/** A welcome journey: send, wait two days, send again. */
function validDefinition(): Record<string, unknown> {
  return {
    name: 'Welcome',
    description: 'Greets new customers',
    steps: [
      { id: 'welcome', type: 'send', channel: 'email', template: 'welcome-email', next: 'pause' },
      { id: 'pause', type: 'wait', duration: '2d', next: 'nudge' },
      { id: 'nudge', type: 'send', channel: 'web', template: 'nudge-web' },
    ],
  };
}

function withSteps(steps: unknown[]): Record<string, unknown> {
  return { name: 'Test journey', steps };
}

/** The issues of a definition the schema must refuse. */
function issuesOf(input: unknown): z.core.$ZodIssue[] {
  const result = journeyDefinitionSchema.safeParse(input);
  if (result.success) throw new Error(`expected the definition to be refused: ${JSON.stringify(input)}`);
  return result.error.issues;
}

const send = (id: string, next?: string): Step =>
  next === undefined ? { id, type: 'send', channel: 'email', template: 't' } : { id, type: 'send', channel: 'email', template: 't', next };
const wait = (id: string, next?: string): Step =>
  next === undefined ? { id, type: 'wait', duration: '1h' } : { id, type: 'wait', duration: '1h', next };

describe('journeyDefinitionSchema', () => {
  it('when the definition is valid, then it parses to the same data', () => {
    const result = journeyDefinitionSchema.safeParse(validDefinition());
    expect(result.success).toBe(true);
    expect(result.data).toEqual(validDefinition());
  });

  it('when the definition has a single step without next, then it parses', () => {
    expect(journeyDefinitionSchema.safeParse(withSteps([send('only')])).success).toBe(true);
  });

  it('when a step has an unknown type, then the issue points at that step', () => {
    const issues = issuesOf(withSteps([send('a', 'b'), { id: 'b', type: 'sms', channel: 'email', template: 't' }]));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toEqual(['steps', 1, 'type']);
  });

  it('when a send step has no template, then the issue names the missing field', () => {
    const issues = issuesOf(withSteps([{ id: 'a', type: 'send', channel: 'email' }]));
    expect(issues.map((i) => i.path)).toEqual([['steps', 0, 'template']]);
  });

  it('when the definition has no name, then the issue names the field', () => {
    const issues = issuesOf({ steps: [send('a')] });
    expect(issues.map((i) => i.path)).toEqual([['name']]);
  });

  it('when the name is only whitespace, then it is refused', () => {
    const issues = issuesOf({ name: '   ', steps: [send('a')] });
    expect(issues.map((i) => i.path)).toEqual([['name']]);
  });

  it('when a step has an extra field, then the strict schema refuses it and names the field', () => {
    const issues = issuesOf(withSteps([{ ...send('a'), delay: '1h' }]));
    expect(issues).toHaveLength(1);
    expect(issues[0].code).toBe('unrecognized_keys');
    expect(issues[0].path).toEqual(['steps', 0]);
    expect((issues[0] as { keys?: string[] }).keys).toEqual(['delay']);
  });

  it('when the definition has an extra top-level field, then it is refused', () => {
    const issues = issuesOf({ ...validDefinition(), owner: 'marketing' });
    expect(issues[0].code).toBe('unrecognized_keys');
    expect((issues[0] as { keys?: string[] }).keys).toEqual(['owner']);
  });

  it('when a step ID has characters outside the allowed set, then the issue explains the rule', () => {
    const issues = issuesOf(withSteps([send('bad id!')]));
    const idIssue = issues.find((i) => i.path.join('.') === 'steps.0.id');
    expect(idIssue).toBeDefined();
    expect(idIssue!.message).toContain('letters, digits and _ . @ + -');
  });

  it('when a template ID starts with a punctuation mark, then it is refused', () => {
    const issues = issuesOf(withSteps([{ id: 'a', type: 'send', channel: 'email', template: '-t' }]));
    expect(issues.map((i) => i.path)).toEqual([['steps', 0, 'template']]);
  });

  it('when a wait step has a bad duration, then the message shows the accepted forms', () => {
    const issues = issuesOf(withSteps([send('a', 'w'), { id: 'w', type: 'wait', duration: '2 days' }]));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toEqual(['steps', 1, 'duration']);
    expect(issues[0].message).toBe('must be a duration such as "30m", "2h", "2d", "1w" or "1d12h", at most ten years');
  });

  it('when a send step names an unknown channel, then the issue names the channel field', () => {
    const issues = issuesOf(withSteps([{ id: 'a', type: 'send', channel: 'carrier-pigeon', template: 't' }]));
    expect(issues.map((i) => i.path)).toEqual([['steps', 0, 'channel']]);
  });

  it('when there are no steps, then safeParse refuses it with an issue on steps instead of throwing', () => {
    let result: ReturnType<typeof journeyDefinitionSchema.safeParse> | undefined;
    expect(() => {
      result = journeyDefinitionSchema.safeParse(withSteps([]));
    }).not.toThrow();
    expect(result?.success).toBe(false);
    expect(result?.error?.issues.map((i) => i.path)).toEqual([['steps']]);
  });

  it('when two steps share an ID, then the issue points at the second one', () => {
    const issues = issuesOf(withSteps([send('a', 'b'), send('b'), send('b')]));
    expect(issues[0].path).toEqual(['steps', 2, 'id']);
    expect(issues[0].message).toBe('step "b" is defined twice');
  });

  it('when a step leads to a missing step, then the issue path is [steps, i, next]', () => {
    const issues = issuesOf(withSteps([send('a', 'b'), wait('b', 'c'), send('c', 'nowhere')]));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toEqual(['steps', 2, 'next']);
    expect(issues[0].message).toBe('step "c" leads to "nowhere", which does not exist');
  });

  it('when a step cannot be reached from the first, then the issue points at that step', () => {
    const issues = issuesOf(withSteps([send('a'), send('orphan')]));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toEqual(['steps', 1]);
    expect(issues[0].message).toContain('"orphan" cannot be reached');
  });

  it('when two sends loop into each other without a wait, then it is refused and the steps are named', () => {
    const issues = issuesOf(withSteps([send('first', 'second'), send('second', 'first')]));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toEqual(['steps', 0]);
    expect(issues[0].message).toBe('steps "first" → "second" form a loop without a wait step');
  });

  it('when a loop passes through a wait step, then it is accepted', () => {
    const result = journeyDefinitionSchema.safeParse(withSteps([send('first', 'pause'), wait('pause', 'second'), send('second', 'first')]));
    expect(result.success).toBe(true);
  });
});

describe('checkJourneyGraph', () => {
  it('when the graph is a straight line, then there are no issues', () => {
    expect(checkJourneyGraph([send('a', 'b'), wait('b', 'c'), send('c')])).toEqual([]);
  });

  it('when a send step leads to itself, then it is reported as a loop of that one step', () => {
    expect(checkJourneyGraph([send('self', 'self')])).toEqual([
      { path: ['steps', 0], message: 'steps "self" form a loop without a wait step' },
    ]);
  });

  it('when the loop without a wait starts after the first step, then its path points at the first looping step', () => {
    const issues = checkJourneyGraph([wait('start', 'x'), send('x', 'y'), send('y', 'x')]);
    expect(issues).toEqual([{ path: ['steps', 1], message: 'steps "x" → "y" form a loop without a wait step' }]);
  });

  it('when a loop goes through a wait, then there are no issues', () => {
    expect(checkJourneyGraph([send('a', 'w'), wait('w', 'a')])).toEqual([]);
  });

  it('when a step ID is duplicated and a next is missing, then both are reported and the graph is not walked', () => {
    const issues = checkJourneyGraph([send('a', 'a'), send('a', 'ghost')]);
    expect(issues).toEqual([
      { path: ['steps', 1, 'id'], message: 'step "a" is defined twice' },
      { path: ['steps', 1, 'next'], message: 'step "a" leads to "ghost", which does not exist' },
    ]);
  });

  it('when several steps are unreachable, then each is reported with its index', () => {
    const issues = checkJourneyGraph([send('a'), send('b', 'c'), send('c')]);
    expect(issues.map((i) => i.path)).toEqual([
      ['steps', 1],
      ['steps', 2],
    ]);
  });
});
