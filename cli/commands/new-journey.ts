import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EVENT_NAME } from '../../core/names';
import { EXIT, stringOption, UsageError, type Command, type Io } from '../command';
import {
  declarationPath,
  exportWorkflow,
  journeyNames,
  nameProblem,
  REGISTRY,
  RegistryChanged,
  registerType,
  SCAFFOLD_DIR,
  scaffoldFiles,
  scaffoldPaths,
  scenarioNames,
  WORKFLOW_INDEX,
  type JourneyNames,
} from '../journey-scaffold';

const DEFAULT_EVENT = 'converted';
/** Where `npm run record-histories` compiles the sources to; the generator records the same way. */
const TSOUT = path.join('.cairn', 'tsout');

export const newJourneyCommand: Command = {
  name: 'new-journey',
  summary: 'write a new code-first journey type: declaration, workflow, registration, tests, history',
  usage: 'cairn new-journey <name> [--event <name>] [--dir <repo>] [--dry-run] [--skip-record]',
  description: [
    'Writes a code-first journey type named <name> (kebab-case, the journey ID) into a Cairn checkout: its',
    'declaration (core/code-journey-types/<name>.ts: input with one field, settings, steps), its workflow',
    '(workflows/code-first/<name>.ts: an email, a day\'s wait, a wait for the event with a timeout and a',
    'reminder email), its two email templates (templates/<name>-*.json), a workflow test on the time-skipping',
    'server (test/workflow/<name>.test.ts) and replay scenarios (test/replay/scenarios/<name>.ts), and',
    'registers it in core/code-journeys.ts and workflows/index.ts. Then it compiles the checkout and records',
    'the scenarios\' histories (as npm run record-histories does), so the tests pass as written. Refuses a',
    'name a type or file has already. Exits 0 when written and recorded (type errors elsewhere in the checkout',
    'are reported, not fatal), 1 when refused, when the files written do not compile or the recording failed',
    '(the files stay; it says what to run), 2 on a wrong name or option.',
  ],
  options: {
    event: { type: 'string' },
    dir: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'skip-record': { type: 'boolean' },
  },
  optionHelp: [
    `--event <name>   the event the journey waits for and counts as its goal (default: ${DEFAULT_EVENT})`,
    '--dir <repo>     the checkout to write into (default: the one holding the current folder)',
    '--dry-run        list the files it would write and change, and write nothing',
    '--skip-record    write the files but neither compile nor record (then: npm run record-histories)',
  ],
  positionals: 1,
  async run({ positionals: [name], values }, io) {
    const problem = nameProblem(name!);
    if (problem) throw new UsageError(problem);
    const event = stringOption(values, 'event') ?? DEFAULT_EVENT;
    if (!EVENT_NAME.test(event)) throw new UsageError(`--event "${event}": event names use letters, digits and _ : - (at most 64, starting with a letter or digit)`);
    const root = repoRoot(stringOption(values, 'dir'));
    const names = journeyNames(name!, event);

    const taken = takenBy(root, names);
    if (taken.length > 0) {
      io.err(`cairn new-journey: a type "${names.id}" exists already, or its files do; nothing written:`);
      for (const reason of taken) io.err(`  ${reason}`);
      return EXIT.failed;
    }
    let edits: Record<string, string>;
    try {
      edits = {
        [REGISTRY]: registerType(readFileSync(path.join(root, REGISTRY), 'utf8'), names),
        [WORKFLOW_INDEX]: exportWorkflow(readFileSync(path.join(root, WORKFLOW_INDEX), 'utf8'), names),
      };
    } catch (err) {
      if (!(err instanceof RegistryChanged)) throw err;
      io.err(`cairn new-journey: ${err.message}; nothing written`);
      return EXIT.failed;
    }
    const scaffold = path.join(root, SCAFFOLD_DIR);
    if (!existsSync(scaffold)) {
      io.err(`cairn new-journey: ${scaffold} is missing: this checkout has no templates for the files (they came with cairn new-journey); nothing written`);
      return EXIT.failed;
    }
    const files = scaffoldFiles(names, (template) => readFileSync(path.join(scaffold, template), 'utf8'));

    if (values['dry-run']) {
      io.out(`cairn new-journey: would write into ${root}:`);
      for (const file of Object.keys(files)) io.out(`  create ${file}`);
      for (const file of Object.keys(edits)) io.out(`  change ${file}`);
      for (const history of scenarioNames(names)) io.out(`  record test/replay/histories/${history}.json`);
      return EXIT.ok;
    }

    writeAll(root, files, edits);
    for (const file of Object.keys(files)) io.out(`created ${file}`);
    for (const file of Object.keys(edits)) io.out(`changed ${file}`);
    if (values['skip-record']) {
      io.out('Next: npm run record-histories (records the new scenarios), then npx jest test/workflow/' + `${names.id}.test.ts test/replay`);
      return EXIT.ok;
    }
    if (!recordHistories(root, [...Object.keys(files), ...Object.keys(edits)], io)) return EXIT.failed;
    nextSteps(names).forEach((line) => io.out(line));
    return EXIT.ok;
  },
};

/** The checkout: --dir, or the nearest folder above the current one whose package.json names "cairn". */
function repoRoot(dir: string | undefined): string {
  const isCairn = (d: string) => {
    try {
      return (JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8')) as { name?: string }).name === 'cairn';
    } catch {
      return false;
    }
  };
  if (dir !== undefined) {
    if (!isCairn(path.resolve(dir))) throw new UsageError(`--dir ${dir}: no Cairn checkout there (a package.json named "cairn")`);
    return path.resolve(dir);
  }
  for (let d = process.cwd(); ; d = path.dirname(d)) {
    if (isCairn(d)) return d;
    if (path.dirname(d) === d) throw new UsageError(`no Cairn checkout holds ${process.cwd()} (a package.json named "cairn"): run it inside one, or give --dir`);
  }
}

/** Why the type cannot be written: its files exist, or a declaration or workflow has its ID or names. */
function takenBy(root: string, n: JourneyNames): string[] {
  const reasons: string[] = [];
  const planned = [...scaffoldPaths(n), ...scenarioNames(n).map((s) => `test/replay/histories/${s}.json`)];
  for (const file of planned) if (existsSync(path.join(root, file))) reasons.push(`${file} exists`);
  const typesDir = path.dirname(path.join(root, declarationPath(n)));
  for (const file of existsSync(typesDir) ? readdirSync(typesDir).filter((f) => f.endsWith('.ts')) : []) {
    const text = readFileSync(path.join(typesDir, file), 'utf8');
    if (text.includes(`id: '${n.id}'`)) reasons.push(`core/code-journey-types/${file} declares the ID "${n.id}"`);
    if (new RegExp(`export const ${n.constant}\\b`).test(text)) reasons.push(`core/code-journey-types/${file} declares ${n.constant}`);
  }
  const index = readFileSync(path.join(root, WORKFLOW_INDEX), 'utf8');
  if (new RegExp(`\\b${n.workflow}\\b`).test(index)) reasons.push(`${WORKFLOW_INDEX} exports ${n.workflow}`);
  return reasons;
}

/** Writes every file or none: a failure part-way removes the new files and restores the changed ones. */
function writeAll(root: string, files: Record<string, string>, edits: Record<string, string>): void {
  const created: string[] = [];
  const originals = new Map<string, string>();
  try {
    for (const [file, text] of Object.entries(files)) {
      writeFileSync(path.join(root, file), text, { flag: 'wx' });
      created.push(file);
    }
    for (const [file, text] of Object.entries(edits)) {
      originals.set(file, readFileSync(path.join(root, file), 'utf8'));
      writeFileSync(path.join(root, file), text);
    }
  } catch (err) {
    for (const file of created) rmSync(path.join(root, file), { force: true });
    for (const [file, text] of originals) writeFileSync(path.join(root, file), text);
    throw err;
  }
}

/**
 * Compiles the checkout (which type-checks the new files) and records the histories that are
 * missing, as `npm run record-histories` does, without its dependency check: offline, on the
 * time-skipping server under .cairn/bin. Type errors in the files it wrote stop it; errors
 * elsewhere in the checkout are not its to fix, and tsc emits regardless, so it says so and
 * records.
 */
function recordHistories(root: string, written: readonly string[], io: Io): boolean {
  let tsc: string;
  try {
    tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  } catch {
    io.err('cairn new-journey: the files are written, but TypeScript is not installed here to compile them: run npm run record-histories');
    return false;
  }
  io.out('compiling the checkout and recording the new scenarios\' histories...');
  const run = (script: string, args: string[] = []) =>
    spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const failed = (child: ReturnType<typeof run>, what: string) => {
    const output = `${child.stdout ?? ''}${child.stderr ?? ''}`.trimEnd();
    if (output) output.split('\n').forEach((line) => io.err(line));
    io.err(`cairn new-journey: the files are written, but ${what}${child.error ? ` (${child.error.message})` : ''}: fix it, then run npm run record-histories`);
    return false;
  };

  const compile = run(tsc, ['-p', 'tsconfig.json', '--outDir', TSOUT]);
  if (compile.status !== 0) {
    // tsc prints "file(line,col): error TS...": which files have errors.
    const errors = (compile.stdout ?? '').split('\n').filter((line) => /^\S[^(]*\(\d+,\d+\): error /.test(line));
    const inOurs = errors.filter((line) => written.some((file) => line.startsWith(`${file}(`)));
    if (errors.length === 0 || inOurs.length > 0) return failed(compile, inOurs.length > 0 ? 'they do not compile' : 'the checkout does not compile');
    errors.forEach((line) => io.err(line));
    io.err(`cairn new-journey: the checkout has type errors outside the files written (above), not the new type's; recording anyway`);
  }
  const record = run(path.join(TSOUT, 'test', 'replay', 'record-histories.js'));
  if (record.status !== 0) return failed(record, 'recording the histories failed');
  // What it did ("recorded <scenario>: <n> events"); the servers' warnings on stderr are only news on failure.
  if (record.stdout?.trim()) record.stdout.trimEnd().split('\n').forEach((line) => io.out(line));
  return true;
}

function nextSteps(n: JourneyNames): string[] {
  return [
    '',
    `The ${n.id} type is written, registered and its histories recorded. Next:`,
    `  npx jest test/workflow/${n.id}.test.ts test/replay      its tests`,
    `  git add core/code-journey-types/${n.id}.ts workflows/code-first/${n.id}.ts ${REGISTRY} ${WORKFLOW_INDEX} \\`,
    `    templates/${n.id}-*.json test/workflow/${n.id}.test.ts test/replay/scenarios/${n.id}.ts test/replay/histories/${n.id}-*.json`,
    `  PUT templates/${n.id}-first.json and templates/${n.id}-reminder.json at /v1/templates/<file name>, then`,
    `  POST /v1/code-journeys/${n.id}/launch (docs/code-first-journeys.md)`,
  ];
}
