// Replays recorded histories against the current workflow code: a change that would break
// journeys already under way fails here. Every file in histories/ is replayed; record new
// scenarios (test/replay/scenarios/) with `npm run record-histories` (`cairn new-journey` does it
// for the type it writes).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { CODE_JOURNEYS } from '../../core/code-journeys';
import { testEnv } from '../support/test-env';
import { allScenarios } from './scenarios';

const HISTORIES = path.join(__dirname, 'histories');
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
});

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')));
}

const replayOptions = () => ({ workflowBundle: { codePath: testEnv().workflowBundlePath } });

test('when the scenarios are read, then each has its history (npm run record-histories records the missing)', () => {
  const missing = allScenarios().filter((s) => !files.includes(`${s.name}.json`)).map((s) => s.name);
  if (missing.length > 0) {
    throw new Error(`no history for ${missing.join(', ')}: record it with "npm run record-histories" and commit test/replay/histories/`);
  }
});

test('when the code-first types are read, then each has scenarios next to the others, replayed here', () => {
  const recorded = new Set(allScenarios().map((s) => s.workflow.name));
  const unrecorded = Object.values(CODE_JOURNEYS).filter((type) => !recorded.has(type.workflowType));
  if (unrecorded.length > 0) {
    throw new Error(
      `no replay scenario for ${unrecorded.map((t) => t.id).join(', ')}: declare them in test/replay/scenarios/<id>.ts (as cairn new-journey writes them), then run "npm run record-histories"`,
    );
  }
});

test.each(files)('when %s is replayed, then the current workflow code reproduces it', async (file) => {
  await expect(Worker.runReplayHistory(replayOptions(), load(file), file)).resolves.toBeUndefined();
});

test('when a history is tampered with, then replay reports a determinism violation', async () => {
  const history = load('send-wait-send-completed.json');
  // Make the recorded run look as if it had scheduled a different activity first.
  const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'somethingElse';
  await expect(Worker.runReplayHistory(replayOptions(), history, 'tampered')).rejects.toMatchObject({
    name: 'DeterminismViolationError',
  });
});
