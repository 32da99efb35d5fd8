// A launch's audience read page by page on the real store: the members the compiled filter
// selects, each once and in `_id` order, over one scan per launch, and again from any position.
import { createAudienceReader } from '../../activities/audience-pages';
import { compileSegment } from '../../core/segment-filter';
import { fieldsRead, matchesSegment } from '../../core/segment-match';
import type { SegmentRule } from '../../core/segment-rules';
import { connectDatabase, Database } from '../../db/connect';
import { generatedRules, sampleCustomers } from '../support/segment-samples';
import { testEnv } from '../support/test-env';

const NOW = new Date();
let db: Database;

beforeAll(async () => {
  db = await connectDatabase(`${testEnv().mongoBaseUri}/cairn_audience_pages_${process.pid}`);
  const samples = sampleCustomers(NOW);
  // The samples, and as many again under other IDs, so that pages of 2 make many pages.
  await db.models.customers.insertMany([...samples, ...samples.map((c) => ({ ...c, _id: `${c._id}-2` }))]);
});
afterAll(async () => {
  await db?.connection.dropDatabase();
  await db?.close();
});

afterEach(() => jest.restoreAllMocks());

const readWith = (rule: SegmentRule) => ({ fields: fieldsRead(rule), isMember: (c: object) => matchesSegment(rule, c, NOW) });

/** Every page of the launch from the start; the pages' members in order. */
async function allPages(reader: ReturnType<typeof createAudienceReader>, launch: string, rule: SegmentRule, size: number) {
  const pages: string[][] = [];
  let after: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await reader.page(launch, after, size, readWith(rule));
    pages.push(page.members);
    after = page.lastId;
    if (page.exhausted) return pages;
  }
  throw new Error('the pages never ended');
}

const filtered = async (rule: SegmentRule) =>
  (await db.models.customers.find(compileSegment(rule, NOW)).select({ _id: 1 }).sort({ _id: 1 }).lean()).map((c) => c._id);

test('when 300 generated rules are read in pages of 2 with only the fields they need, then each gives the compiled filter\'s members in order', async () => {
  const reader = createAudienceReader(db.models.customers);
  const differences: object[] = [];
  for (const [i, rule] of generatedRules(7, 300).entries()) {
    const pages = await allPages(reader, `launch-${i}`, rule, 2);
    const expected = await filtered(rule);
    if (JSON.stringify(pages.flat()) !== JSON.stringify(expected)) differences.push({ rule, pages, expected });
    if (pages.slice(0, -1).some((p) => p.length !== 2)) differences.push({ rule, pages, short: 'a page before the last' });
  }
  expect(differences).toEqual([]);
});

test('when a launch reads page after page, then one query serves them all', async () => {
  const reader = createAudienceReader(db.models.customers);
  const find = jest.spyOn(db.models.customers, 'find');
  const rule: SegmentRule = { reachableOn: 'web' };
  const pages = await allPages(reader, 'one-scan', rule, 2);
  expect(pages.flat()).toEqual(await filtered(rule));
  expect(pages.length).toBeGreaterThan(3);
  expect(find).toHaveBeenCalledTimes(2); // the scan, and `filtered` above
});

test('when a page is asked for again from an earlier position, or launches interleave, then each still gets exactly its members from there', async () => {
  const reader = createAudienceReader(db.models.customers);
  const web: SegmentRule = { reachableOn: 'web' };
  const pro: SegmentRule = { attribute: 'plan', op: 'eq', value: 'pro' };
  const first = await reader.page('a', undefined, 2, readWith(web));
  const second = await reader.page('a', first.lastId, 2, readWith(web));
  // Another launch between two pages of the first.
  const other = await reader.page('b', undefined, 3, readWith(pro));
  // A retry of the second page (its attempt died after reading): the same members again.
  const retried = await reader.page('a', first.lastId, 2, readWith(web));
  expect(retried.members).toEqual(second.members);
  const rest = [];
  for (let after = retried.lastId, done = false; !done; ) {
    const page = await reader.page('a', after, 2, readWith(web));
    rest.push(...page.members);
    after = page.lastId;
    done = page.exhausted;
  }
  expect([...first.members, ...retried.members, ...rest]).toEqual(await filtered(web));
  expect(other.members).toEqual((await filtered(pro)).slice(0, 3));
});
