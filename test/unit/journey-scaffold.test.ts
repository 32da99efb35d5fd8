// What `cairn new-journey` writes (cli/journey-scaffold.ts): the files it makes from
// cli/scaffold/, the lines it adds to the registry and the workflow list (read from this
// checkout's own files), and the names it refuses.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { exportWorkflow, journeyNames, nameProblem, RegistryChanged, registerType, scaffoldFiles, scaffoldPaths } from '../../cli/journey-scaffold';

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

const readTemplate = (template: string) => read(`cli/scaffold/${template}`);

test('when the files are made from cli/scaffold/, then every placeholder is filled in and the templates are valid JSON', () => {
  const files = scaffoldFiles(names, readTemplate);
  expect(Object.keys(files)).toEqual(scaffoldPaths(names));
  for (const [file, text] of Object.entries(files)) {
    expect({ file, left: text.match(/%[A-Z_]+%/g) }).toEqual({ file, left: null });
    if (file.endsWith('.json')) expect(JSON.parse(text)).toMatchObject({ channel: 'email' });
  }
  expect(files['test/replay/scenarios/win-back-2.ts']).toContain("scenario('win-back-2-no-event', toTheEnd)");
  expect(files['core/code-journey-types/win-back-2.ts']).toContain("export const winBack2 = defineCodeJourney({\n  id: 'win-back-2',");
});

test('when a template has a placeholder the generator does not know, then making the files fails naming it', () => {
  expect(() => scaffoldFiles(names, (t) => (t === 'workflow.ts.tmpl' ? 'const x = %STEPS%;' : readTemplate(t)))).toThrow('cli/scaffold/workflow.ts.tmpl: unknown placeholder %STEPS%');
});
