// The short pass of `npm run fuzz`: the same runner (dist/dev/fuzz.js, built by `npm test`) with
// 20 examples per operation, on a stack of its own. Every check and every phase run; a failure
// that dev/fuzz-baseline.json does not list fails the test, with schemathesis's report.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../dev/servers';

const RUNNER = path.join(REPO_ROOT, 'dist', 'dev', 'fuzz.js');
// A fixed seed: CI gives the same verdict on the same code; `npm run fuzz` explores new seeds.
const SHORT_PASS = ['--max-examples', '20', '--seed', '20261202', '--no-color'];

jest.setTimeout(8 * 60_000);

test('when schemathesis runs a short pass over every operation, then it finds no failure beyond the baseline', async () => {
  if (!existsSync(RUNNER)) throw new Error(`${RUNNER} is missing: run "npm run build" (npm test does)`);
  const child = spawn(process.execPath, [RUNNER, ...SHORT_PASS], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) {
    // The report names each failure with a curl command that reproduces it.
    throw new Error(`npm run fuzz (short pass) exited with ${code}:\n${output.slice(-30_000)}`);
  }
  expect(output).toMatch(/cairn fuzz: no failures/);
});
