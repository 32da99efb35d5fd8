// What `cairn new-journey` adds to the registry and the workflow list (cli/journey-scaffold.ts),
// read from this checkout's own files, and the names it takes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { exportWorkflow, journeyNames, nameProblem, RegistryChanged, registerType } from '../../cli/journey-scaffold';

const ROOT = path.join(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const names = journeyNames('win-back-2', 'converted');

test('when a name is derived, then the declaration and the workflow are named in camel case', () => {
  expect(names).toEqual({ id: 'win-back-2', constant: 'winBack2', workflow: 'winBack2Workflow', event: 'converted' });
});

test('when the registry is edited, then the import follows the others and the type ends the list, nothing else changing', () => {
  const before = read('core/code-journeys.ts');
  const after = registerType(before, names);
  const added = after.split('\n').filter((line) => !before.split('\n').includes(line));
  expect(added).toEqual(["import { winBack2 } from './code-journey-types/win-back-2';", '  winBack2,']);
  expect(after).toMatch(/import \{ trialExpiry \} from '\.\/code-journey-types\/trial-expiry';\nimport \{ winBack2 \}/);
  expect(after).toMatch(/ {2}trialExpiry,\n {2}winBack2,\n\];/);
});

test('when the registry no longer has its list, then the edit is refused saying what to add by hand', () => {
  const changed = read('core/code-journeys.ts').replace(/const TYPES[^\n]*\n/, 'const TYPES = [onboarding, trialExpiry];\n');
  expect(() => registerType(changed, names)).toThrow(RegistryChanged);
  expect(() => registerType(changed, names)).toThrow("add by hand: import { winBack2 } from './code-journey-types/win-back-2'");
});

test('when the workflow list is edited, then the export follows the other code-first ones', () => {
  const after = exportWorkflow(read('workflows/index.ts'), names);
  expect(after.trimEnd().split('\n').at(-1)).toBe("export { winBack2Workflow } from './code-first/win-back-2';");
});

test.each([
  ['win-back', undefined],
  ['a1-b2', undefined],
  ['Win-back', /kebab-case/],
  ['win_back', /kebab-case/],
  ['win-', /kebab-case/],
  ['x'.repeat(61), /longer than 60/],
  ['class', /uses already/],
  ['journey-worker', /uses already/],
])('when %s is checked as a name, then the answer is %s', (name, problem) => {
  if (problem) expect(nameProblem(name)).toMatch(problem);
  else expect(nameProblem(name)).toBeUndefined();
});
