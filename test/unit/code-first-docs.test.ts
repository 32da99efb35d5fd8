// docs/code-first-journeys.md cannot drift from the kit: every code block that names a file is
// that file, word for word (compiled by the typecheck, run by test/workflow/trial-expiry.test.ts
// and test/integration/code-journeys.test.ts), and every launch the page shows is one the API
// takes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { codeLaunchBodySchema } from '../../api/routes/code-journeys';
import { CODE_JOURNEYS } from '../../core/code-journeys';

const ROOT = path.join(__dirname, '../..');
const page = readFileSync(path.join(ROOT, 'docs/code-first-journeys.md'), 'utf8');
const blocks = [...page.matchAll(/^```(\w+)(?: (\S+))?\n([\s\S]*?)^```$/gm)].map(([, lang, file, code]) => ({ lang, file, code }));
const fileBlocks = blocks.filter((b) => b.file !== undefined);

test('when the page is read, then it shows a complete type: its declaration and its workflow', () => {
  expect(fileBlocks.map((b) => b.file)).toEqual(['core/code-journey-types/trial-expiry.ts', 'workflows/code-first/trial-expiry.ts']);
});

test.each(fileBlocks.map((b) => [b.file!, b.code]))('when the block naming %s is read, then it is that file', (file, code) => {
  expect(existsSync(path.join(ROOT, file))).toBe(true);
  expect(code).toBe(readFileSync(path.join(ROOT, file), 'utf8'));
});

test('when the page\'s launches are read, then the API takes each body, and the type\'s schema its input', () => {
  const launches = blocks
    .filter((b) => b.lang === 'sh')
    .flatMap((b) => [...b.code.replace(/\\\n\s*/g, '').matchAll(/\/v1\/code-journeys\/([\w-]+)\/launch[^\n]*?-d '([^']*)'/g)]);
  expect(launches.length).toBeGreaterThanOrEqual(2);
  for (const [, id, body] of launches) {
    const parsed = codeLaunchBodySchema.parse(JSON.parse(body));
    expect(CODE_JOURNEYS[id].input.safeParse(parsed.input ?? {}).success).toBe(true);
  }
});
