// Membership that lapses with time alone, under the time-skipping server: a customer entered by
// a windowed segment ("three views of sku-7 in five days") leaves a journey that exits on
// leaving it once the sweep, run days later in skipped time, finds the third view too old. The
// store, the roll-ups, the registry and the sweep's activities are the real ones.
import { storeCustomerReader } from '../../db/customer-reader';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { journeyStateQuery } from '../../core/journey-contract';
import type { WorkerGroup } from '../../workers/create-worker';
import { createEventActivities } from '../../activities/events';
import { createScheduleActivities } from '../../activities/schedule';
import { journeyDefinitionSchema } from '../../core/journey-definition';
import type { SegmentRule } from '../../core/segment-rules';
import { connectDatabase, Database } from '../../db/connect';
import { saveJourneyVersion } from '../../db/journey-versions';
import { createEventIngest } from '../../lib/event-ingest';
import { keepSeriesOf } from '../../lib/event-windows';
import { createJourneyEntry, JourneyEntry } from '../../lib/journey-entry';
import { createJourneyRuns } from '../../lib/journey-runs';
import { finishEventsWorkflow } from '../../workflows/finish-events';
import { journeyWorker, startTimeSkipping } from '../support/time-skipping';
import { testEnv } from '../support/test-env';

const DAY = 86_400_000;
const RULE: SegmentRule = { event: 'looked', where: { productId: 'sku-7' }, op: 'atLeast', count: 3, within: '5d' };

let env: TestWorkflowEnvironment;
let db: Database;
let worker: WorkerGroup;
let taskQueue: string;
let entry: JourneyEntry;
beforeAll(async () => {
  env = await startTimeSkipping();
  db = await connectDatabase(`${testEnv().mongoBaseUri}/cairn_segment_lapse_${process.pid}`);
  const ingest = createEventIngest(db.models);
  ({ worker, taskQueue } = await journeyWorker(env, {
    // The journey sends nothing; the channel workers need the activity registered.
    send: async () => {
      throw new Error('the journey under test has no send step');
    },
    ...createScheduleActivities({ customer: storeCustomerReader(db.models.customers) }),
    ...createEventActivities({ finishEvents: () => ingest.finishEvents(), recheckLapsed: (asOf) => entry.recheckLapsed(asOf) }),
  }));
  entry = createJourneyEntry({ models: db.models, runs: createJourneyRuns(env.client, taskQueue, db.models.journeyEntries) });
});
afterAll(async () => {
  await db?.connection.dropDatabase();
  await db?.close();
  await env?.teardown();
});

test('when the third view is older than the window days later, then the sweep tells the run and it exits on leaving the segment', async () => {
  await keepSeriesOf(db.models, [RULE]);
  await db.models.segments.create({ _id: 'sku-7-thrice', name: 'sku-7 three times in five days', rule: RULE });
  const now = Date.now();
  await createEventIngest(db.models).ingest(
    [0.5, 1, 4].map((days, i) => ({ id: `look-${i}`, customerId: 'ivy', name: 'looked', timestamp: new Date(now - days * DAY), properties: { productId: 'sku-7' } })),
  );
  const definition = journeyDefinitionSchema.parse({
    name: 'Still looking',
    entry: { type: 'segment', segmentId: 'sku-7-thrice' },
    settings: { exitOnLeavingSegment: true },
    steps: [{ id: 'week', type: 'wait', duration: '7d' }],
  });
  const { doc } = await saveJourneyVersion(db.models, 'still-looking', definition);
  const runs = createJourneyRuns(env.client, taskQueue, db.models.journeyEntries);

  await worker.runUntil(async () => {
    expect(await runs.start({ journeyId: 'still-looking', journeyVersion: doc.version, definition }, 'ivy')).toBe(true);
    const run = env.client.workflow.getHandle(`journey:still-looking:ivy:1`);
    // The run has taken its first task and waits on its week before any sweep moves the clock.
    await eventuallyWaiting(run);
    // A plain client: the testing client lets time skip while it waits for a result, and a sweep
    // whose activity is slow (a loaded machine) would let the clock run past the run's week.
    const plain = new Client({ connection: env.connection });
    const sweep = (id: string) => plain.workflow.execute(finishEventsWorkflow, { workflowId: `lapse-sweep-${id}-${process.pid}`, taskQueue });
    // Now: the three views are inside five days.
    expect((await sweep('now')).exitsTold).toBe(0);
    // Two days on (skipped), the view of four days ago is six days old; the run still waits.
    await env.sleep('2d');
    expect((await run.describe()).status.name).toBe('RUNNING');
    expect((await sweep('later')).exitsTold).toBe(1);
    expect(await run.result()).toMatchObject({ status: 'exited', exitReason: 'left-segment', path: ['week'] });
    // Told once: the next pass leaves the entry alone.
    expect((await sweep('again')).exitsTold).toBe(0);
  });
});

/** Until the run reports it waits (its first workflow task has run). */
async function eventuallyWaiting(run: WorkflowHandle): Promise<void> {
  for (;;) {
    if ((await run.query(journeyStateQuery)).status === 'waiting') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
