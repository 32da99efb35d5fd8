// `npm run bench:windows`: what windowed conditions (counts in a window, filtered by event
// properties; core/event-windows.ts) cost at ingest and at launch, against the same paths
// without them, in the same run on the same embedded store.
//
// Starts its own embedded store and builds two databases of BENCH_WINDOW_CUSTOMERS (default
// 5,000) customers. In one, BENCH_WINDOW_SERIES (default 4) series of `product_viewed` are kept
// (as saving segments that count them would keep them); in the other none are. Then, three
// rounds, the order alternating:
// - ingest: BENCH_WINDOW_EVENTS (default 10,000) `product_viewed` events, 500 per batch, through
//   the ingest service (store, then one roll-up update per customer), into each database;
// - launch audience: counting a segment (its compiled filter) and reading every page of it as a
//   launch does (customers in `_id` order, the fields the rule reads, matched in memory), for a
//   windowed rule and for the same count over all time (the same members), and for a filtered
//   rule that fewer match, on the database with the series.
// Temporal is left out: a launch's workflow starts are the same for either rule.
// Then it saves a segment naming a new series, which backfills it from the event log.
import { mongo } from 'mongoose';
import { createAudienceReader } from '../activities/audience-pages';
import { compileSegment } from '../core/segment-filter';
import { fieldsRead, matchesSegment } from '../core/segment-match';
import type { SegmentRule } from '../core/segment-rules';
import { connectDatabase, Database } from '../db/connect';
import { createEventIngest, IncomingEvent } from '../lib/event-ingest';
import { keepSeriesOf } from '../lib/event-windows';
import { chunks, envInt, fmt, log, machine, pad, report, runBench, timed } from './support';

const BATCH = 500;
const PAGE = 500;
const ROUNDS = 3;
const customerCount = envInt('BENCH_WINDOW_CUSTOMERS', 5_000);
const eventCount = envInt('BENCH_WINDOW_EVENTS', 10_000);
const seriesCount = Math.min(envInt('BENCH_WINDOW_SERIES', 4), 4);
const CATEGORIES = ['shoes', 'sneakers', 'hats', 'bags', 'coats'];
const DAY = 86_400_000;

/** The series the windowed database keeps: those segments like these would name. */
const SERIES_RULES: SegmentRule[] = [
  { event: 'product_viewed', where: { category: 'shoes' }, op: 'atLeast', count: 3, within: '7d' },
  { event: 'product_viewed', where: { productId: 'sku-7' }, op: 'atLeast', count: 3, within: '5d' },
  { event: 'product_viewed', where: { category: { in: ['shoes', 'sneakers'] } }, op: 'atLeast', count: 2, within: '7d' },
  { event: 'product_viewed', op: 'atLeast', count: 3, within: '30d' },
].slice(0, seriesCount) as SegmentRule[];
/** Every customer has viewed more than 3 times in 30 days (as in all time): the same members both ways. */
const WINDOWED: SegmentRule = { event: 'product_viewed', op: 'atLeast', count: 3, within: '30d' };
const ALL_TIME: SegmentRule = { event: 'product_viewed', op: 'atLeast', count: 3 };
/** A narrower one, for what a filter costs when fewer match. */
const FILTERED: SegmentRule = { event: 'product_viewed', where: { category: 'shoes' }, op: 'atLeast', count: 3, within: '7d' };

let seq = 0;
/** Views over the last ten days, round robin over the customers, products and categories. */
function views(count: number): IncomingEvent[] {
  const now = Date.now();
  return Array.from({ length: count }, () => {
    const n = seq++;
    return {
      id: `v${pad(n, 8)}`,
      customerId: `c${pad(n % customerCount)}`,
      name: 'product_viewed',
      timestamp: new Date(now - ((n * 7919) % (10 * DAY))),
      properties: { productId: `sku-${n % 13}`, category: CATEGORIES[n % CATEGORIES.length], price: n % 90 },
    };
  });
}

runBench('windows', 900, async (bench) => {
  log(`machine: ${JSON.stringify(machine())}`);
  log(`windows benchmark: ${fmt.n(customerCount)} customers, ${fmt.n(eventCount)} events per round, ${seriesCount} series kept; data in ${bench.dir}`);
  const store = await bench.startMongoStore();
  const open = async (name: string): Promise<Database> => {
    const db = await connectDatabase(`${store.baseUri}/${name}`);
    bench.onCleanup(`database ${name}`, () => db.close());
    for (const chunk of chunks(Array.from({ length: customerCount }, (_, i) => i), 1000)) {
      await db.models.customers.collection.insertMany(chunk.map((i) => ({ _id: `c${pad(i)}`, attributes: { tier: i % 2 ? 'gold' : 'basic' }, createdAt: new Date() })) as never[]);
    }
    return db;
  };
  const plain = await open('cairn_bench_plain');
  const windowed = await open('cairn_bench_windowed');
  await keepSeriesOf(windowed.models, SERIES_RULES);
  const ingest = { plain: createEventIngest(plain.models), windowed: createEventIngest(windowed.models) };
  // Warm-up (not measured).
  for (const target of [ingest.plain, ingest.windowed]) for (const batch of chunks(views(2 * BATCH), BATCH)) await target.ingest(batch);

  const ingestS = { plain: [] as number[], windowed: [] as number[] };
  const launchS = { allTime: [] as number[], windowed: [] as number[], filtered: [] as number[] };
  const members = { allTime: 0, windowed: 0, filtered: 0 };
  const launchRules = { allTime: ALL_TIME, windowed: WINDOWED, filtered: FILTERED };
  const audience = createAudienceReader(windowed.models.customers);
  const launchAudience = async (rule: SegmentRule, round: number) => {
    const asOf = new Date();
    let count = 0;
    let entered = 0;
    const seconds = await timed(async () => {
      count = await windowed.models.customers.countDocuments(compileSegment(rule, asOf));
      const fields = fieldsRead(rule);
      let after: string | undefined;
      for (;;) {
        const page = await audience.page(`bench:${round}:${fields.join(',')}:${JSON.stringify(rule)}`, after, PAGE, { fields, isMember: (c) => matchesSegment(rule, c, asOf) });
        entered += page.members.length;
        after = page.lastId;
        if (page.exhausted) break;
      }
    });
    if (count !== entered) throw new Error(`the count (${count}) and the pages (${entered}) disagree for ${JSON.stringify(rule)}`);
    return { seconds, members: count };
  };

  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['plain', 'windowed'] as const) : (['windowed', 'plain'] as const);
    for (const which of order) {
      const events = views(eventCount);
      ingestS[which].push(await timed(async () => {
        for (const batch of chunks(events, BATCH)) await ingest[which].ingest(batch);
      }));
    }
    for (const which of round % 2 === 0 ? (['allTime', 'windowed', 'filtered'] as const) : (['filtered', 'windowed', 'allTime'] as const)) {
      const result = await launchAudience(launchRules[which], round);
      launchS[which].push(result.seconds);
      members[which] = result.members;
    }
    log(
      `round ${round + 1}: ingest plain ${fmt.s(ingestS.plain[round])}, windowed ${fmt.s(ingestS.windowed[round])}; ` +
        `launch audience all-time ${fmt.s(launchS.allTime[round])}, windowed ${fmt.s(launchS.windowed[round])}, filtered ${fmt.s(launchS.filtered[round])}`,
    );
  }

  // What the series weigh on a customer document.
  const docs = await windowed.models.customers.find({}, { windows: 1 }).lean();
  const windowBytes = docs.map((d) => (d.windows ? mongo.BSON.calculateObjectSize({ windows: d.windows }) : 0));
  const times = docs.map((d) => Object.values(d.windows ?? {}).reduce((n, list) => n + list.length, 0));
  // A segment naming a series not kept yet: the save registers and backfills it.
  const logged = await windowed.models.events.estimatedDocumentCount();
  const backfillS = await timed(() => keepSeriesOf(windowed.models, [{ event: 'product_viewed', where: { price: { in: [10, 20, 30] } }, op: 'did', within: '30d' }]));

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ratios = (a: number[], b: number[]) => a.map((x, i) => x / b[i]);
  const ingestRatio = ratios(ingestS.windowed, ingestS.plain);
  const launchRatio = ratios(launchS.windowed, launchS.allTime);
  const rate = (seconds: number) => fmt.rate(eventCount / seconds);
  report(
    'windows',
    `Windowed conditions: ${fmt.n(eventCount)} events a round, ${fmt.n(customerCount)} customers, ${seriesCount} series kept (${bench.storeBackend} store)`,
    [
      ['ingest, no series kept: events/s per round', ingestS.plain.map(rate).join(', ')],
      [`ingest, ${seriesCount} series kept: events/s per round`, ingestS.windowed.map(rate).join(', ')],
      ['ingest time ratio, series kept / none (per round; median)', `${ingestRatio.map(fmt.ratio).join(', ')}; ${fmt.ratio(median(ingestRatio))}`],
      [`launch audience, all-time count (${fmt.n(members.allTime)} members): s per round`, launchS.allTime.map((s) => s.toFixed(2)).join(', ')],
      [`launch audience, the same count in 30 days (${fmt.n(members.windowed)} members): s per round`, launchS.windowed.map((s) => s.toFixed(2)).join(', ')],
      ['launch audience time ratio, windowed / all-time (per round; median)', `${launchRatio.map(fmt.ratio).join(', ')}; ${fmt.ratio(median(launchRatio))}`],
      [`launch audience, shoes 3 times in 7 days (${fmt.n(members.filtered)} members): s per round`, launchS.filtered.map((s) => s.toFixed(2)).join(', ')],
      ['kept times per customer: mean; max', `${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(1)}; ${Math.max(...times)}`],
      ['`windows` bytes per customer (BSON): mean; max', `${(windowBytes.reduce((a, b) => a + b, 0) / windowBytes.length).toFixed(0)}; ${Math.max(...windowBytes)}`],
      [`saving a segment with a new series, backfilled from ${fmt.n(logged)} logged events`, fmt.s(backfillS)],
    ],
    { ingestS, launchS, members, seriesCount, customerCount, eventCount, backfillS },
  );
});
