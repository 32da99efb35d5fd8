// The repository's TypeScript sources, for tests that check house rules on the code itself
// (test/unit/layering.test.ts, test/unit/logger.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.join(__dirname, '..', '..');

/** Every `.ts` file under `dir` (repository-relative); `api/public` holds browser code, not ours to check. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'public' ? [] : sourceFiles(rel);
    return entry.name.endsWith('.ts') ? [rel] : [];
  });
}

export const readSource = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
