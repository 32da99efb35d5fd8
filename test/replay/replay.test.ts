// Replays recorded histories against the current workflow code: a change that would break
// journeys already under way fails here. Record new scenarios with `npm run record-histories`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { testEnv } from '../support/test-env';

const HISTORIES = path.join(__dirname, 'histories');
const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
});

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')));
}

const replayOptions = () => ({ workflowBundle: { codePath: testEnv().workflowBundlePath } });

test('when the histories are listed, then every scenario is there', () => {
  expect(files.sort()).toEqual([
    'branch-split-wait-until-exit.json',
    'capped-send-deferred-when-waiting.json',
    'capped-send-deferred.json',
    'converted-in-quiet-hours-journey-when-waiting.json',
    'exit-event-while-waiting.json',
    'failed-and-skipped-sends.json',
    'finish-events-pass.json',
    'goal-converted-counted.json',
    'onboarding-no-project.json',
    'paused-at-send-when-waiting.json',
    'paused-found-by-send-looks-again.json',
    'paused-found-by-send-resumed.json',
    'paused-then-resumed.json',
    'quiet-hours-held-by-send.json',
    'quiet-hours-send.json',
    'reference-journey-completed.json',
    'send-finds-journey-stopped.json',
    'send-rerouted-to-fallback.json',
    'send-wait-send-completed.json',
    'send-wait-send-while-waiting.json',
    'stopped-while-waiting.json',
    'wait-for-event-arrived.json',
    'wait-for-event-timed-out.json',
    'weekly-loop-three-visits.json',
  ]);
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
