// The pure parts of `cairn diff`: documents compared as JSON, field-level changes, line diffs
// of long texts, and the plan worked out from a folder and a server's state.
import { canonical, diffDocuments, formatPath, sameDocument } from '../../cli/json-diff';
import { lineDiff } from '../../cli/text-diff';
import { formatChange } from '../../cli/plan-output';

describe('comparing documents', () => {
  it('when two documents differ only in key order or undefined fields, then they are the same', () => {
    expect(sameDocument({ a: 1, b: { c: [1, 2], d: undefined } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(canonical({ b: 1, a: undefined, c: [{ z: 1, y: 2 }] })).toEqual({ b: 1, c: [{ y: 2, z: 1 }] });
  });

  it('when an array changes order, then the documents differ', () => {
    expect(sameDocument({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
});

describe('field changes', () => {
  it('when fields are changed, added and removed, then each is listed at its path', () => {
    const changes = diffDocuments({ content: { subject: 'Hi', text: 'x' } }, { content: { subject: 'Hello', html: '<p>x</p>' } });
    expect(changes).toEqual([
      { path: ['content', 'html'], kind: 'added', after: '<p>x</p>' },
      { path: ['content', 'subject'], kind: 'changed', before: 'Hi', after: 'Hello' },
      { path: ['content', 'text'], kind: 'removed', before: 'x' },
    ]);
  });

  it('when a step is inserted, then the steps are matched by ID: one addition, nothing else', () => {
    const steps = [
      { id: 'a', type: 'send', next: 'c' },
      { id: 'c', type: 'exit' },
    ];
    const changed = [{ id: 'a', type: 'send', next: 'b' }, { id: 'b', type: 'wait', duration: '1d', next: 'c' }, steps[1]];
    expect(diffDocuments({ steps }, { steps: changed }).map((c) => [formatPath(c.path), c.kind])).toEqual([
      ['steps[id=a].next', 'changed'],
      ['steps[id=b]', 'added'],
    ]);
  });

  it('when items with IDs are only reordered, then the new order is the change', () => {
    const before = { rules: [{ id: 'x', limit: 1 }, { id: 'y', limit: 2 }] };
    const after = { rules: [before.rules[1], before.rules[0]] };
    expect(diffDocuments(before, after)).toEqual([{ path: ['rules'], kind: 'reordered', before: ['x', 'y'], after: ['y', 'x'] }]);
  });

  it('when items have no IDs, then they are compared by position', () => {
    expect(diffDocuments({ v: [1, 2] }, { v: [1, 3, 4] }).map((c) => [formatPath(c.path), c.kind])).toEqual([
      ['v[1]', 'changed'],
      ['v[2]', 'added'],
    ]);
  });

  it('when the whole value changes type, then one change replaces it', () => {
    expect(diffDocuments({ a: { b: 1 } }, { a: [1] })).toEqual([{ path: ['a'], kind: 'changed', before: { b: 1 }, after: [1] }]);
  });
});

describe('printing changes', () => {
  it('when a one-line value changes, then before and after are shown on one line', () => {
    expect(formatChange({ path: ['steps', { id: 'w' }, 'duration'], kind: 'changed', before: '1d', after: '2d' })).toEqual(['~ steps[id=w].duration: "1d" → "2d"']);
  });

  it('when a value is long, then it is cut', () => {
    const [line] = formatChange({ path: ['x'], kind: 'added', after: 'y'.repeat(500) });
    expect(line.length).toBeLessThan(120);
    expect(line.endsWith('…')).toBe(true);
  });

  it('when a multi-line text changes, then the changed lines are shown with a line of context', () => {
    const before = ['<p>1</p>', '<p>2</p>', '<p>3</p>', '<p>4</p>', '<p>5</p>', '<p>6</p>'].join('\n');
    const after = before.replace('<p>5</p>', '<p>five</p>');
    expect(formatChange({ path: ['content', 'html'], kind: 'changed', before, after })).toEqual([
      '~ content.html:',
      '    …',
      '      <p>4</p>',
      '    - <p>5</p>',
      '    + <p>five</p>',
      '      <p>6</p>',
    ]);
  });
});

describe('line diff', () => {
  it('when lines are inserted and removed, then the common lines stay as context', () => {
    expect(lineDiff('a\nb\nc', 'a\nc\nd')).toEqual(['  a', '- b', '  c', '+ d']);
  });

  it('when the texts are equal, then nothing is shown', () => {
    expect(lineDiff('a\nb', 'a\nb')).toEqual([]);
  });
});
