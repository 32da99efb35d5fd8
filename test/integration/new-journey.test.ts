// `cairn new-journey` (the built CLI) in a copy of this checkout: what it writes must pass as
// written. The copy lives under .cairn/ so that node_modules resolves from the checkout's; the
// generator compiles it with the project's tsconfig.json (tsc: the typecheck) and records the
// new histories on the time-skipping server, then the copy's own jest runs the new workflow test,
// the replay test and the unit tests that read every type and template. Refused names, a taken
// name and a dry run write nothing; without the recording, the replay test names the command;
// a type error in what it wrote stops it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'dist', 'cli', 'cairn.js');
const NAME = 'win-back';
let copy: string;

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  mkdirSync(path.join(REPO, '.cairn'), { recursive: true });
  copy = mkdtempSync(path.join(REPO, '.cairn', 'new-journey-'));
  const skip = new Set(['node_modules', 'dist', '.cairn', '.git']);
  for (const entry of readdirSync(REPO).filter((e) => !skip.has(e))) cpSync(path.join(REPO, entry), path.join(copy, entry), { recursive: true });
  // The servers scripts/install-servers.sh installed: the time-skipping one records histories.
  mkdirSync(path.join(copy, '.cairn'));
  symlinkSync(path.join(REPO, '.cairn', 'bin'), path.join(copy, '.cairn', 'bin'));
});

afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

/** A child's environment without this jest run's: the copy's jest starts servers of its own. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key === 'CAIRN_TEST_RUN_DIR' || key.startsWith('JEST_')) delete env[key];
  return env;
}

/** Runs the generator from a folder inside the copy (it finds the checkout from there). */
function cairn(...args: string[]) {
  const child = spawnSync(process.execPath, [CLI, 'new-journey', ...args], { cwd: path.join(copy, 'test'), encoding: 'utf8', env: childEnv() });
  return { code: child.status, out: child.stdout, err: child.stderr };
}

/** Runs the copy's jest on the test files: its exit code and what it printed. */
function jestInCopy(tests: string[]) {
  const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--ci', ...tests], { cwd: copy, encoding: 'utf8', env: childEnv() });
  return { code: jest.status, report: `${jest.stdout}${jest.stderr}` };
}

/** Every file of the copy that the generator may write or change, with its text. */
function snapshot(): Record<string, string> {
  const dirs = ['core/code-journey-types', 'workflows/code-first', 'test/workflow', 'test/replay/scenarios', 'test/replay/histories', 'templates'];
  const files = [...dirs.flatMap((d) => readdirSync(path.join(copy, d)).map((f) => `${d}/${f}`)), 'core/code-journeys.ts', 'workflows/index.ts'];
  return Object.fromEntries(files.filter((f) => f.includes('.')).map((f) => [f, readFileSync(path.join(copy, f), 'utf8')]));
}

test('when names that are not kebab-case or that the code uses are given, then each is refused with the rule, and nothing is written', () => {
  const before = snapshot();
  for (const name of ['WinBack', 'win_back', 'win--back', 'win-', '9lives', 'new-journey!', 'delete', 'kit', `a${'-b'.repeat(40)}`]) {
    const { code, err } = cairn(name);
    expect({ name, code }).toEqual({ name, code: 2 });
    expect(err).toMatch(/kebab-case name|generated code uses already|longer than/);
  }
  expect(cairn(NAME, '--event', 'has space').err).toContain('event names use letters, digits');
  expect(cairn(NAME, '--dir', path.join(copy, 'docs')).err).toContain('no Cairn checkout there');
  expect(snapshot()).toEqual(before);
});

test('when the name is an existing type\'s, then it is refused naming what holds it, and nothing is written', () => {
  const before = snapshot();
  const { code, err } = cairn('trial-expiry');
  expect(code).toBe(1);
  expect(err).toContain('a type "trial-expiry" exists already');
  expect(err).toContain('core/code-journey-types/trial-expiry.ts declares the ID "trial-expiry"');
  expect(err).toContain('workflows/index.ts exports trialExpiryWorkflow');
  expect(snapshot()).toEqual(before);
});

test('when run with --dry-run, then it lists the files it would write, change and record, and writes nothing', () => {
  const before = snapshot();
  const { code, out } = cairn(NAME, '--dry-run');
  expect(code).toBe(0);
  expect(out).toContain(`would write into ${copy}:`);
  for (const line of [
    `create core/code-journey-types/${NAME}.ts`,
    `create workflows/code-first/${NAME}.ts`,
    `create test/workflow/${NAME}.test.ts`,
    `create test/replay/scenarios/${NAME}.ts`,
    `create templates/${NAME}-first.json`,
    'change core/code-journeys.ts',
    'change workflows/index.ts',
    `record test/replay/histories/${NAME}-no-event.json`,
  ]) {
    expect(out).toContain(line);
  }
  expect(snapshot()).toEqual(before);
});

test('when a type is generated, then the checkout compiles, its histories are recorded, and its workflow test, the replay test and the unit tests pass as written', () => {
  const { code, out, err } = cairn(NAME, '--event', 'came_back');
  // It stops on a type error in what it wrote; one elsewhere in the checkout is only reported.
  expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
  expect(err.split('\n').filter((line) => line.includes(NAME))).toEqual([]);
  expect(out).toContain(`recorded ${NAME}-no-event`);
  expect(out).toContain(`recorded ${NAME}-event-came`);
  expect(readFileSync(path.join(copy, 'core/code-journeys.ts'), 'utf8')).toContain(`import { winBack } from './code-journey-types/${NAME}';`);
  expect(readFileSync(path.join(copy, 'workflows/index.ts'), 'utf8')).toContain(`export { winBackWorkflow } from './code-first/${NAME}';`);

  const tests = [`test/workflow/${NAME}.test.ts`, 'test/replay/replay.test.ts', 'test/unit/code-journeys.test.ts', 'test/unit/example-templates.test.ts'];
  const { code: jestCode, report } = jestInCopy(tests);
  expect({ code: jestCode, failed: report.split('\n').filter((l) => /^(FAIL|\s+●)/.test(l)) }).toEqual({ code: 0, failed: [] });
  for (const file of tests) expect(report).toMatch(new RegExp(`PASS ${file.replace(/[./]/g, '\\$&')}`));
  // The generated test ran its cases, the event waited for being the one given.
  expect(report).toMatch(/Tests:\s+\d+ passed, \d+ total/);
  expect(readFileSync(path.join(copy, `workflows/code-first/${NAME}.ts`), 'utf8')).toContain("'came_back'");

  // Generated once, the type is taken.
  const again = cairn(NAME);
  expect(again.code).toBe(1);
  expect(again.err).toContain(`core/code-journey-types/${NAME}.ts exists`);
}, 300_000);

test('when a type is generated with --skip-record, then it says what to run, and until then the replay test fails naming that command', () => {
  const { code, out } = cairn('other-one', '--skip-record');
  expect(code).toBe(0);
  expect(out).toContain('Next: npm run record-histories');
  expect(existsSync(path.join(copy, 'test/replay/histories/other-one-no-event.json'))).toBe(false);
  const { code: jestCode, report } = jestInCopy(['test/replay/replay.test.ts']);
  expect(jestCode).toBe(1);
  expect(report).toContain('no history for other-one-no-event, other-one-event-came: record it with "npm run record-histories"');
}, 120_000);

test('when what it writes does not compile, then it stops before recording and names the file and the error', () => {
  const template = path.join(copy, 'cli/scaffold/workflow.ts.tmpl');
  writeFileSync(template, readFileSync(template, 'utf8').replace("await kit.wait('a-day-later', '1d');", "await kit.wait('a-day-later', 1);"));
  const { code, out, err } = cairn('broken-one');
  expect(code).toBe(1);
  expect(err).toMatch(/^workflows\/code-first\/broken-one\.ts\(\d+,\d+\): error TS2345/m);
  expect(err).toContain('the files are written, but they do not compile: fix it, then run npm run record-histories');
  expect(out).not.toContain('recorded broken-one');
}, 120_000);
