// What Cairn relies on its MongoDB server for, checked against the server the suite runs on
// (the embedded store, or a real MongoDB through MONGODB_URI in test/support): single-document
// atomicity across processes, unique keys, and the update operators the code uses.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import mongoose, { Connection } from 'mongoose';
import { testEnv } from '../support/test-env';

const RACE_SCRIPT = path.join(__dirname, '..', 'support', 'store-race.js');
const run = promisify(execFile);

let uri: string;
let conn: Connection;
beforeAll(async () => {
  uri = `${testEnv().mongoBaseUri}/cairn_store_conformance_${process.pid}`;
  conn = await mongoose.createConnection(uri).asPromise();
});
afterAll(async () => {
  await conn?.dropDatabase();
  await conn?.close();
});

/** Runs one race with two processes at once; returns what each side saw. */
async function race<T>(name: string): Promise<T[]> {
  const sides = await Promise.all(['a', 'b'].map((side) => run(process.execPath, [RACE_SCRIPT, uri, name, side], { timeout: 120_000 })));
  return sides.map((s) => JSON.parse(s.stdout) as T);
}
// Untyped on purpose: the driver's types know no string `_id` and reject some operator shapes
// that these checks send exactly as the application's code does.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const collection = (name: string): any => conn.db!.collection(name);

describe('two processes racing on one server', () => {
  test('when both increment one counter 2,000 times, then no increment is lost', async () => {
    await race('increments');
    expect(await collection('counters').findOne({ _id: 'shared' })).toMatchObject({ n: 4000 });
  });

  test('when both claim the same 500 keys, then each key is won by exactly one of them', async () => {
    const [a, b] = await race<{ won: string[] }>('claims');
    expect(a.won.length + b.won.length).toBe(500);
    expect(new Set([...a.won, ...b.won]).size).toBe(500);
    expect(await collection('claims').countDocuments({ attempts: 2 })).toBe(500);
  });

  test('when both insert the same 500 IDs, then each is stored once', async () => {
    const [a, b] = await race<{ inserted: number }>('inserts');
    expect(a.inserted + b.inserted).toBe(500);
    expect(await collection('unique_inserts').countDocuments()).toBe(500);
  });

  test('when both take places under a limit of five by conditional push, then exactly five are taken', async () => {
    await collection('places').insertOne({ _id: 'cap', times: [] });
    const [a, b] = await race<{ admitted: number }>('places');
    expect(a.admitted + b.admitted).toBe(5);
    expect(((await collection('places').findOne({ _id: 'cap' }))!.times as unknown[]).length).toBe(5);
  });
});

describe('the operators Cairn uses', () => {
  const c = () => collection('operators');
  beforeEach(async () => {
    await c().deleteMany({});
  });

  test('when an upsert creates a document, then $setOnInsert, $inc, $min, $max and $currentDate all apply, and later only what updates', async () => {
    const early = new Date('2026-01-01T00:00:00Z');
    const late = new Date('2026-06-01T00:00:00Z');
    const update = (t: Date) => ({
      $setOnInsert: { createdAt: early },
      $inc: { 'events.view.count': 1 },
      $min: { 'events.view.first': t },
      $max: { 'events.view.last': t },
      $currentDate: { updatedAt: true },
    });
    await c().updateOne({ _id: 'u' }, update(late), { upsert: true });
    await c().updateOne({ _id: 'u' }, update(early), { upsert: true });
    const doc = await c().findOne({ _id: 'u' });
    expect(doc).toMatchObject({ createdAt: early, events: { view: { count: 2, first: early, last: late } } });
    expect(doc!.updatedAt).toBeInstanceOf(Date);
  });

  test('when an upsert filter misses an existing _id, then the server refuses with a duplicate key (E11000)', async () => {
    await c().insertOne({ _id: 'dup', seen: ['b1'] });
    await expect(c().updateOne({ _id: 'dup', seen: { $ne: 'b1' } }, { $push: { seen: 'b1' } }, { upsert: true })).rejects.toMatchObject({ code: 11000 });
    expect(await c().findOne({ _id: 'dup' })).toMatchObject({ seen: ['b1'] });
  });

  test('when $pull takes a condition, $pullAll values and $push $each/$sort/$slice, then arrays change as MongoDB documents', async () => {
    await c().insertOne({ _id: 'arr', tokens: [{ token: 'a', p: 'ios' }, { token: 'b', p: 'web' }, { token: 'c', p: 'ios' }], times: [5, 1, 9], ids: ['x', 'y'] });
    await c().updateOne({ _id: 'arr' }, { $pull: { tokens: { token: { $in: ['a', 'c'] } } }, $pullAll: { ids: ['x'] } });
    await c().updateOne({ _id: 'arr' }, { $push: { times: { $each: [7, 3], $sort: 1, $slice: -3 } } });
    await c().updateOne({ _id: 'arr' }, { $pull: { times: { $lt: 8 } } });
    expect(await c().findOne({ _id: 'arr' })).toMatchObject({ tokens: [{ token: 'b', p: 'web' }], times: [9], ids: ['y'] });
  });

  test('when times are pushed newest first and capped, then a filter on one array place counts a window (windowed segment conditions)', async () => {
    const day = (d: number) => new Date(Date.UTC(2026, 0, d));
    await c().updateOne({ _id: 'win', 'm.b1': { $exists: false } }, { $push: { 'w.k': { $each: [day(3), day(1), day(5)], $sort: -1, $slice: 4 } }, $set: { 'm.b1': 1 } }, { upsert: true });
    // Pushing one series and pulling another in one update; pulling a path that is not there.
    await c().updateOne({ _id: 'win' }, { $push: { 'w.k': { $each: [day(2), day(9)], $sort: -1, $slice: 4 } }, $pull: { 'w.old': { $lt: day(1) }, 'w.none': { $lt: day(1) } } });
    expect((await c().findOne({ _id: 'win' })).w).toEqual({ k: [day(9), day(5), day(3), day(2)] });
    const ids = async (filter: object) => (await c().find({ _id: 'win', ...filter }).toArray()).length;
    // The third newest is day 3: "three since day 3" holds, "three since day 4" does not; a place past the end never holds.
    expect([await ids({ 'w.k.2': { $gte: day(3) } }), await ids({ 'w.k.2': { $gte: day(4) } }), await ids({ 'w.k.7': { $gte: day(1) } })]).toEqual([1, 0, 0]);
    expect([await ids({ $nor: [{ 'w.k.4': { $gte: day(1) } }] }), await ids({ $nor: [{ 'w.none.0': { $gte: day(1) } }] })]).toEqual([1, 1]);
  });

  test('when insertMany meets stored IDs unordered, then the rest are stored and each duplicate is reported by index', async () => {
    await c().insertOne({ _id: 'e1' });
    const err = await c()
      .insertMany([{ _id: 'e0' }, { _id: 'e1' }, { _id: 'e2' }], { ordered: false })
      .then(() => undefined, (e: { writeErrors?: { index: number; code: number }[] }) => e);
    expect(err?.writeErrors?.map((w: { index: number; code: number }) => [w.index, w.code])).toEqual([[1, 11000]]);
    expect(await c().countDocuments({ _id: { $in: ['e0', 'e1', 'e2'] } })).toBe(3);
  });

  test('when an unordered bulk of guarded upserts meets documents that fail their guard, then the rest apply and each miss is a duplicate key', async () => {
    await c().insertOne({ _id: 'g1', marks: { b1: 1 }, n: 1 });
    const guarded = (id: string) => ({ updateOne: { filter: { _id: id, 'marks.b1': { $exists: false } }, update: { $inc: { n: 1 }, $set: { 'marks.b1': 1 } }, upsert: true } });
    const err = await c()
      .bulkWrite([guarded('g0'), guarded('g1'), guarded('g2')], { ordered: false })
      .then(() => undefined, (e: { writeErrors?: { index: number; code: number }[] }) => e);
    expect(err?.writeErrors?.map((w: { index: number; code: number }) => [w.index, w.code])).toEqual([[1, 11000]]);
    expect((await c().find({ _id: { $in: ['g0', 'g1', 'g2'] } }).sort({ _id: 1 }).toArray()).map((d: { n: number }) => d.n)).toEqual([1, 1, 1]);
  });

  test('when $addToSet takes $each, then only values not there yet are added, and an empty list creates the array', async () => {
    await c().updateOne({ _id: 'set' }, { $addToSet: { names: { $each: ['a', 'b'] } } }, { upsert: true });
    await c().updateOne({ _id: 'set' }, { $addToSet: { names: { $each: ['b', 'c'] }, empty: { $each: [] } } });
    expect(await c().findOne({ _id: 'set' })).toMatchObject({ names: ['a', 'b', 'c'], empty: [] });
  });

  test('when a bulk write mixes updates and upserts unordered, then the counts say what happened', async () => {
    await c().insertOne({ _id: 'b0', n: 0 });
    const result = await c().bulkWrite(
      Array.from({ length: 300 }, (_, i) => ({ updateOne: { filter: { _id: `b${i}` }, update: { $inc: { n: 1 } }, upsert: true } })),
      { ordered: false },
    );
    expect([result.matchedCount, result.upsertedCount]).toEqual([1, 299]);
  });

  test('when filters use $and/$or/$nor, comparisons, $exists on an array place, $elemMatch and $regex, then they select as MongoDB does', async () => {
    await c().insertMany([
      { _id: 'f1', a: { tier: 'gold', n: 3 }, list: [1, 2], tags: [{ k: 'x', v: 2 }], name: 'Ada' },
      { _id: 'f2', a: { tier: 'basic', n: 7 }, list: [1], tags: [{ k: 'x', v: 9 }], name: 'bob' },
      { _id: 'f3', a: { n: 5 }, name: 'Cy' },
    ]);
    const ids = async (filter: object) => (await c().find(filter).sort({ _id: 1 }).toArray()).map((d: { _id: string }) => d._id);
    expect(await ids({ $or: [{ 'a.tier': 'gold' }, { 'a.n': { $gte: 6 } }] })).toEqual(['f1', 'f2']);
    expect(await ids({ $nor: [{ 'a.tier': { $exists: true } }] })).toEqual(['f3']);
    expect(await ids({ 'list.1': { $exists: true } })).toEqual(['f1']);
    expect(await ids({ tags: { $elemMatch: { v: { $gt: 5 } } } })).toEqual(['f2']);
    expect(await ids({ name: { $regex: '^b', $options: 'i' } })).toEqual(['f2']);
    expect(await ids({ $and: [{ 'a.n': { $gt: 2 } }, { 'a.n': { $lt: 6 } }], 'a.tier': { $ne: 'basic' } })).toEqual(['f1', 'f3']);
  });
});
