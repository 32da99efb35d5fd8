// The activities of a segment launch: count the audience, and enter one page of it.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { CODE_JOURNEYS } from '../core/code-journeys';
import { FailureType } from '../core/failures';
import { compileSegment } from '../core/segment-filter';
import { fieldsRead, matchesSegment } from '../core/segment-match';
import { SegmentRule, segmentRuleSchema } from '../core/segment-rules';
import type { EnrollPageInput, EnrollPageResult } from '../core/launch-contract';
import { loadJourneyVersion } from '../db/journey-versions';
import { readJourneyState } from '../db/journey-state';
import type { Models } from '../db/models';
import type { CodeRunTemplate, JourneyRuns, RunTemplate } from '../lib/journey-runs';
import { launchesEnded } from '../lib/metrics';
import { createAudienceReader } from './audience-pages';

export interface LaunchDeps {
  models: Pick<Models, 'customers' | 'journeys' | 'journeyVersions'>;
  runs: Pick<JourneyRuns, 'launch'>;
}

/**
 * The launch's segment rule. The API checked it when it started the launch; one this version
 * cannot read fails for good rather than retrying.
 */
function launchRule(rule: unknown): SegmentRule {
  const parsed = segmentRuleSchema.safeParse(rule);
  if (!parsed.success) {
    throw ApplicationFailure.create({ message: `the launch's segment rule is not valid: ${parsed.error.message}`, type: FailureType.SegmentRuleInvalid, nonRetryable: true });
  }
  return parsed.data;
}

/** What a page attempt has done, kept in its heartbeat for the next attempt. */
interface PageCheckpoint {
  /** Every customer up to and including this ID was entered (or found already entered). */
  lastDoneId?: string;
  entered: number;
  alreadyEntered: number;
}

export function createLaunchActivities(deps: LaunchDeps) {
  const audience = createAudienceReader(deps.models.customers);

  /** What each run of the launch gets: a code-first type's input, or the JSON journey's version. */
  async function runTemplate(input: EnrollPageInput): Promise<RunTemplate | CodeRunTemplate> {
    const type = CODE_JOURNEYS[input.journeyId];
    if (type) return { journeyId: type.id, workflowType: type.workflowType, input: input.input ?? {} };
    const definition = await loadJourneyVersion(deps.models, input.journeyId, input.journeyVersion);
    if (!definition) {
      throw ApplicationFailure.nonRetryable(`journey "${input.journeyId}" has no version ${input.journeyVersion}`, FailureType.JourneyVersionNotFound);
    }
    return { journeyId: input.journeyId, journeyVersion: input.journeyVersion, definition };
  }
  return {
    async countAudience(input: { rule: unknown; asOf: string }): Promise<number> {
      return deps.models.customers.countDocuments(compileSegment(launchRule(input.rule), new Date(input.asOf)));
    },

    async enrollPage(input: EnrollPageInput): Promise<EnrollPageResult> {
      const ctx = Context.current();
      const checkpoint: PageCheckpoint = (ctx.info.heartbeatDetails as PageCheckpoint | undefined) ?? {
        lastDoneId: input.afterId,
        entered: 0,
        alreadyEntered: 0,
      };
      // A stopped journey's launch ends; a paused one enters nobody: this page is retried (with
      // backoff) until it resumes.
      const journey = await readJourneyState(deps.models, input.journeyId);
      const stopped = (): EnrollPageResult => {
        launchesEnded.inc({ journey: input.journeyId, outcome: 'stopped' });
        return { lastId: checkpoint.lastDoneId, entered: checkpoint.entered, alreadyEntered: checkpoint.alreadyEntered, done: true, stopped: true };
      };
      if (journey.stopped) return stopped();
      if (journey.paused) throw ApplicationFailure.retryable(`journey "${input.journeyId}" is paused`, 'JourneyPaused');
      const run = await runTemplate(input);
      const after = checkpoint.lastDoneId;
      const rule = launchRule(input.rule);
      const asOf = new Date(input.asOf);
      // One launch's pages share a scan: the journey version, the launch's moment and the fields read name it.
      const fields = fieldsRead(rule);
      const page = await audience.page(`${input.journeyId}:${input.journeyVersion}:${input.asOf}:${fields.join(',')}`, after, input.pageSize, {
        fields,
        isMember: (customer) => matchesSegment(rule, customer, asOf),
      });
      const ids = page.members;

      // Starts finish out of order; the checkpoint moves only over an unbroken prefix, and its
      // counts cover exactly that prefix. A retry redoes the rest: customers an earlier attempt
      // entered past its last checkpoint then count as already entered.
      const outcomes = new Array<boolean | undefined>(ids.length);
      let prefix = 0;
      const outcome = await deps.runs.launch(run, ids, {
        signal: ctx.cancellationSignal,
        // Read afresh before each chunk of starts: a stop waits for the launch to see it.
        proceed: async () => !(await readJourneyState(deps.models, input.journeyId)).stopped,
        onEntered(index, entered) {
          outcomes[index] = entered;
          while (prefix < ids.length && outcomes[prefix] !== undefined) {
            if (outcomes[prefix]) checkpoint.entered += 1;
            else checkpoint.alreadyEntered += 1;
            checkpoint.lastDoneId = ids[prefix];
            prefix += 1;
          }
          ctx.heartbeat(checkpoint);
        },
      });
      if (outcome.halted) return stopped();
      if (page.exhausted) launchesEnded.inc({ journey: input.journeyId, outcome: 'completed' });
      return {
        // Past the last member when the collection ended: the customers between were no members.
        lastId: page.lastId,
        entered: checkpoint.entered,
        alreadyEntered: checkpoint.alreadyEntered,
        done: page.exhausted,
      };
    },
  };
}
