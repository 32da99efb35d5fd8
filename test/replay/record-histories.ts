// Records the workflows' histories for the replay test: `npm run record-histories`. Run it when
// a new workflow shape ships, and commit the files it writes. The scenarios are declared per
// workflow type under test/replay/scenarios/ (one file each, all read); it records only those
// that have no file yet: an old history is never re-recorded, since a failing replay of one is
// exactly what the test is for.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { Activities, SendInput } from '../../activities';
import { JOURNEY_STOPPED } from '../../core/journey-contract';
import { REPO_ROOT } from '../../dev/servers';
import { startTimeSkipping } from '../support/time-skipping';
import { createJourneyWorkers } from '../../workers/create-worker';
import { recorderState } from './scenario';
import { allScenarios } from './scenarios';

const OUT_DIR = path.join(REPO_ROOT, 'test', 'replay', 'histories');

const deferred = new Set<string>();
/** Sends that found their journey paused in the store, by key: how many times. */
const pausedFor = new Map<string, number>();

const activities: Pick<Activities, 'send' | 'evaluateBranch' | 'resolveWait' | 'resolveBestTime' | 'chooseSplitPath' | 'finishEvents' | 'recheckSegmentExits'> = {
  async finishEvents() {
    return { finished: 2, examined: 40, through: new Date(0).toISOString() };
  },
  async recheckSegmentExits() {
    return { told: 1 };
  },
  // In the segment, but for the code-first examples' customers, who take their longer paths.
  async evaluateBranch(input) {
    return /^(onboarding-no-project|trial-expiry-)/.test(input.customerId) ? -1 : 0;
  },
  async resolveWait(input) {
    return new Date(Date.parse(input.from) + 3_600_000).toISOString();
  },
  async resolveBestTime(input) {
    return { until: new Date(Date.parse(input.from) + 3_600_000).toISOString(), reason: 'the recorder answers an hour on' };
  },
  // The optimizer's answer, fixed: the last path, learnt among everyone.
  async chooseSplitPath(input) {
    const path = input.paths[input.paths.length - 1];
    return { path, context: 'everyone', shares: Object.fromEntries(input.paths.map((p) => [p, p === path ? 0.9 : 0.1 / (input.paths.length - 1)])) };
  },
  async send(input: SendInput) {
    // An hour after the server scheduled it: the server's clock has skipped ahead of this one.
    const inAnHour = () => new Date(Context.current().info.currentAttemptScheduledTimestampMs + 3_600_000).toISOString();
    if (input.templateId === 'quiet-once' && !deferred.has(input.key)) {
      deferred.add(input.key);
      return { status: 'deferred', retryAt: inAnHour(), reason: 'quiet-hours' };
    }
    if (input.templateId === 'capped-once' && !deferred.has(input.key)) {
      deferred.add(input.key);
      return { status: 'deferred', retryAt: inAnHour(), reason: 'capped:daily' };
    }
    // The journey paused in the store, the pause signal having missed the run: three looks, or
    // until the journey resumes.
    const looks = (pausedFor.get(input.key) ?? 0) + 1;
    if ((input.templateId === 'paused-thrice' && looks <= 3) || (input.templateId === 'paused-until-resumed' && !recorderState.resumed)) {
      pausedFor.set(input.key, looks);
      return { status: 'deferred', retryAt: new Date(Context.current().info.currentAttemptScheduledTimestampMs + 30_000).toISOString(), reason: 'paused' };
    }
    // A best-channel send that chose its second listed channel: handed to its queue with the choice.
    if (input.best && input.via === input.channel) {
      return { status: 'rerouted', channel: input.best[1].channel, choice: { channel: input.best[1].channel, reason: 'most-engaged', scores: { [input.best[1].channel]: 2 } } };
    }
    // Unreachable on the step's channel: handed to the fallback channel's queue.
    if (input.fallback && input.via === input.channel) return { status: 'rerouted', channel: input.fallback.channel };
    if (input.templateId === 'missing') throw ApplicationFailure.nonRetryable('template "missing" does not exist', 'TemplateNotFound');
    if (input.templateId === 'no-address') return { status: 'skipped', reason: 'unreachable' };
    if (input.templateId === 'journey-stopped') return { status: 'skipped', reason: JOURNEY_STOPPED };
    return { status: 'sent', messageId: `m-${input.key}` };
  },
};

async function main() {
  const env = await startTimeSkipping();
  const worker = await createJourneyWorkers({ connection: env.nativeConnection, taskQueue: 'record-histories', activities });
  await worker.runUntil(async () => {
    for (const scenario of allScenarios().filter((s) => !existsSync(path.join(OUT_DIR, `${s.name}.json`)))) {
      const handle = await env.client.workflow.start(scenario.workflow, {
        workflowId: scenario.workflowId,
        taskQueue: 'record-histories',
        args: scenario.args,
        ...(scenario.searchAttributes ? { typedSearchAttributes: scenario.searchAttributes } : {}),
      });
      await scenario.drive(handle, (d) => env.sleep(d));
      const history = await handle.fetchHistory();
      writeFileSync(path.join(OUT_DIR, `${scenario.name}.json`), historyToJSON(history));
      console.log(`recorded ${scenario.name}: ${history.events?.length} events`);
    }
  });
  await env.teardown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
