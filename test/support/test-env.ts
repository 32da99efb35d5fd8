import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Where global set-up tells the test files how to reach the shared servers. */
export const TEST_ENV_FILE = path.resolve(__dirname, '../../.cairn/test/env.json');

export interface TestEnv {
  temporalAddress: string;
  /** FerretDB, without a database name: each test file takes a database of its own. */
  mongoBaseUri: string;
  workflowBundlePath: string;
}

export function testEnv(): TestEnv {
  return JSON.parse(readFileSync(TEST_ENV_FILE, 'utf8')) as TestEnv;
}
