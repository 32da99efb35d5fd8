// `npm run bench:stats-by-segment`: what journey stats by segment (`?segmentId=`) cost against
// the plain stats, on the same journey in the same run.
//
// Starts its own Temporal dev server and embedded store, then BENCH_STATS_RUNS (default 5,000)
// runs of one journey on a task queue no worker polls: each shows the search attributes a run
// starts with, which is all stats read (steps, statuses and splits vary in real runs, not what
// a listing costs), and its entry in the registry. Every run's customer is stored: one in a
// hundred on plan "team", half on "pro". Then three rounds of: the plain stats (one count per
// number), the stats of the "team" segment (the members' runs listed by customer ID), of the
// "pro" segment (all the journey's runs listed once), and that listing and the member queries alone.
import { Client, Connection } from '@temporalio/client';
import { journeyWorkflowId } from '../core/ids';
import { JOURNEY_TASK_QUEUE, startSearchAttributes } from '../core/journey-contract';
import { compileSegment } from '../core/segment-filter';
import { connectDatabase } from '../db/connect';
import { membersAmong } from '../db/segment-members';
import { createJourneyStats, JOURNEY_WORKFLOW_TYPE, type StatsShape } from '../lib/journey-stats';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { chunks, envInt, fmt, inLanes, log, machine, pad, report, runBench, timed } from './support';

const ROUNDS = 3;
const runCount = envInt('BENCH_STATS_RUNS', 5_000);
const JOURNEY = 'bench-stats';
/** A journey of eight steps with a two-way split: the questions plain stats count one by one. */
const SHAPE: StatsShape = {
  workflowType: JOURNEY_WORKFLOW_TYPE,
  steps: [
    { id: 'first' },
    { id: 'ab', splitPaths: ['A', 'B'] },
    ...['send-a', 'send-b', 'wait', 'branch', 'follow-up', 'done'].map((id) => ({ id })),
  ],
};
const customerId = (i: number) => `c${pad(i)}`;

runBench('stats-by-segment', 900, async (bench) => {
  log(`machine: ${JSON.stringify(machine())}`);
  log(`stats by segment benchmark: ${fmt.n(runCount)} runs; data in ${bench.dir}`);
  const [temporal, store] = await Promise.all([bench.startTemporal(), bench.startMongoStore()]);
  const connection = await Connection.connect({ address: temporal.address });
  bench.onCleanup('Temporal connection', () => connection.close());
  await ensureSearchAttributes(connection, 'default');
  const client = new Client({ connection, namespace: 'default' });
  const db = await connectDatabase(`${store.baseUri}/cairn_bench_stats`);
  bench.onCleanup('database', () => db.close());

  for (const chunk of chunks(Array.from({ length: runCount }, (_, i) => i), 1000)) {
    await db.models.customers.collection.insertMany(
      chunk.map((i) => ({ _id: customerId(i), attributes: { plan: i % 100 === 0 ? 'team' : i % 2 ? 'pro' : 'free' }, createdAt: new Date() })) as never[],
    );
  }
  for (const chunk of chunks(Array.from({ length: runCount }, (_, i) => i), 1000)) {
    await db.models.journeyEntries.collection.insertMany(chunk.map((i) => ({ _id: `${JOURNEY}:${customerId(i)}`, last: 1, lastEnteredAt: new Date() })) as never[]);
  }
  const started = await timed(() =>
    inLanes(runCount, 16, async (i) => {
      await client.workflow.start(JOURNEY_WORKFLOW_TYPE, {
        // A queue no worker polls: the runs keep the attributes they started with.
        taskQueue: `${JOURNEY_TASK_QUEUE}-bench-idle`,
        workflowId: journeyWorkflowId(JOURNEY, customerId(i)),
        args: [],
        typedSearchAttributes: startSearchAttributes(JOURNEY, customerId(i), 'first'),
      });
    }),
  );
  log(`${fmt.n(runCount)} runs started in ${fmt.s(started)}`);
  for (;;) {
    const { count } = await client.workflow.count(`CairnJourneyId = "${JOURNEY}"`);
    if (count >= runCount) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  const stats = createJourneyStats(client, db.models);
  const filter = compileSegment({ attribute: 'plan', op: 'eq', value: 'pro' }, new Date());
  const small = compileSegment({ attribute: 'plan', op: 'eq', value: 'team' }, new Date());
  const ids = Array.from({ length: runCount }, (_, i) => customerId(i));
  const times = { plain: [] as number[], small: [] as number[], segment: [] as number[], listing: [] as number[], members: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    let members = 0;
    let few = 0;
    times.plain.push(await timed(async () => void (await stats.journeyStats(JOURNEY, SHAPE))));
    times.small.push(await timed(async () => void (few = (await stats.segmentStats(JOURNEY, SHAPE, small)).members)));
    times.segment.push(await timed(async () => void (members = (await stats.segmentStats(JOURNEY, SHAPE, filter)).members)));
    times.listing.push(await timed(async () => {
      for await (const info of client.workflow.list({ query: `WorkflowType = "${JOURNEY_WORKFLOW_TYPE}" AND CairnJourneyId = "${JOURNEY}"` })) void info;
    }));
    times.members.push(await timed(async () => void (await membersAmong(db.models.customers, filter, ids))));
    if (few !== Math.ceil(runCount / 100)) throw new Error(`the small segment holds ${few} of the journey's customers`);
    if (members !== runCount / 2) throw new Error(`the segment holds ${members} of the journey's customers, not ${runCount / 2}`);
    log(`round ${round + 1}: plain ${fmt.s(times.plain[round])}, by a 1% segment ${fmt.s(times.small[round])}, by a 50% segment ${fmt.s(times.segment[round])}, listing ${fmt.s(times.listing[round])}, member queries ${fmt.s(times.members[round])}`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  report(
    'stats-by-segment',
    `Journey stats by segment, ${fmt.n(runCount)} runs, median of ${ROUNDS}`,
    [
      ['plain stats (a count per number)', fmt.s(median(times.plain))],
      ['stats by a 1% segment (its runs listed by customer ID)', fmt.s(median(times.small))],
      ['stats by a 50% segment (all runs listed once)', fmt.s(median(times.segment))],
      ['listing all the runs alone', fmt.s(median(times.listing))],
      ['member queries alone (every customer of the journey)', fmt.s(median(times.members))],
    ],
    { runCount, times },
  );
});
