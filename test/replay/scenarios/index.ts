// Every scenario file in this folder, read whole: a workflow type adds its own file here and
// nothing else names it (the recorder records them, the replay test checks each has a history).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Scenario } from '../scenario';

export function allScenarios(): Scenario[] {
  return readdirSync(__dirname)
    .filter((file) => /\.(ts|js)$/.test(file) && !/^index\./.test(file) && !file.endsWith('.d.ts'))
    .sort()
    .flatMap((file) => (require(path.join(__dirname, file)) as { scenarios: Scenario[] }).scenarios);
}
