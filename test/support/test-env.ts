import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Each Jest run keeps its servers' data in a folder of its own, so two runs on one machine
 * (a developer's and a helper script's) never share or delete each other's servers. Global
 * set-up names it in CAIRN_TEST_RUN_DIR, which the test workers inherit.
 */
export function testRunDir(): string {
  return (process.env.CAIRN_TEST_RUN_DIR ??= path.resolve(__dirname, '../../.cairn/test', `run-${process.pid}`));
}

/** Where global set-up tells the test files how to reach the shared servers. */
export function testEnvFile(): string {
  return path.join(testRunDir(), 'env.json');
}

export interface TestEnv {
  temporalAddress: string;
  /** The embedded store (memory backend), without a database name: each test file takes a database of its own. */
  mongoBaseUri: string;
  workflowBundlePath: string;
}

export function testEnv(): TestEnv {
  return JSON.parse(readFileSync(testEnvFile(), 'utf8')) as TestEnv;
}
